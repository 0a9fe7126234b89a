"""The trust scenarios of ``shaml bench resilience``: a prober searching many names, a fake survivor registering many."""

from __future__ import annotations

import asyncio
import re
import statistics
import threading
import time
from typing import Any

from sqlalchemy import text

from bot.crypto import blind, open_value

#: A name-only search, typed as a prober would: everything but the name is "don't know".
PROBE = ("بدي دور على أخي", "{name}", "لا أعرف", "لا أعرف", "لا أعرف", "لا أعرف", "لا أعرف", "سامر", "أخوه", "نعم", "نعم",
         "لا أعرف", "لا أعرف")
#: Invented family names no registry row carries, for names that match nothing.
INVENTED = ("الزمرّدي", "القرنفلي", "الياسميني", "البنفسجي", "الكهرماني")
_CODE = re.compile(r"رمز شمل: (\d{6})")


def _turns(run: Any, phones: Any, contact: int, lines: list[str], start: int, gap: float = 0.0) -> int:
    """Type ``lines`` from one phone, each after the previous one was handled and at least ``gap``
    seconds after it was sent; returns the next sequence number.
    """
    seq = start

    async def go() -> None:
        nonlocal seq
        async with phones.client() as client:
            for line in lines:
                sent_at = time.monotonic()
                message = phones.new(contact, seq, line)
                await phones.post(client, message)
                seq += 1
                await asyncio.get_running_loop().run_in_executor(None, run._processed, message.sid)
                await asyncio.sleep(max(0.0, gap - (time.monotonic() - sent_at)))

    asyncio.run(go())
    return seq


