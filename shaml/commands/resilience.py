"""``shaml bench resilience``: load, faults and abuse against the whole running stack."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

#: The scenarios (methods of shaml.bench.resilience.Run) in the order they run, except that those in
#: shaml.bench.resilience.WHILE_RASA_LOADS run first, while Rasa loads its model; the privacy scan follows.
STEPS = ("sustained", "burst", "kill_workers", "restart_redis", "drop_postgres", "stop_rasa", "twilio_500s",
         "gateway_offline", "telegram_429", "forged", "forged_channels", "replayed", "enumeration", "prober", "fake_survivor", "hostile_bodies", "hostile_csv")


def register(cli: click.Group, bench: click.Group) -> None:
    """Add ``bench resilience``."""

    @bench.command("resilience")
    @click.option("--quick", is_flag=True, help="Shorter load and faults (under five minutes, for CI); the same checks.")
    @click.option(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        show_default=True,
        help="Server to create a throwaway database on.",
    )
    @click.option("--logs", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Where the processes' logs and report.json go; default: var/bench/resilience-<time>.")
    @click.option("--only", multiple=True, type=click.Choice(STEPS), help="Run only these scenarios (repeatable); the privacy scan always runs.")
    def bench_resilience(quick: bool, postgres: str, logs: Path | None, only: tuple[str, ...]) -> None:
        """The whole stack under load, faults and abuse; exits 1 on any lost message or leaked secret."""
        from shaml.bench.resilience import ROOT, run

        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        logdir = logs or ROOT / "var" / "bench" / f"resilience-{stamp}"
        raise SystemExit(run(quick=quick, admin_url=postgres, logdir=logdir.resolve(), echo=click.echo, only=only))
