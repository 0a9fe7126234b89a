"""Corroborated identity, the relayed first contact, holds and caps, on the real databases (issue 14)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.models import AuditEvent, Contact, Escalation, Match, Message, Registration, RelayThread
from bot.reunion import consent, erase, relay, trust
from bot.reunion.config import ReunionConfig
from bot.reunion.money import asks_for_money
from bot.reunion.texts import render
from bot.reunion.verification import redeem, register
from bot.reunion.worker import ReunionWorker
from matching.service import RegistryMatcher
from tests.reunion.conftest import (
    PERSON,
    add_row,
    add_source,
    code_sent_to,
    contact,
    operator,
    outbox,
    registered,
    search,
)

FAMILY, IMPOSTOR = "+963944010001", "+963955010002"


def bodies(factory, contact_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.body or "" for m in outbox(factory, contact_id)]


def answer(factory, contact_id: int, choice: int) -> Match:  # type: ignore[no-untyped-def]
    with factory() as session, session.begin():
        return consent.record_choice(session, contact_id, choice)


def say(factory, contact_id: int, text: str) -> relay.Turn | None:  # type: ignore[no-untyped-def]
    """What the gateway does with a message in a relay: handle it and queue what the turn says."""
    with factory() as session, session.begin():
        turn = relay.handle(session, contact_id, text)
        if turn is not None:
            from bot.gateway.outbox import queue_message

            for body, kind in turn.replies:
                queue_message(session, contact_id, body, kind=kind, author="system")
            for other, body, kind in turn.forward:
                queue_message(session, other, body, kind=kind, author="system")
        return turn


@pytest.fixture
def pair(factory, worker, config):  # type: ignore[no-untyped-def]
    """A family's search and an uncorroborated, verified registration of the same person, asked."""
    family = contact(factory, FAMILY)
    registrant = contact(factory, IMPOSTOR)
    search(factory, family, config)
    registered(factory, registrant, config, corroborated=False)
    worker.step()
    return family, registrant


def test_a_registrant_nobody_vouched_for_is_asked_without_the_searchers_name(factory, worker, pair):
    family, registrant = pair
    question = bodies(factory, registrant)[-1]
    assert question == render("consent_request_anon", "ar")
    assert "سامر" not in question and "أخوه" not in question
    assert bodies(factory, family) == []


def test_the_relay_masks_numbers_holds_money_and_needs_the_family_to_recognise_him(factory, worker, pair):
    family, registrant = pair
    assert answer(factory, registrant, 1).status == "relay"
    worker.step()
    opened = bodies(factory, family)
    assert opened == [render("relay_open_family", "ar", name=PERSON["full_name"]), render("relay_howto_family", "ar")]
    assert IMPOSTOR not in " ".join(opened) and "لا يطلب المال" in opened[-1]
    assert bodies(factory, registrant)[-1] == render("relay_open_registrant", "ar")
    # The family asks; the registrant receives it masked, with the warning, and no number.
    say(factory, family, "شو اسم جدتك؟ رقمي 0944 010 001")
    relayed = bodies(factory, registrant)[-1]
    assert "شو اسم جدتك" in relayed and "•••" in relayed and "010 001" not in relayed and "لا يطلب المال" in relayed
    # The registrant asks for money: held, never forwarded as is; the family is warned; a person takes over.
    before = bodies(factory, family)
    turn = say(factory, registrant, "ابعتيلي 500 دولار على الهرم لحتى قلك وين هو")
    assert turn is not None and turn.escalate == "relay_money"
    after = bodies(factory, family)[len(before):]
    assert after == [render("relay_held_recipient", "ar")]
    assert not any("500" in b or "الهرم" in b for b in bodies(factory, family))
    # Nothing was exchanged: no number either way, no disclosure in the audit trail.
    assert not any(IMPOSTOR in b for b in bodies(factory, family))
    assert not any(FAMILY in b for b in bodies(factory, registrant))
    with factory() as session:
        assert session.execute(select(AuditEvent).where(AuditEvent.action == "disclose")).first() is None
        assert session.execute(select(RelayThread)).scalar_one().held == 1


