"""Searches and their limits, callback codes, check_status, erasure, texts and answers: case tables on real databases."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select, text

from bot.models import AuditEvent, Contact, Escalation, Match, Message, Registration, SearchRequest
from bot.reunion import consent, erase, review, texts
from bot.reunion.config import ReunionConfig
from bot.reunion.searches import SearchDetails, open_search
from bot.reunion.status import check_status
from bot.reunion.verification import code_hash, find_code, redeem, register
from tests.reunion.conftest import (
    PERSON,
    code_sent_to,
    contact,
    operator,
    outbox,
    registered,
    search,
)

# -- answers and texts ---------------------------------------------------------------------------

CHOICES = [
    ("1", 1), ("١", 1), ("۱", 1), (" 1 ", 1), ("نعم", 1), ("yes", 1), ("Share", 1), ("رقم 1", 1),
    ("2", 2), ("٢", 2), ("بخير", 2), ("safe", 2),
    ("3", 3), ("٣", 3), ("لا", 3), ("no", 3),
    ("", None), ("4", None), ("12", None), ("1 2", None), ("ما بعرف", None), ("1985", None), (None, None),
    # every number in the answer must be that one digit: a time or a digit beside another
    # script's digits is asked again
    ("1:20", None), ("1:۲๐", None), ("1 1", 1), ("٢ ٢!", 2),
]


@pytest.mark.parametrize(("answer", "expected"), CHOICES)
def test_parse_choice(answer, expected):
    assert consent.parse_choice(answer) == expected


@pytest.mark.parametrize("key", sorted(texts.TEXTS))
def test_every_text_has_both_languages_and_fits_two_sms_segments(key):
    values = dict(searcher="عبد الرحمن", relationship="أخوه", name="محمد أحمد الحلبي", number="+963944123456",
                  code="483920", limit=5, source="قائمة جامع السلام", date="2024-12-08", governorate="ريف دمشق",
                  place=texts.gathering_point("ريف دمشق", "ar"), text="ما اسم جدتك لأمك؟")
    ar = texts.render(key, "ar", **values)
    en = texts.render(key, "en", **{**values, "place": texts.gathering_point("Rif Dimashq", "en")})
    assert ar != en and "{" not in ar + en
    assert re.search("[\u0600-\u06ff]", texts.TEXTS[key][0])
    assert len(ar) <= 134 or key == "family_released_list", (key, len(ar))  # two UCS-2 segments


@pytest.mark.parametrize(("governorate", "language", "expected"), [
    ("دمشق", "en", "the Salam Mosque in Barzeh"),
    ("ريف دمشق", "ar", "جامع السلام في برزة"),
    ("Rif Dimashq", "en", "the Salam Mosque in Barzeh"),
    ("حلب", "en", "the shelters in Tal and Minin"),
    (None, "ar", "مراكز الإيواء في التل ومنين"),
])
def test_gathering_points(governorate, language, expected):
    assert texts.gathering_point(governorate, language) == expected


# -- searches and enumeration ---------------------------------------------------------------------

NAMES = ["رامي حسين عمر", "سمير خالد النجار", "ياسر محمود العلي", "هيثم جميل الخطيب", "وليد سعيد الحمصي", "ماهر عادل الشامي"]


def test_the_sixth_search_in_a_day_is_refused_kindly(factory, config):
    family = contact(factory, "+963944000101", language="en")
    for name in NAMES[:5]:
        search(factory, family, config, full_name=name, father_name=None)
    with factory() as session, session.begin():
        refused = open_search(session, family, SearchDetails(full_name=NAMES[5]), config)
    assert refused.status == "limit" and "today's search limit (5)" in refused.reply
    with factory() as session:
        assert session.execute(select(SearchRequest).where(SearchRequest.contact_id == family)).scalars().all().__len__() == 5
        assert not session.get(Contact, family).escalated
    # Insisting cools the contact down and hands it to a person.
    for _ in range(2):
        with factory() as session, session.begin():
            last = open_search(session, family, SearchDetails(full_name=NAMES[5]), config)
    assert last.status == "cooldown"
    with factory() as session:
        c = session.get(Contact, family)
        assert c.escalated and c.cooldown_until is not None
        assert session.execute(select(Escalation.reason).where(Escalation.contact_id == family)).scalar_one() == "enumeration"


def test_a_limit_is_configurable(factory):
    family = contact(factory, "+963944000102")
    cfg = ReunionConfig(search_limit_per_day=2)
    for name in NAMES[:2]:
        search(factory, family, cfg, full_name=name, father_name=None)
    with factory() as session, session.begin():
        assert open_search(session, family, SearchDetails(full_name=NAMES[2]), cfg).status == "limit"


def test_the_same_search_twice_is_one_search(factory, config):
    family = contact(factory, "+963944000103")
    first = search(factory, family, config)
    with factory() as session, session.begin():
        again = open_search(session, family, SearchDetails(**PERSON, searcher_name="سامر", relationship="أخوه"), config)
    assert again.status == "duplicate" and again.search is not None and again.search.id == first


def test_probing_one_name_with_different_mothers_is_cooled_down(factory, config):
    family = contact(factory, "+963944000104")
    search(factory, family, config, mother_name="فاطمة")
    search(factory, family, config, full_name="محمد احمد الحلبى", mother_name="خديجة")
    with factory() as session, session.begin():
        third = open_search(session, family, SearchDetails(**{**PERSON, "mother_name": "سعاد"}), config)
    assert third.status == "cooldown"
    with factory() as session, session.begin():
        fresh = open_search(session, family, SearchDetails(full_name="شخص آخر تماماً"), config)
    assert fresh.status == "cooldown"  # cooled down: nothing is recorded
    with factory() as session:
        assert len(session.execute(select(SearchRequest)).scalars().all()) == 2


# -- callback verification ------------------------------------------------------------------------

def test_code_goes_to_the_callback_number_and_only_its_hash_is_stored(factory, config):
    detainee = contact(factory, "+963955000201")
    with factory() as session, session.begin():
        done = register(session, detainee, callback="0944 555 666", share_policy="safe_only", **PERSON)
    volunteer = done.code_contact_id
    assert volunteer is not None and volunteer != detainee
    assert "+963944555666" in done.reply
    code = code_sent_to(factory, volunteer)
    with factory() as session:
        reg = session.get(Registration, done.registration.id)
        assert reg.status == "pending_verification" and reg.verification_code_hash == code_hash(code)
        assert code not in (reg.verification_code_hash or "")
        assert session.get(Contact, volunteer).channel == "sms"
    # The code comes back from the volunteer's phone, written in Arabic-Indic digits.
    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    with factory() as session, session.begin():
        back = redeem(session, volunteer, f"الرمز {arabic}", config)
    assert back.status == "verified" and back.woken == (detainee,)
    with factory() as session:
        reg = session.get(Registration, done.registration.id)
        assert reg.status == "active" and reg.verification_code_hash is None and reg.callback_verified_at is not None
    assert outbox(factory, detainee)[-1].body.startswith("تم تأكيد")
    with factory() as session, session.begin():
        assert redeem(session, volunteer, code, config).status == "wrong"  # single use


def test_wrong_codes_lock_and_an_operator_verifies_by_hand(factory, config):
    detainee = contact(factory, "+963955000202")
    op = operator(factory)
    with factory() as session, session.begin():
        done = register(session, detainee, callback=None, **PERSON)
    assert done.code_contact_id == detainee
    real = code_sent_to(factory, detainee)
    wrong = f"{(int(real) + 1) % 1_000_000:06d}"
    statuses = []
    for _ in range(config.code_max_attempts):
        with factory() as session, session.begin():
            statuses.append(redeem(session, detainee, wrong, config).status)
    assert statuses == ["wrong"] * (config.code_max_attempts - 1) + ["locked"]
    with factory() as session, session.begin():
        review.verify_by_hand(session, done.registration.id, op)
    with factory() as session:
        reg = session.get(Registration, done.registration.id)
        assert reg.status == "active" and reg.verified_by == op
        assert session.execute(select(AuditEvent).where(AuditEvent.action == "registration_verified")).scalar_one().operator_id == op


@pytest.mark.parametrize(("message", "code"), [
    ("483920", "483920"), ("٤٨٣٩٢٠", "483920"), ("code: 483 920", "483920"), ("رمزي 483920 شكراً", "483920"),
    ("1985", None), ("0944555666", None), ("483920 123456", None), ("", None),
])
def test_find_code(message, code):
    assert find_code(message) == code


def test_a_bad_callback_number_is_a_clear_error(factory):
    from bot.contacts import AddressError

    detainee = contact(factory, "+963955000203")
    with factory() as session, session.begin(), pytest.raises(AddressError):
        register(session, detainee, callback="not a number", **PERSON)


# -- check_status ---------------------------------------------------------------------------------

def test_check_status_says_the_same_until_the_family_was_told(factory, worker, config):
    family = contact(factory, "+963944000301", language="en")
    detainee = contact(factory, "+963955000302")
    assert "no search or registration" in _status(factory, family)
    search(factory, family, config)
    open_text = _status(factory, family)
    assert "open, no news we can share yet" in open_text
    registered(factory, detainee, config)
    worker.step()  # matched, question sent to the detainee
    assert _status(factory, family) == open_text
    with factory() as session, session.begin():
        consent.record_choice(session, detainee, 3)
    worker.step()
    assert _status(factory, family) == open_text  # a refusal looks like no news at all
    assert "registration is active" not in _status(factory, family)
    assert _status(factory, detainee).startswith("تسجيلك فعّال")


def test_check_status_repeats_what_was_disclosed(factory, worker, config):
    family = contact(factory, "+963944000311", language="en")
    detainee = contact(factory, "+963955000312")
    search(factory, family, config)
    registered(factory, detainee, config)
    worker.step()
    with factory() as session, session.begin():
        consent.record_choice(session, detainee, 2)
    worker.step()
    assert "we told you they are safe" in _status(factory, family)


def _status(factory, contact_id):  # type: ignore[no-untyped-def]
    with factory() as session:
        return check_status(session, contact_id)


# -- delete_data ----------------------------------------------------------------------------------

def test_delete_data_erases_every_row_and_keeps_a_hashed_trail(factory, worker, config):
    family = contact(factory, "+963944000401")
    detainee = contact(factory, "+963955000402")
    search(factory, family, config)
    registered(factory, detainee, config)
    worker.step()
    with factory() as session, session.begin():
        consent.record_choice(session, detainee, 1)
    worker.step()
    with factory() as session, session.begin():
        confirmation = erase.request_erasure(session, family)
    assert confirmation.startswith("حذفنا بياناتك")
    with factory() as session:
        assert session.execute(select(SearchRequest).where(SearchRequest.contact_id == family)).first() is None
        assert session.execute(select(Match)).first() is None
    # The worker finishes once nothing of the contact is in flight (here: mark the outbox sent).
    with factory() as session, session.begin():
        for m in session.execute(select(Message).where(Message.contact_id == family)).scalars():
            m.status = "sent"
    assert worker.step().erased == 1
    with factory() as session:
        assert session.execute(select(Message).where(Message.contact_id == family)).first() is None
        c = session.get(Contact, family)
        assert c.erased_at is not None and "+963944000401" not in c.address
        trail = session.execute(select(AuditEvent)).scalars().all()
        dump = repr([(e.action, e.detail, e.subject_id) for e in trail])
        assert "944000401" not in dump and "محمد" not in dump and "سامر" not in dump
        assert any(e.action == "delete_data" and e.detail["address"] for e in trail)
        # The other side is untouched.
        assert session.execute(select(Registration).where(Registration.contact_id == detainee)).scalar_one().status == "active"
    assert worker.step().erased == 0


def test_delete_data_removes_rasa_sql_tracker_rows(pg_only_url):
    from shaml.db import make_engine, session_factory

    engine = make_engine(pg_only_url)
    factory = session_factory(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS events (id serial primary key, sender_id varchar(255), data text)"))
        conn.execute(text("INSERT INTO events (sender_id, data) VALUES ('1', 'x'), ('1', 'y'), ('2', 'z')"))
    try:
        who = contact(factory, "+963944000501")
        assert who == 1
        with factory() as session, session.begin():
            erase.request_erasure(session, who)
        with factory() as session, session.begin():
            assert erase.finish_erasure(session, who).counts["rasa_events"] == 2
        with engine.connect() as conn:
            assert conn.execute(text("SELECT sender_id FROM events")).scalars().all() == ["2"]
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE events"))
        engine.dispose()


def test_the_worker_thread_outlives_a_redis_outage(worker):
    """Redis gone (a restart): the wait between steps fails too, and the thread must step on anyway
    (it used to die there, and no code or consent question went out until a restart)."""
    import redis as redis_client

    worker.redis = redis_client.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)  # nothing listens
    thread = worker.start_thread(poll_seconds=0.2)
    try:
        time.sleep(1.5)
        assert thread.is_alive()
    finally:
        worker.redis = None  # stop() wakes the loop through Redis, which is gone
        worker.stop()
        thread.join(timeout=5)
    assert not thread.is_alive()
