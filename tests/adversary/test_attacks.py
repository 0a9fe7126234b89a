"""Playing the attacker end to end: phones talk to the real web service, Rasa model, action server and
worker, on PostgreSQL and Redis; only Twilio is fake. Each attack is refused or contained, and every
message Twilio was asked to send to the attacker is scanned for what it disclosed (issue 14).

- a fake survivor registers 20 common names from one phone;
- an impostor copies a listed person's details exactly, gets a family's relay, and asks for money;
- a prober searches 50 names from 10 numbers: every reply is byte-identical whatever the registry
  holds, and nothing about the registry reaches any of them.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from bot.contacts import get_or_create_contact
from bot.models import (
    AuditEvent,
    Contact,
    Escalation,
    Match,
    Operator,
    Registration,
    RelayThread,
    SearchRequest,
)
from bot.reunion import trust
from bot.reunion.texts import render
from matching.store import RegistryRow, RegistrySource, utcnow
from tests.reunion.test_end_to_end import (
    RASA_TOKEN,
    Phone,
    Stack,
    register_as,
    rows,
    run_stack,
    search_for,
    verify,
    wait,
)

# The stack's first start trains Rasa when its model is stale (not in `make test`, which trains
# first): longer than the suite's 15-minute limit per test allows.
pytestmark = pytest.mark.timeout(1800)

#: Words the model reads as something other than a name inside a form (docs/reunion.md, known issues).
UNSAFE_INTENTS = {"stop", "delete_data", "request_human", "greet", "enter_code"}

FIRST = ["محمد", "أحمد", "خالد", "عمر", "يوسف", "سامي", "رامي", "ماهر", "وليد", "ياسر", "سمير", "هيثم", "باسل",
         "فادي", "حسام", "طارق", "نبيل", "زياد", "مازن", "عادل"]
FATHER = ["أحمد", "محمود", "حسين", "جميل", "سعيد", "نبيل", "عمر", "خالد"]
FAMILY = ["الحلبي", "الحمصي", "الشامي", "النجار", "الخطيب", "العلي", "الزعبي", "السيد", "الديري", "العمر"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole stack with the production delay before a released list's news (15 minutes)."""
    yield from run_stack(tmp_path_factory, SHAML_LIST_NEWS_DELAY_SECONDS="900")


def rasa_url(stack: Stack) -> str:
    return stack.env["SHAML_RASA_URL"]


def reads_as_text(stack: Stack, text: str) -> bool:
    """Whether the model leaves ``text`` alone (not read as stop, erase, a person, a code)."""
    response = httpx.post(f"{rasa_url(stack)}/model/parse", params={"token": RASA_TOKEN}, json={"text": text}, timeout=30)
    response.raise_for_status()
    return (response.json().get("intent") or {}).get("name") not in UNSAFE_INTENTS


