"""Retention: ``purge`` removes what is past its period and nothing else, is idempotent and reports counts."""

from __future__ import annotations

import datetime as dt
import json

import redis
from click.testing import CliRunner
from sqlalchemy import select, text

from bot.contacts import get_or_create_contact
from bot.models import AuditEvent, Escalation, Match, Message, Registration, SearchRequest
from bot.retention import RetentionPolicy, purge, purge_redis
from matching.store import utcnow
from shaml.cli import cli
from shaml.db import transaction
from tests.conftest import REDIS_URL

NOW = utcnow()


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def _world(factory) -> dict[str, int]:  # type: ignore[no-untyped-def]
    ids: dict[str, int] = {}
    with transaction(factory) as session:
        quiet = get_or_create_contact(session, "sms", "+963944100001")
        busy = get_or_create_contact(session, "sms", "+963944100002")
        session.add(Escalation(contact_id=busy.id, reason="requested", status="claimed"))
        media = [{"url": "https://media.example/1", "content_type": "image/jpeg"}]
        for name, contact, days, status, with_media in [
            ("old", quiet, 40, "processed", True), ("recent", quiet, 1, "processed", False),
            ("old_media", quiet, 10, "delivered", True), ("in_flight", quiet, 40, "received", False),
            ("with_operator", busy, 40, "processed", True),
        ]:
            message = Message(contact_id=contact.id, direction="in", status=status, body=f"نص {name}",
                              media=media if with_media else None, created_at=ago(days))
            session.add(message)
            session.flush()
            ids[name] = message.id
        for name, status, days in [("closed", "closed", 100), ("matched", "matched", 120), ("open", "open", 400),
                                   ("recently_closed", "closed", 10)]:
            search = SearchRequest(contact_id=quiet.id, status=status, full_name=f"اسم {name}")
            session.add(search)
            session.flush()
            session.execute(text("UPDATE search_requests SET updated_at = :t WHERE id = :i"), {"t": ago(days), "i": search.id})
            ids[f"search_{name}"] = search.id
        for name, status, sent in [("stale_code", "pending_verification", 10), ("fresh_code", "pending_verification", 1)]:
            registration = Registration(contact_id=busy.id, status=status, full_name=name, callback_address="+963955100002",
                                        verification_code_hash="x" * 64, verification_sent_at=ago(sent),
                                        verification_attempts=2)
            session.add(registration)
            session.flush()
            ids[name] = registration.id
        session.add(Match(search_id=ids["search_closed"], registration_id=ids["fresh_code"], decision="review",
                          status="review", score=0.8))
    return ids