def prober(run: Any) -> None:
    """Numbers search names from the registry and invented ones: is every reply the same, in words, count and time?"""
    # Under the gateway's 20 messages a minute per number: one search (13 turns) per number in the
    # quick plan; the full plan's 5 searches per number are typed one turn every 3.1 s, in parallel.
    numbers, per, gap = (4, 1, 0.0) if run.plan.quick else (10, 5, 3.1)
    phones = run.phones()
    with run.ledger.engine.connect() as conn:
        listed = conn.execute(text("SELECT full_name FROM registry_records WHERE deleted_at IS NULL ORDER BY id LIMIT :n"),
                              {"n": numbers * per}).scalars().all()
    plan: dict[int, list[tuple[str, bool]]] = {}
    for c in range(numbers):
        names = []
        for k in range(per):
            i = c * per + k
            if i % 2 == 0 and i // 2 < len(listed):
                names.append((listed[i // 2], True))
            else:
                names.append((f"{listed[i % len(listed)].split()[0]} سليم {INVENTED[i % len(INVENTED)]}", False))
        plan[c] = names
    def phone(c: int) -> None:
        seq = 0
        for name, _ in plan[c]:
            seq = _turns(run, phones, c, [line.format(name=name) for line in PROBE], seq, gap)

    threads = [threading.Thread(target=phone, args=(c,)) for c in plan]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.finish(f"prober: {numbers} numbers, {numbers * per} name-only searches", phones)
    replies: dict[bool, list[tuple[str, ...]]] = {True: [], False: []}
    delays: dict[bool, list[float]] = {True: [], False: []}
    disclosed = 0
    with run.ledger.engine.connect() as conn:
        for c, names in plan.items():
            contact = conn.execute(text("SELECT id FROM contacts WHERE address_bidx = :a"),
                                   {"a": blind("address", phones.number(c))}).scalar_one()
            inbound = conn.execute(text("SELECT id, body, created_at FROM messages WHERE contact_id = :c AND direction = 'in' ORDER BY id"),
                                   {"c": contact}).all()
            out = conn.execute(text("SELECT reply_to_id, body, created_at FROM messages WHERE contact_id = :c AND direction = 'out' ORDER BY id"),
                               {"c": contact}).all()
            disclosed += conn.execute(text("SELECT count(*) FROM audit_events WHERE action = 'disclose' AND detail::text LIKE :c"),
                                      {"c": f'%"to_contact": {contact}%'}).scalar_one()
            # The consent "نعم" is the 11th line of each search: its replies are the search's answer.
            for k, (name, is_listed) in enumerate(names):
                consent = inbound[k * len(PROBE) + 10]
                answer = [r for r in out if r[0] == consent[0]]
                replies[is_listed].append(tuple(str(_opened(r[1])).replace(name, "<name>") for r in answer))
                if answer:
                    delays[is_listed].append((answer[0][2] - consent[2]).total_seconds() * 1000)
    distinct = set(replies[True]) | set(replies[False])
    med = {k: (statistics.median(v) if v else float("nan")) for k, v in delays.items()}
    run.check("prober: one reply for every outcome", len(distinct) == 1 and disclosed == 0,
              f"{len(distinct)} distinct reply sets over {sum(map(len, replies.values()))} searches "
              f"({len(replies[True])} listed names, {len(replies[False])} invented), {len(next(iter(distinct), ()))} messages each; "
              f"median reply time listed {med[True]:.0f} ms vs invented {med[False]:.0f} ms; {disclosed} disclosures")


def fake_survivor(run: Any) -> None:
    """One phone registers many names with its own number as the callback: how many become active, how many codes go out?"""
    count = 3 if run.plan.quick else 20
    phones = run.phones()
    with run.ledger.engine.connect() as conn:
        # Names from the sample lists, not the hostile CSV's rows (formula cells are not names a form takes).
        people = conn.execute(text("SELECT full_name, father_name FROM registry_records WHERE father_name IS NOT NULL "
                                   "AND deleted_at IS NULL AND source <> 'hostile' ORDER BY id DESC LIMIT :n"),
                              {"n": count}).all()
    seq, attempts, silenced = 0, 0, False
    for name, father in people:
        before = _codes(run, phones.number(0))
        # 3.1 s a turn keeps the phone under the gateway's 20 messages a minute, so what stops it is the cap.
        seq = _turns(run, phones, 0, ["أنا طلعت من صيدنايا وبدي سجل", name, father, "لا أعرف", "1980", "حلب", "1", "1", "نعم"], seq, 3.1)
        attempts += 1
        code = _new_code(run, phones.number(0), before)
        if code:
            seq = _turns(run, phones, 0, [code], seq, 3.1)
        elif _escalated(run, phones.number(0)):
            silenced = True  # a person holds the conversation: the rest would reach an operator, not the bot
            break
    run.finish(f"fake survivor: {len(people)} registrations from one phone", phones)
    with run.ledger.engine.connect() as conn:
        contact = conn.execute(text("SELECT id FROM contacts WHERE address_bidx = :a"),
                               {"a": blind("address", phones.number(0))}).scalar_one()
        statuses = conn.execute(text("SELECT status FROM registrations WHERE contact_id = :c"), {"c": contact}).scalars().all()
        codes = conn.execute(text("SELECT count(*) FROM messages WHERE contact_id = :c AND kind = 'verification'"), {"c": contact}).scalar_one()
        reasons = conn.execute(text("SELECT reason FROM escalations WHERE contact_id = :c"), {"c": contact}).scalars().all()
        # Bodies are sealed: opened here, as an operator's page would.
        sent = conn.execute(text("SELECT body, kind FROM messages WHERE contact_id = :c AND direction = 'out'"),
                            {"c": contact}).all()
        # The consent question names the searcher ("وصلنا طلب بحث عنك من …"); the anonymous one does not.
        named = sum(1 for body, kind in sent if kind == "disclosure" or "طلب بحث عنك" in (_opened(body) or ""))
    active, held = statuses.count("active"), statuses.count("held")
    run.check("fake survivor contained", active <= 2 and held >= 1 and named == 0 and silenced and "registration_held" in reasons,
              f"{attempts} of {len(people)} registrations typed before a person took the conversation ({', '.join(sorted(set(reasons)))}): "
              f"{len(statuses)} stored, {active} active, {held} held for an operator, {codes} codes sent, "
              f"{named} messages naming a searcher or disclosing")


def _escalated(run: Any, number: str) -> bool:
    with run.ledger.engine.connect() as conn:
        return bool(conn.execute(text("SELECT escalated FROM contacts WHERE address_bidx = :a"),
                                 {"a": blind("address", number)}).scalar_one_or_none())


def _codes(run: Any, number: str) -> list[str]:
    # What the phone received, from the providers' fakes: a sent code's stored text is scrubbed (issue 15).
    deliveries = [d for api in run.stack.apis for d in api.snapshot()]
    bodies = [d.body for d in sorted(deliveries, key=lambda d: d.at) if d.to.removeprefix("whatsapp:") == number]
    return [found.group(1) for found in map(_CODE.search, bodies) if found]


def _new_code(run: Any, number: str, before: list[str], wait: float = 20.0) -> str | None:
    """The code sent after ``before`` (the worker sends it within a step or two), or None when none came."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        codes = _codes(run, number)
        if len(codes) > len(before):
            return codes[-1]
        time.sleep(0.2)
    return None


def _opened(value: str | None) -> str | None:
    """A sealed value read with plain SQL, opened (docs/privacy.md)."""
    return None if value is None else open_value(value)