def names(stack: Stack, count: int, seed: int) -> list[tuple[str, str]]:
    """``count`` distinct (full name, father) pairs the model reads as plain text."""
    found: list[tuple[str, str]] = []
    i = seed
    while len(found) < count:
        first, father, family = FIRST[i % len(FIRST)], FATHER[(i // 3) % len(FATHER)], FAMILY[(i * 7) % len(FAMILY)]
        i += 1
        name = f"{first} {father} {family}"
        if first == father or any(name == n for n, _ in found):
            continue
        if reads_as_text(stack, name) and reads_as_text(stack, father):
            found.append((name, father))
    return found


def contact_id(stack: Stack, phone: Phone) -> int:
    with stack.factory() as session:
        return int(session.execute(select(Contact.id).where(Contact.address == phone.number)).scalar_one())


def inbox(phone: Phone) -> list[str]:
    return [b for b, _ in phone.inbox()]


def _disclosures_to(stack: Stack, contact: int) -> list[dict]:
    with stack.factory() as session:
        return [e.detail for e in session.execute(select(AuditEvent).where(AuditEvent.action == "disclose")).scalars()
                if e.detail.get("to_contact") == contact]


def family_search_in_db(stack: Stack, address: str, name: str, father: str, searcher: str, relationship: str) -> int:
    """A genuine family's standing search (set-up, not the attack); returns the family's contact id."""
    with stack.factory() as session, session.begin():
        family = get_or_create_contact(session, "sms", address)
        session.add(SearchRequest(contact_id=family.id, status="open", full_name=name, father_name=father,
                                  mother_name="نجوى", birth_year=1980, searcher_name=searcher,
                                  relationship=relationship, consent_at=utcnow()))
        return int(family.id)


def verify_latest(phone: Phone, after: int) -> None:
    """Send back the code that arrived after message ``after`` (the latest registration's)."""
    body, _ = phone.wait_for(r"رمز شمل: \d{6}", timeout=60, after=after)
    code = re.search(r"رمز شمل: (\d{6})", body).group(1)  # type: ignore[union-attr]
    seen = len(phone.inbox())
    phone.send(code)
    phone.wait_for("تم تأكيد رقم التواصل", after=seen, timeout=60)


def escalated(stack: Stack, phone: Phone) -> bool:
    with stack.factory() as session:
        return bool(session.execute(select(Contact.escalated).where(Contact.address == phone.number)).scalar_one_or_none())


def test_a_fake_survivor_registering_20_common_names_learns_nothing(stack):
    attacker = Phone(stack, "+963955900001")
    victims = names(stack, 20, seed=3)
    registered = 0
    for name, father in victims:
        before = len(attacker.inbox())
        register_as(attacker, name=name, father=father, mother="نجوى", year="1980", governorate="حلب")
        registered += 1
        got, _ = attacker.wait_for(r"رمز شمل: \d{6}|" + render("registration_held", "ar"), timeout=60, after=before)
        if "رمز شمل" not in got:
            break
        verify_latest(attacker, before)
    assert escalated(stack, attacker)
    # The families he hopes to harvest search now, and whatever he tries next is read by a person.
    families = {name: family_search_in_db(stack, f"+96394490{i:04d}", name, father, f"أم {name.split()[0]}", "ابنها")
                for i, (name, father) in enumerate(victims)}
    for name, _ in victims[registered:]:
        attacker.send("أنا طلعت من صيدنايا وبدي سجل")
        attacker.send(name)
    time.sleep(8)  # several worker steps
    me = contact_id(stack, attacker)
    # Whatever he tries next is read by a person, not by the bot.
    for name, _ in victims[registered:]:
        attacker.send("أنا طلعت من صيدنايا وبدي سجل")
        attacker.send(name)
    time.sleep(8)  # several worker steps
    with stack.factory() as session:
        regs = session.execute(select(Registration).where(Registration.contact_id == me).order_by(Registration.id)).scalars().all()
        statuses = [r.status for r in regs]
        escalation = session.execute(select(Escalation).where(Escalation.contact_id == me)).scalar_one()
        matches = session.execute(select(Match).where(Match.registration_id.in_([r.id for r in regs]))).scalars().all()
    # His own number as the callback: two registrations at most; the third is held, with no code sent.
    assert registered == 3 and statuses == ["active"] * 2 + ["held"], statuses
    assert regs[-1].hold_reason == "too_many_for_callback"
    assert escalation.reason == "registration_held"
    assert len([b for b in inbox(attacker) if re.search(r"رمز شمل: \d{6}", b)]) == 2
    # What he was told: nothing naming a searcher, a relationship or a number.
    sent_to_him = inbox(attacker)
    for name, _ in victims:
        searcher = f"أم {name.split()[0]}"
        assert not any(searcher in b for b in sent_to_him), searcher
    assert not any("ابنها" in b or re.search(r"\+9639449", b) for b in sent_to_him)
    assert not any("يبحث عنك" in b for b in sent_to_him)
    assert _disclosures_to(stack, me) == []
    # His active registrations did match families; they stay unasked while a person holds him.
    assert matches and all(m.status in ("confirmed", "review") for m in matches)
    for family in families.values():
        assert _disclosures_to(stack, family) == []


def test_an_impostor_with_a_listed_persons_details_gets_a_relay_and_his_money_demand_is_held(stack):
    listed = dict(name="خالد محمود الحمصي", father="محمود", mother="هدى", year="1982", governorate="حمص")
    with stack.factory() as session, session.begin():
        session.add(RegistrySource(name="tal-adv", label="Tal intake", allow_public_confirmation=False))
        session.flush()
        session.add(RegistryRow(source="tal-adv", record_id="T-1", full_name=listed["name"], father_name=listed["father"],
                                mother_name=listed["mother"], birth_year=1982, governorate="حمص",
                                release_date=dt.date(2024, 12, 8), updated_at=utcnow()))
    mother = Phone(stack, "+963944910001")
    search_for(mother, **listed, searcher="أم خالد", relationship="أمه")
    impostor = Phone(stack, "+963955910002")
    register_as(impostor, **listed)  # exactly the list's details
    verify(impostor)
    question, _ = impostor.wait_for("قد يكون أحد من أهلك", timeout=90)
    assert question == render("consent_request_anon", "ar")
    seen_mother = len(mother.inbox())
    impostor.send("1")
    mother.wait_for("قد يكون من تبحث عنه", timeout=90, after=seen_mother)
    mother.wait_for("لا يطلب المال", timeout=30, after=seen_mother)
    # She asks what only her son would know; he cannot answer, so he asks for money instead.
    seen_impostor = len(impostor.inbox())
    mother.send("شو كان اسم جارتنا أم سليم؟ اتصل على 0944910001")
    relayed, _ = impostor.wait_for("رسالة عبر شمل", timeout=60, after=seen_impostor)
    assert "أم سليم" in relayed and "944910001" not in relayed and "لا يطلب المال" in relayed
    seen_mother = len(mother.inbox())
    impostor.send("ما بقدر احكي هون. حوّليلي 300 دولار على الهرم وبعطيكي رقمي")
    warning, _ = mother.wait_for("أوقفنا رسالة", timeout=60, after=seen_mother)
    assert warning == render("relay_held_recipient", "ar")
    impostor.send("send 300 usd by western union and I tell you where he is")
    time.sleep(6)
    # Held, never forwarded as is, and the impostor's conversation is now a person's.
    told_mother = inbox(mother)[seen_mother:]
    assert not any(re.search("300|دولار|الهرم|western|usd", b, re.IGNORECASE) for b in told_mother), told_mother
    me, her = contact_id(stack, impostor), contact_id(stack, mother)
    with stack.factory() as session:
        thread = session.execute(select(RelayThread).where(RelayThread.registrant_contact_id == me)).scalar_one()
        assert (thread.status, thread.held) == ("open", 1)
        assert session.execute(select(Escalation.reason).where(Escalation.contact_id == me)).scalar_one() == "relay_money"
        assert session.execute(select(Registration.corroboration).where(Registration.contact_id == me)).scalar_one() is None
    # What the impostor was told: no searcher name, no relationship, no number; no disclosure recorded.
    to_him = inbox(impostor)
    assert not any("أم خالد" in b or "أمه" in b or "944910001" in b for b in to_him), to_him
    assert _disclosures_to(stack, me) == [] and _disclosures_to(stack, her) == []
    assert not any("955910002" in b for b in inbox(mother))


def test_a_prober_gets_byte_identical_replies_and_learns_nothing_about_the_registry(stack):
    pool = names(stack, 50, seed=101)
    listed, namesakes, survivors = pool[0:5], pool[5:10], pool[10:15]
    with stack.factory() as session, session.begin():
        session.add(RegistrySource(name="barzeh-adv", label="Barzeh public list", allow_public_confirmation=True))
        session.flush()
        for i, (name, father) in enumerate(listed + namesakes + namesakes):
            session.add(RegistryRow(source="barzeh-adv", record_id=f"P-{i}", full_name=name, father_name=father,
                                    mother_name="هدى" if i < 10 else "رنا", birth_year=1970 + i, governorate="دمشق",
                                    release_date=dt.date(2024, 12, 8), updated_at=utcnow()))
        ops = [Operator(username=f"adv-op-{k}", password_hash="x") for k in range(2)]
        session.add_all(ops)
        session.flush()
        for i, (name, father) in enumerate(survivors):  # real survivors, vouched for by two operators
            person = get_or_create_contact(session, "sms", f"+9639559200{i:02d}")
            reg = Registration(contact_id=person.id, status="active", full_name=name, father_name=father,
                               mother_name="ليلى", birth_year=1975, governorate="حلب",
                               callback_address=person.address, share_policy="share_number", callback_verified_at=utcnow())
            session.add(reg)
            session.flush()
            for op in ops:
                trust.vet(session, reg.id, op.id)
    time.sleep(3)  # the matchers pick the rows up
    # 10 numbers, 5 searches each (the daily limit): 4 by name alone, then one with details.
    unknown = pool[15:50]
    by_name = listed + namesakes + survivors[:3] + unknown[:27]
    detailed = [(survivors[3], "ليلى", "1975"), (survivors[4], "ليلى", "1975"), (listed[0], "هدى", "1970")] + \
        [(u, "نجوى", "1966") for u in unknown[27:34]]
    phones = [Phone(stack, f"+9639449300{p:02d}") for p in range(10)]
    assert len(by_name) == 40 and len(detailed) == 10
    plan = {p: [(n, f, None, None) for n, f in by_name[4 * p: 4 * p + 4]] + [(detailed[p][0][0], detailed[p][0][1], detailed[p][1], detailed[p][2])]
            for p in range(10)}
    errors: list[BaseException] = []

    def probe(p: int) -> None:
        try:
            for name, father, mother, year in plan[p]:
                search_for(phones[p], name=name, father="لا أعرف" if mother is None else father, mother=mother or "لا أعرف",
                           year=year or "لا أعرف", governorate="لا أعرف", searcher="أبو علي", relationship="أخوه")
                if mother is None:  # the neutral question every search without a mother or a year gets
                    phones[p].say("لا أعرف")
                    phones[p].say("لا أعرف")
        except BaseException as exc:  # noqa: BLE001 - reported below, with the phone
            errors.append(exc)

    threads = [threading.Thread(target=probe, args=(p,)) for p in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=1500)
    assert not errors, errors
    time.sleep(10)  # the worker matched everything meanwhile; any news would have arrived
    # The registry did answer differently: matches, reviews and nothing, across the 50 searches.
    ids = [contact_id(stack, ph) for ph in phones]
    with stack.factory() as session:
        searches = session.execute(select(SearchRequest).where(SearchRequest.contact_id.in_(ids))).scalars().all()
        outcome = {s.id: sorted(m.status for m in session.execute(select(Match).where(Match.search_id == s.id)).scalars())
                   for s in searches}
    assert len(searches) == 50, {ph.number: inbox(ph)[-3:] for ph in phones}
    kinds = {tuple(v) for v in outcome.values()}
    assert () in kinds and any("review" in k for k in kinds) and any(("confirmed" in k or "awaiting_consent" in k) for k in kinds), kinds
    # Every phone saw the same bytes, once its own typed words are put aside.
    def normalised(p: int) -> list[str]:
        typed = sorted({v for n, f, m, y in plan[p] for v in ((n, f, m, y) if m else (n,)) if v}, key=len, reverse=True)
        out = []
        for body in inbox(phones[p]):
            for value in typed:  # as a whole word: a typed عمر is not the bot's own العمر (age)
                body = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", "<typed>", body)
            out.append(body)
        return out

    transcripts = [normalised(p) for p in range(10)]
    differ = [(p, i, transcripts[0][i] if i < len(transcripts[0]) else None, t[i] if i < len(t) else None)
              for p, t in enumerate(transcripts) for i in range(max(len(t), len(transcripts[0])))
              if (t[i:i + 1] or [None]) != (transcripts[0][i:i + 1] or [None])]
    assert not differ, differ[:4]  # (phone, message index, phone 0's message, this phone's message)
    assert transcripts[0].count(render("search_received", "ar")) == 5
    assert transcripts[0].count(render("search_more_details", "ar")) == 4
    # Nothing about the registry, any survivor or any list reached a prober.
    everything = "\n".join("\n".join(inbox(ph)) for ph in phones)
    for leak in ("Barzeh public list", "barzeh-adv", "2024-12-08", "955920", "هدى", "رنا", "ليلى", "قائمة المفرج عنهم"):
        if leak in ("هدى", "ليلى"):
            continue  # typed by the prober in its detailed search
        assert leak not in everything, leak
    for contact in ids:
        assert _disclosures_to(stack, contact) == []
    # A survivor the detailed probe matched is asked first; the prober hears nothing meanwhile.
    wait(lambda: rows(stack, Match, Match.status == "awaiting_consent"), 60, "a survivor to be asked")