def test_purge_removes_what_is_past_its_period_and_only_that(pg_factory) -> None:  # type: ignore[no-untyped-def]
    ids = _world(pg_factory)
    with transaction(pg_factory) as session:
        session.execute(text("CREATE TABLE events (id serial primary key, sender_id varchar(255), timestamp float, data text)"))
        session.execute(text("INSERT INTO events (sender_id, timestamp, data) VALUES "
                             "('1', :old, 'a'), ('1', :old, 'b'), ('2', :old, 'c'), ('2', :new, 'd')"),
                        {"old": ago(45).timestamp(), "new": ago(2).timestamp()})
    try:
        with transaction(pg_factory) as session:
            report = purge(session, RetentionPolicy(), now=NOW)
        assert report.counts == {"message_bodies": 1, "media_references": 1, "verification_attempts": 1,
                                 "their_matches": 1, "closed_searches": 2, "closed_registrations": 0,
                                 "tracker_events": 2}
        with pg_factory() as session:
            messages = {m.id: m for m in session.execute(select(Message)).scalars()}
            assert messages[ids["old"]].body is None and messages[ids["old"]].media is None
            assert messages[ids["old_media"]].body == "نص old_media" and messages[ids["old_media"]].media is None
            assert messages[ids["recent"]].body == "نص recent"
            assert messages[ids["in_flight"]].body == "نص in_flight"  # not handled yet: never purged
            assert messages[ids["with_operator"]].body == "نص with_operator"  # an operator may still read it
            searches = set(session.execute(select(SearchRequest.id)).scalars())
            assert searches == {ids["search_open"], ids["search_recently_closed"]}
            registrations = {r.full_name: r for r in session.execute(select(Registration)).scalars()}
            assert registrations["stale_code"].verification_code_hash is None
            assert registrations["stale_code"].verification_attempts == 0
            assert registrations["fresh_code"].verification_code_hash == "x" * 64
            assert session.execute(select(Match)).first() is None
            # a conversation still going keeps its older events too
            assert sorted(session.execute(text("SELECT data FROM events")).scalars()) == ["c", "d"]
            trail = session.execute(select(AuditEvent).where(AuditEvent.action.like("retention%"))).scalars().all()
            assert {e.action for e in trail} == {"retention_purge", "retention_closed_requests"}
            assert "اسم" not in json.dumps([e.detail for e in trail], ensure_ascii=False)
        # Idempotent: a second run removes nothing and writes no new audit event.
        with transaction(pg_factory) as session:
            again = purge(session, RetentionPolicy(), now=NOW)
        assert not any(again.counts.values())
        with pg_factory() as session:
            assert len(session.execute(select(AuditEvent).where(AuditEvent.action == "retention_purge")).all()) == 1
    finally:
        with transaction(pg_factory) as session:
            session.execute(text("DROP TABLE IF EXISTS events"))


def test_rate_keys_left_without_expiry_are_removed(redis_prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    client.set(f"{redis_prefix}rate:sms:abc:1", 3)  # a cut pipeline: INCR without EXPIRE
    client.set(f"{redis_prefix}rate:sms:abc:2", 3, ex=120)
    client.set(f"{redis_prefix}told-rate:7", 1, ex=100_000)
    client.set(f"{redis_prefix}dedupe:SM1", 1)  # not a rate key: left alone
    assert purge_redis(client, redis_prefix, RetentionPolicy(rate_key_seconds=600)) == 2
    assert client.exists(f"{redis_prefix}rate:sms:abc:1") == 0
    assert 0 < client.ttl(f"{redis_prefix}rate:sms:abc:2") <= 120
    assert 0 < client.ttl(f"{redis_prefix}told-rate:7") <= 600
    assert client.exists(f"{redis_prefix}dedupe:SM1") == 1
    assert purge_redis(client, redis_prefix, RetentionPolicy(rate_key_seconds=600)) == 0
    client.close()


def test_the_command_reports_counts(pg_only_url, redis_prefix, shaml_env) -> None:  # type: ignore[no-untyped-def]
    from shaml.settings import reset_settings

    shaml_env.setenv("SHAML_DATABASE_URL", pg_only_url)
    shaml_env.setenv("SHAML_REDIS_PREFIX", redis_prefix)
    reset_settings()
    first = CliRunner().invoke(cli, ["purge"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("purged: message_bodies 0, media_references 0, verification_attempts 0")
    assert "redis_keys 0" in first.output


def test_the_worker_purges_once_a_day_whichever_worker_comes_first(pg_factory, redis_prefix, shaml_env) -> None:  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    from shaml.commands.gateway import daily_purge
    from shaml.settings import Settings

    ids = _world(pg_factory)
    client = redis.Redis.from_url(REDIS_URL)
    gateway = SimpleNamespace(redis=client, factory=pg_factory,
                              key=lambda *parts: redis_prefix + ":".join(str(p) for p in parts))
    settings = Settings.from_env({"SHAML_REDIS_PREFIX": redis_prefix})
    try:
        assert daily_purge(gateway, settings) is True
        assert daily_purge(gateway, settings) is False  # another worker, the same day
        assert 86000 < client.ttl(f"{redis_prefix}purge") <= 86400
    finally:
        client.close()
    with pg_factory() as session:
        assert session.get(Message, ids["old"]).body is None
        assert session.get(Message, ids["recent"]).body == "نص recent"
