"""Reunion commands: ``shaml reunion-worker`` and the wiring of the match worker from the settings."""

from __future__ import annotations

import logging
import threading

import click

from shaml.settings import Settings, get_settings

log = logging.getLogger(__name__)


def reunion_config(settings: Settings):  # type: ignore[no-untyped-def]
    """The workflow's limits and delays from the settings."""
    from bot.reunion.config import ReunionConfig

    return ReunionConfig(
        search_limit_per_day=settings.search_limit_per_day,
        probe_limit=settings.search_probe_limit,
        cooldown_seconds=settings.search_cooldown_seconds,
        consent_reminder_seconds=settings.consent_reminder_seconds,
        consent_timeout_seconds=settings.consent_timeout_seconds,
        code_ttl_seconds=settings.code_ttl_seconds,
        code_max_attempts=settings.code_max_attempts,
        list_news_delay_seconds=settings.list_news_delay_seconds,
        redis_prefix=settings.redis_prefix,
    )


def build_reunion_worker(settings: Settings, *, factory=None, registry=None):  # type: ignore[no-untyped-def]
    """The match worker wired from settings: database, registry matcher, Rasa's API, the outbox, Redis."""
    import redis

    from bot.reunion.messaging import RqOutboxWaker
    from bot.reunion.rasa_api import RasaApi
    from bot.reunion.worker import ReunionWorker
    from matching.service import RegistryMatcher
    from shaml.db import make_engine, session_factory

    factory = factory or session_factory(make_engine(settings.database_url))
    client = redis.Redis.from_url(settings.redis_url)
    rasa = RasaApi(settings.rasa_url, token=settings.rasa_token, timeout=settings.rasa_timeout_seconds)
    if registry is None:
        # Loaded by the worker's first step, in its own thread: a big registry must not delay the
        # gateway's queues when `shaml worker` starts.
        registry = RegistryMatcher(factory, refresh_seconds=settings.matcher_refresh_seconds)
    return ReunionWorker(
        factory,
        registry,
        reunion_config(settings),
        prompter=rasa,
        tracker_eraser=rasa,
        waker=RqOutboxWaker(client, settings.redis_prefix),
        redis_client=client,
    )


def start_reunion_thread(settings: Settings | None = None) -> threading.Thread:
    """Start the match worker in a daemon thread of this process (``shaml worker`` calls this)."""
    settings = settings or get_settings()
    worker = build_reunion_worker(settings)
    return worker.start_thread(settings.reunion_poll_seconds)


def register(cli: click.Group, bench: click.Group) -> None:
    """Add ``reunion-worker``."""

    @cli.command("reunion-worker")
    @click.option("--once", is_flag=True, help="Run one step and stop (for scripts and tests).")
    def reunion_worker(once: bool) -> None:
        """The match worker alone: re-matching on every change, consent flow, reminders, erasures."""
        from shaml.keys import start_or_exit

        settings = get_settings()
        start_or_exit(settings)
        worker = build_reunion_worker(settings)
        if once:
            report = worker.step()
            click.echo(
                f"searches matched {report.searches_matched}, matches created {report.matches_created}, "
                f"asked {report.asked}, notified {report.notified}, reminded {report.reminded}, "
                f"escalated {report.escalated}, erased {report.erased}"
            )
            return
        log.info("reunion worker running; polling every %d s", settings.reunion_poll_seconds)
        worker.run(settings.reunion_poll_seconds)

    @bench.command("reunion")
    @click.option("--searches", type=click.IntRange(1, 1_000_000), default=5000, show_default=True, help="Open searches.")
    @click.option("--registrations", type=click.IntRange(1, 10_000), default=20, show_default=True, help="Activations timed.")
    @click.option("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres", show_default=True,
                  help="Server to create a throwaway benchmark database on.")
    def bench_reunion(searches: int, registrations: int, postgres: str) -> None:
        """Re-matching after one registration: incremental step beside rescanning every open search."""
        from shaml.bench.reunion import run

        run(searches, registrations, postgres, click.echo)