def test_recognised_by_the_family_he_is_asked_again_by_name_and_numbers_follow_his_yes(factory, worker, pair):
    family, registrant = pair
    answer(factory, registrant, 1)
    worker.step()
    say(factory, family, "شو كان اسم كلبنا؟")
    say(factory, registrant, "بوبي")
    assert "بوبي" in bodies(factory, family)[-1]
    say(factory, family, "هو هو")
    assert bodies(factory, family)[-1] == render("relay_recognised", "ar")
    with factory() as session:
        assert session.execute(select(Registration)).scalar_one().corroboration == "family"
    worker.step()
    named = bodies(factory, registrant)[-1]
    assert named.startswith("وصلنا طلب بحث عنك من سامر")
    assert answer(factory, registrant, 1).status == "shared"
    worker.step()
    assert IMPOSTOR in bodies(factory, family)[-1] and "لا يطلب المال" in bodies(factory, family)[-1]
    assert FAMILY in bodies(factory, registrant)[-1]


def test_safe_only_from_an_unvouched_registrant_waits_for_two_operators(factory, worker, pair):
    family, registrant = pair
    match = answer(factory, registrant, 2)
    assert match.status == "vetting"
    worker.step()
    assert bodies(factory, family) == []
    assert bodies(factory, registrant)[-1] == render("consent_done_vet", "ar")
    with factory() as session:
        assert session.execute(select(Escalation.reason).where(Escalation.contact_id == registrant)).scalar_one() == "corroboration"
    first, second = operator(factory, "huda"), operator(factory, "omar")
    with factory() as session, session.begin():
        registration_id = session.execute(select(Registration.id)).scalar_one()
        assert trust.vet(session, registration_id, first) == 1
        assert trust.vet(session, registration_id, first, "video") == 1  # the same operator twice is one
    with factory() as session:
        assert session.get(Registration, registration_id).corroboration is None
    with factory() as session, session.begin():
        assert trust.vet(session, registration_id, second) == 2
    with factory() as session, session.begin():
        session.get(Contact, registrant).escalated = False  # the operator hands the conversation back
    worker.step()
    assert "سامر" in bodies(factory, registrant)[-1]


def test_caps_hold_repeated_and_unusual_registrations_without_sending_a_code(factory, config):
    phone = contact(factory, "+963955020001")
    held = []
    for i, name in enumerate(["محمد أحمد العلي", "أحمد محمد الحسن", "خالد محمود الأحمد", "علي حسن الخطيب"]):
        with factory() as session, session.begin():
            reg = register(session, phone, full_name=name, father_name="أحمد", birth_year=1980 + i,
                           callback=f"+96395502010{i}", config=config)
            held.append((reg.registration.status, reg.registration.hold_reason, reg.code_contact_id is None))
    assert held[:3] == [("pending_verification", None, False)] * 3
    assert held[3] == ("held", "too_many_for_contact", True)
    # The same callback number named by a third registration, from other phones.
    for i in range(3):
        other = contact(factory, f"+96395503000{i}")
        with factory() as session, session.begin():
            reg = register(session, other, full_name=f"سامي {i} الحلبي", callback="+963955030099", config=config)
            status = reg.registration.status
    assert status == "held"
    # Another phone registering a person already registered.
    copycat = contact(factory, "+963955040001")
    with factory() as session, session.begin():
        reg = register(session, copycat, full_name="محمد أحمد العلي", father_name="أحمد", birth_year=1980, config=config)
        assert (reg.registration.status, reg.registration.hold_reason) == ("held", "same_person_elsewhere")
        assert reg.reply == render("registration_held", "ar")
    codes = [m for m in outbox(factory, copycat) if m.kind == "verification"]
    assert codes == []


def test_a_partners_registration_is_corroborated_and_exempt_from_the_per_contact_cap(factory, config):
    shelter = contact(factory, "+963955050001")
    with factory() as session, session.begin():
        session.get(Contact, shelter).partner = "Tal shelter"
    for i in range(5):
        with factory() as session, session.begin():
            reg = register(session, shelter, full_name=f"رجل {i} الحمصي", callback=f"+96395505010{i}", config=config)
            assert reg.registration.status == "pending_verification"
            assert reg.registration.corroboration == "partner"


