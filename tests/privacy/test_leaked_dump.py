"""A leaked dump shows nothing: the whole journey on PostgreSQL, then every table, Redis key and log is searched.

The stack is the end-to-end one (web service, worker, Rasa with its SQL tracker store in the same
database, action server, fake Twilio). A family searches, a released person registers, verifies
the callback number and agrees to share it, the family gets it. Then, as an attacker holding a
database dump, a Redis dump and the logs would, every one of them is read and searched for the
journey's phone numbers, names, callback number and typed sentences, plain or base64.
"""

from __future__ import annotations

import re

import redis
from sqlalchemy import text

from shaml.privacy_scan import needles, scan_database, scan_redis, scan_text
from tests.conftest import REDIS_URL
from tests.reunion.test_end_to_end import Phone, register_as, search_for, stack, verify, vouch  # noqa: F401 (fixture)

FAMILY, SURVIVOR = "+963944870001", "+963955870002"
PERSON = dict(name="يزن مازن الخطيب", father="مازن", mother="رهف", year="1987", governorate="حماة")
SEARCHER, RELATIONSHIP = "لمى", "أخته"
SENTENCES = ("بدي دور على أخي", "أنا طلعت من صيدنايا وبدي سجل")


def test_nothing_a_family_or_survivor_typed_is_readable_in_a_dump(stack) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    family = Phone(stack, FAMILY)
    survivor = Phone(stack, SURVIVOR, whatsapp=True)
    search_for(family, **PERSON, searcher=SEARCHER, relationship=RELATIONSHIP)
    register_as(survivor, **PERSON)
    vouch(stack, survivor)  # two operators spoke with him: the consent question may name the searcher
    verify(survivor)
    survivor.wait_for("طلب بحث عنك", timeout=60)
    survivor.send("١")
    family.wait_for(re.escape(SURVIVOR), timeout=60)  # the callback number was disclosed, by message only

    wanted = needles({
        "phone number": [FAMILY, SURVIVOR],
        "name": [PERSON["name"], PERSON["father"], "الخطيب"],
        "typed sentence": list(SENTENCES),
    })
    # Words too short to search inside other text (3 letters, a year) are looked for as whole values.
    exact_short = {PERSON["father"], PERSON["mother"], SEARCHER, RELATIONSHIP, PERSON["governorate"], PERSON["year"]}
    tables, in_db = scan_database(stack.engine, wanted)
    assert tables >= 14, "Shaml's and Rasa's tables"
    with stack.engine.connect() as conn:
        names = {r[0] for r in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))}
        assert "events" in names, "Rasa's tracker events are in this database and were read"
        for table in names:
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    if isinstance(value, str) and value.strip() in exact_short:
                        in_db.append(f"table {table}: a whole value is {value.strip()!r}")  # type: ignore[arg-type]
        events = conn.execute(text("SELECT data FROM events")).scalars().all()
        assert events and all(e.startswith("v1:") for e in events)
    prefix = stack.env["SHAML_REDIS_PREFIX"]
    client = redis.Redis.from_url(REDIS_URL)
    lock_prefix = re.sub(r"[^A-Za-z0-9]", "", prefix) + "rasa"
    keys, in_redis = scan_redis(client, [f"{prefix}*", f"{lock_prefix}*", "rq:*"], wanted)
    client.close()
    assert keys > 0
    in_logs = scan_text("logs", stack.text(), wanted)
    assert not in_db, f"readable in the database: {in_db[:5]}"
    assert not in_redis, f"readable in Redis: {in_redis[:5]}"
    assert not in_logs, f"readable in the logs: {in_logs[:5]}"
