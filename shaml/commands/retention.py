"""``shaml purge``: remove what is past its retention period (docs/privacy.md); the worker runs it daily."""

from __future__ import annotations

import logging

import click

from shaml.settings import Settings, get_settings

log = logging.getLogger(__name__)


def policy(settings: Settings):  # type: ignore[no-untyped-def]
    """The retention periods from the settings."""
    from bot.retention import RetentionPolicy

    return RetentionPolicy(
        message_days=settings.retain_message_days,
        media_days=settings.retain_media_days,
        tracker_days=settings.retain_tracker_days,
        verification_days=settings.retain_verification_days,
        closed_request_days=settings.retain_closed_request_days,
        rate_key_seconds=settings.retain_rate_key_seconds,
    )


def run_purge(settings: Settings, factory=None, client=None) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """One purge of the database and Redis; returns the counts by kind."""
    import redis

    from bot.retention import purge, purge_redis
    from shaml.db import make_engine, session_factory, transaction

    engine = None
    if factory is None:
        engine = make_engine(settings.database_url)
        factory = session_factory(engine)
    try:
        with transaction(factory) as session:
            counts = dict(purge(session, policy(settings)).counts)
    finally:
        if engine is not None:
            engine.dispose()
    own = client is None
    client = client or redis.Redis.from_url(settings.redis_url)
    try:
        counts["redis_keys"] = purge_redis(client, settings.redis_prefix, policy(settings))
    finally:
        if own:
            client.close()
    return counts


def register(cli: click.Group, bench: click.Group) -> None:
    """Add ``purge``."""

    @cli.command("purge")
    def purge_cmd() -> None:
        """Remove message texts, media links, tracker sessions, codes and closed requests past their period."""
        settings = get_settings()
        counts = run_purge(settings)
        click.echo("purged: " + ", ".join(f"{kind} {count}" for kind, count in counts.items()))