def test_code_guessing_is_limited_for_a_phone_with_no_registration(factory, config):
    victim = contact(factory, "+963955060001")
    with factory() as session, session.begin():
        reg = register(session, victim, **PERSON, config=config)  # type: ignore[arg-type]
        code_contact = reg.code_contact_id
    assert code_contact is not None
    code = code_sent_to(factory, code_contact)
    guesser = contact(factory, "+963944060002")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(config.code_guesses_per_hour):
        with factory() as session, session.begin():
            assert redeem(session, guesser, wrong, config).status == "wrong"
    with factory() as session, session.begin():
        assert redeem(session, guesser, code, config).status == "locked"  # even the right code
    with factory() as session:
        assert session.execute(select(Registration.status)).scalar_one() == "pending_verification"


def test_erasure_removes_the_number_from_the_familys_messages_and_the_code_contact(factory, worker, config):
    family = contact(factory, "+963944070001")
    registrant = contact(factory, "+963955070002")
    search(factory, family, config)
    registered(factory, registrant, config, callback="+963955070099")
    worker.step()
    answer(factory, registrant, 1)
    worker.step()
    assert any("+963955070099" in b for b in bodies(factory, family))
    with factory() as session:
        assert session.execute(select(Contact).where(Contact.address == "+963955070099")).scalar_one_or_none() is not None
    with factory() as session, session.begin():
        erase.request_erasure(session, registrant)
    assert not any("+963955070099" in b or "+963955070002" in b for b in bodies(factory, family))
    assert any("•••" in b for b in bodies(factory, family))
    with factory() as session:
        assert session.execute(select(Contact).where(Contact.address == "+963955070099")).scalar_one_or_none() is None
        leftover = session.execute(select(Message.body).where(Message.body.contains("955070099"))).scalars().all()
        assert leftover == []


def test_a_lists_news_waits_and_needs_more_than_the_name(factory, config):
    add_source(factory, "barzeh", public=True)
    add_row(factory, "barzeh", "B-1")
    clock_now = [dt.datetime.now(dt.timezone.utc)]
    slow = ReunionConfig(**{**config.__dict__, "list_news_delay_seconds": 600})
    w = ReunionWorker(factory, RegistryMatcher(factory, refresh_seconds=0.0), slow, clock=lambda: clock_now[0])
    w.start()
    named_only = contact(factory, "+963944080001")
    detailed = contact(factory, "+963944080002")
    search(factory, named_only, config, father_name=None, mother_name=None, birth_year=None, governorate=None)
    search(factory, detailed, config)
    w.step()
    assert bodies(factory, named_only) == [] and bodies(factory, detailed) == []
    clock_now[0] += dt.timedelta(seconds=601)
    w.step()
    assert bodies(factory, named_only) == []  # a name alone is for an operator to look at
    news = bodies(factory, detailed)
    assert len(news) == 1 and "barzeh" in news[0] and "2024-12-08" in news[0]
    with factory() as session:
        statuses = sorted(session.execute(select(Match.status)).scalars())
    assert statuses == ["notified", "review"]


@pytest.mark.parametrize("text", [
    "ابعتلي ٥٠٠ دولار", "بدي مصاري لحتى اطلع", "7awelli 200$", "send me money via western union", "Bana para gönder",
    "envoyez de l'argent", "حولي على شام كاش", "pay the fee first", "bdi msari", "ادفعي الرسوم",
])
def test_money_requests_are_recognised(text):
    assert asks_for_money(text)


@pytest.mark.parametrize("text", [
    "ما اسم جدتك؟", "كيفك يا امي، اشتقتلك", "I remember the olive tree", "ولدت سنة 1985 بحلب", "الحمد لله على سلامتك",
    "ana bkhair ya emmi", "Remember the well behind grandma's house?",
])
def test_ordinary_messages_are_not_held(text):
    assert not asks_for_money(text)
