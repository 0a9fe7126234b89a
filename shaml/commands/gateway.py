"""Gateway commands: ``shaml serve`` (the web service), ``shaml worker`` (the queues), ``shaml bench gateway``."""

from __future__ import annotations

import logging
import threading
import time

import click
from redis.exceptions import RedisError

from shaml.settings import get_settings

log = logging.getLogger(__name__)


def run_worker(*, burst: bool = False, sweep: bool = True) -> None:
    """One worker process: recovery sweep, then the periodic sweeper and the RQ loop on both queues."""
    from rq import Queue, SimpleWorker

    from bot.gateway import jobs
    from shaml.keys import start_or_exit
    from shaml.web import build_gateway

    settings = get_settings()
    gateway = build_gateway(settings)
    start_or_exit(settings, gateway.factory.kw["bind"])
    jobs.configure(gateway)
    try:
        woken = jobs.sweep(gateway)  # recovery: anything persisted but not finished before a crash
        log.info("worker started; recovery sweep woke %d contacts for inbound and %d for outbound work", *woken)
    except RedisError as exc:
        log.warning("worker started while Redis is unavailable (%s); the periodic sweep recovers instead", type(exc).__name__)
    stop = threading.Event()

    def sweeper() -> None:
        while not stop.wait(settings.sweep_seconds):
            try:
                jobs.sweep_if_leader(gateway)
            except Exception:  # noqa: BLE001 - a failed sweep must not end the worker; the next one retries
                log.exception("sweep failed")
            try:
                daily_purge(gateway, settings)
            except Exception:  # noqa: BLE001 - the next sweep tries again
                log.exception("retention purge failed")

    if sweep and not burst:
        threading.Thread(target=sweeper, name="sweeper", daemon=True).start()
    if not burst:
        # The match worker (bot/reunion) steps in a thread of each worker process; one leads at a time.
        from shaml.commands.reunion import start_reunion_thread

        start_reunion_thread(settings)
    from bot.gateway.context import JOB_SERIALIZER

    queues = [Queue(name, connection=gateway.redis, serializer=JOB_SERIALIZER)
              for name in (gateway.config.inbound_queue, gateway.config.outbox_queue)]
    # SimpleWorker runs jobs in this process (no fork per job): the database pool and the Rasa and
    # Twilio connections are reused, and the database, not RQ, remembers what is unfinished.
    pause = 0.5
    try:
        while True:
            started = time.monotonic()
            try:
                SimpleWorker(queues, connection=gateway.redis, serializer=JOB_SERIALIZER).work(
                    burst=burst, logging_level=settings.log_level, with_scheduler=False
                )
                return  # burst done, or asked to stop
            except RedisError as exc:
                # Redis restarting or unreachable: the database keeps every message, so wait and
                # start the RQ loop again instead of ending the process.
                if burst:
                    raise
                if time.monotonic() - started > 30:
                    pause = 0.5  # a new outage after a good spell starts from the short wait again
                log.warning("Redis unavailable (%s); the worker starts again in %.1f s", type(exc).__name__, pause)
                time.sleep(pause)
                pause = min(pause * 2, 5.0)
    finally:
        stop.set()


#: Seconds between two retention purges; one worker of all does it (a Redis key elects it).
PURGE_PERIOD = 86400


def daily_purge(gateway, settings) -> bool:  # type: ignore[no-untyped-def]
    """Run ``shaml purge`` if no worker has in the last day; returns whether this one did."""
    if not gateway.redis.set(gateway.key("purge"), "1", nx=True, ex=PURGE_PERIOD):
        return False
    from shaml.commands.retention import run_purge

    counts = run_purge(settings, gateway.factory, gateway.redis)
    log.info("retention purge: %s", ", ".join(f"{kind} {count}" for kind, count in counts.items()))
    return True


def register(cli: click.Group, bench: click.Group) -> None:
    """Add ``serve``, ``worker`` and ``bench gateway``."""

    @cli.command()
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
    @click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Web processes.")
    @click.option("--access-log/--no-access-log", default=False, show_default=True)
    def serve(host: str, port: int, workers: int, access_log: bool) -> None:
        """The web service: Twilio webhooks, status callbacks, health checks (and the simulator in demo mode)."""
        import uvicorn

        from shaml.safety import guard

        settings = get_settings()
        guard(settings)
        uvicorn.run(
            "shaml.web:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=access_log,
            log_level=settings.log_level.lower(),
            # Rasa pins an old websockets that uvicorn's websocket support cannot import; no route needs it.
            ws="none",
        )

    @cli.command()
    @click.option("--processes", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes to start.")
    @click.option("--burst", is_flag=True, help="Stop when the queues are empty (for scripts and tests).")
    def worker(processes: int, burst: bool) -> None:
        """Process inbound messages and send the outbox. Start several for more throughput; order holds."""
        from shaml.safety import guard

        guard(get_settings())
        if processes == 1:
            run_worker(burst=burst)
            return
        import multiprocessing

        children = [multiprocessing.Process(target=run_worker, kwargs={"burst": burst}) for _ in range(processes)]
        for child in children:
            child.start()
        for child in children:
            child.join()

    @bench.command("gateway")
    @click.option("--senders", type=click.IntRange(1, 1000), default=100, show_default=True, help="Concurrent senders.")
    @click.option("--messages", type=click.IntRange(1, 100_000), default=2000, show_default=True, help="Webhooks in the ack phase.")
    @click.option("--turns", type=click.IntRange(1, 10_000), default=100, show_default=True, help="Turns in the reply-latency phase.")
    @click.option("--workers", type=click.IntRange(1, 16), default=2, show_default=True, help="Worker processes for replies.")
    @click.option("--web-processes", type=click.IntRange(1, 16), default=1, show_default=True, help="shaml serve --workers.")
    @click.option(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        show_default=True,
        help="Server to create a throwaway benchmark database on.",
    )
    @click.option("--interval", type=click.FloatRange(0.01, 60), default=1.0, show_default=True, help="Seconds between one sender's messages in the paced phase.")
    @click.option("--rasa-url", default="", help="A running Rasa (rasa run --enable-api) to measure; default: SHAML_RASA_URL if it answers.")
    @click.option("--database", default="", help="Use this database instead of a throwaway one (the one the running Rasa's actions use); its inbound messages are marked processed.")
    def bench_gateway(
        senders: int, messages: int, turns: int, workers: int, web_processes: int, postgres: str, interval: float, rasa_url: str, database: str
    ) -> None:
        """Ack latency and throughput under concurrent signed webhooks; reply latency and the gateway's overhead."""
        from shaml.bench.gateway import run

        run(
            senders=senders,
            messages=messages,
            turns=turns,
            workers=workers,
            postgres=postgres,
            rasa_url=rasa_url or get_settings().rasa_url,
            echo=click.echo,
            interval=interval,
            web_processes=web_processes,
            database=database,
        )
