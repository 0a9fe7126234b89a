"""0009_encryption upgrades a database made by the previous version: every value sealed, nothing lost, resumable."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from bot.contacts import get_or_create_contact
from bot.crypto import is_sealed
from bot.crypto import reseal as reseal_module
from bot.models import Contact, Match, Message, Registration, SearchRequest
from shaml.db import (
    current_revision,
    head_revision,
    make_engine,
    session_factory,
    transaction,
    upgrade,
)
from tests.conftest import POSTGRES_ADMIN_URL, _admin_connection

FAMILY, SURVIVOR = "+963944100001", "+963955100002"


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A database with nothing in it (not migrated), dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    name = f"shaml_mig_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    conn = _admin_connection()
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.close()


def _old_rows(url: str, families: int = 7) -> None:
    """What the previous version (0005) stored: everything in plain text."""
    engine = make_engine(url)
    with engine.begin() as conn:
        for i in range(families):
            address = f"+9639441000{i:02d}"
            cid = conn.execute(text(
                "INSERT INTO contacts (channel, address, language, opted_out, escalated, created_at) "
                "VALUES ('sms', :a, 'ar', false, false, CURRENT_TIMESTAMP) RETURNING id"), {"a": address}).scalar_one()
            conn.execute(text(
                "INSERT INTO messages (contact_id, direction, author, body, media, status, attempts, rate_limited, created_at, updated_at) "
                "VALUES (:c, 'in', 'user', :b, :m, 'processed', 0, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                {"c": cid, "b": f"أبحث عن أخي رقم {i}", "m": json.dumps([{"url": f"https://media.example/{i}", "content_type": "image/jpeg"}])})
            sid = conn.execute(text(
                "INSERT INTO search_requests (contact_id, status, full_name, father_name, mother_name, birth_year, governorate, "
                "detention_place, detention_date, searcher_name, relationship, created_at, updated_at) VALUES "
                "(:c, 'open', :n, 'أحمد', 'فاطمة', :y, 'حلب', 'صيدنايا', '2013-05', 'سعاد', 'أخت', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id"),
                {"c": cid, "n": f"محمد الحلبي {i}", "y": 1980 + i}).scalar_one()
            rid = conn.execute(text(
                "INSERT INTO registrations (contact_id, status, full_name, birth_year, callback_address, share_policy, "
                "verification_attempts, created_at, updated_at) VALUES (:c, 'active', :n, :y, :cb, 'share_number', 0, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id"),
                {"c": cid, "n": f"سامر {i}", "y": 1970 + i, "cb": f"+9639551000{i:02d}"}).scalar_one()
            conn.execute(text(
                "INSERT INTO matches (search_id, registration_id, decision, status, score, explanation, note, created_at, updated_at) "
                "VALUES (:s, :r, 'review', 'review', 0.8, :e, :n, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                {"s": sid, "r": rid, "e": '{"name": 0.9}', "n": f"ملاحظة {i}"})
    engine.dispose()


def _check_everything_kept(url: str, families: int = 7) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        for table, column in [("contacts", "address"), ("messages", "body"), ("messages", "media"),
                              ("search_requests", "full_name"), ("search_requests", "birth_year"),
                              ("registrations", "callback_address"), ("registrations", "share_policy"),
                              ("matches", "explanation"), ("matches", "note")]:
            values = conn.execute(text(f"SELECT {column} FROM {table}")).scalars().all()
            assert len(values) == families and all(is_sealed(v) for v in values), (table, column)
            # Sealed exactly once: one layer opens to the plain value.
    factory = session_factory(engine)
    with factory() as session:
        for i in range(families):
            contact = session.execute(select(Contact).where(Contact.address == f"+9639441000{i:02d}")).scalar_one()
            message = session.execute(select(Message).where(Message.contact_id == contact.id)).scalar_one()
            assert message.body == f"أبحث عن أخي رقم {i}"
            assert message.media == [{"url": f"https://media.example/{i}", "content_type": "image/jpeg"}]
            search = session.execute(select(SearchRequest).where(SearchRequest.contact_id == contact.id)).scalar_one()
            assert (search.full_name, search.father_name, search.mother_name, search.birth_year, search.governorate,
                    search.detention_place, search.detention_date, search.searcher_name, search.relationship) == (
                f"محمد الحلبي {i}", "أحمد", "فاطمة", 1980 + i, "حلب", "صيدنايا", "2013-05", "سعاد", "أخت")
            registration = session.execute(select(Registration).where(Registration.contact_id == contact.id)).scalar_one()
            assert (registration.full_name, registration.birth_year, registration.callback_address,
                    registration.share_policy) == (f"سامر {i}", 1970 + i, f"+9639551000{i:02d}", "share_number")
            match = session.execute(select(Match).where(Match.search_id == search.id)).scalar_one()
            assert (match.explanation, match.note) == ({"name": 0.9}, f"ملاحظة {i}")
    # The upgraded database keeps working: the same number is the same contact, a new one is new.
    with transaction(factory) as session:
        assert get_or_create_contact(session, "sms", "+963944100003").id == 4
        assert get_or_create_contact(session, "sms", "+963944199999").id == families + 1
    engine.dispose()


def test_a_database_of_the_previous_version_is_sealed_with_nothing_lost(empty_url: str) -> None:
    upgrade(empty_url, "0005")
    _old_rows(empty_url)
    upgrade(empty_url)
    engine = make_engine(empty_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()
    _check_everything_kept(empty_url)


def test_an_interrupted_upgrade_finishes_when_run_again(empty_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    upgrade(empty_url, "0005")
    _old_rows(empty_url)
    real_seal = reseal_module.Keyring.seal
    calls = {"n": 0}

    def crash_after_ten(self, plaintext):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > 10:
            raise KeyboardInterrupt("power cut")
        return real_seal(self, plaintext)

    monkeypatch.setattr(reseal_module.Keyring, "seal", crash_after_ten)
    with pytest.raises(KeyboardInterrupt):
        upgrade(empty_url)
    monkeypatch.setattr(reseal_module.Keyring, "seal", real_seal)
    engine = make_engine(empty_url)
    # The revisions before the sealing one are done; 0009 is not recorded until it has finished.
    assert current_revision(engine) == "0008_raw_answers"
    with engine.connect() as conn:
        addresses = conn.execute(text("SELECT address FROM contacts")).scalars().all()
    engine.dispose()
    # The batches before the crash stayed sealed; the rest is still plain and readable.
    assert sum(is_sealed(a) for a in addresses) == 7 and len(addresses) == 7
    upgrade(empty_url)
    _check_everything_kept(empty_url)
