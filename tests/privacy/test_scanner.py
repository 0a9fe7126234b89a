"""The leaked-dump scanner finds what it looks for: plain, without +, JSON-escaped, base64 at any offset, zlib in Redis."""

from __future__ import annotations

import base64
import json
import zlib

import redis
from sqlalchemy import text

from shaml.db import make_engine
from shaml.privacy_scan import needles, scan_database, scan_redis, scan_text
from tests.conftest import REDIS_URL

WANTED = needles({"phone number": ["+963944870009"], "name": ["يزن مازن الخطيب"]})


def test_every_form_is_found_in_text() -> None:
    for leak in ["call +963944870009", "963944870009", "0944870009", json.dumps("يزن مازن الخطيب"),
                 base64.b64encode(b"x+963944870009").decode(), base64.urlsafe_b64encode("ab يزن مازن الخطيب".encode()).decode()]:
        assert scan_text("t", f"before {leak} after", WANTED), leak
    assert not scan_text("t", "+963944870008 يزن", WANTED)


def test_tables_and_redis_are_read(pg_only_url: str, redis_prefix: str) -> None:
    engine = make_engine(pg_only_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO operators (username, display_name, password_hash, role, active, failed_logins, created_at) "
                          "VALUES ('x', 'يزن مازن الخطيب', 'h', 'operator', true, 0, now())"))
    _, found = scan_database(engine, WANTED)
    engine.dispose()
    assert [f.place for f in found] == ["table operators"]
    client = redis.Redis.from_url(REDIS_URL)
    client.set(f"{redis_prefix}job", zlib.compress(b"args: +963944870009"))
    keys, found = scan_redis(client, [f"{redis_prefix}*"], WANTED)
    client.close()
    assert keys == 1 and found and found[0].what == "phone number"
