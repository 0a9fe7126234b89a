"""``shaml demo``: every process under one supervisor; ``--script`` plays a whole journey and exits."""

from __future__ import annotations

import sys
import time

import click

from shaml.settings import get_settings


def register(cli: click.Group, bench: click.Group) -> None:
    """Add the demo command."""

    @cli.command()
    @click.option("--script", is_flag=True, help="Play a family and a released detainee through the stack, then exit.")
    def demo(script: bool) -> None:
        """Run the demo: database, synthetic registry, Rasa, actions, web service, worker."""
        from shaml.demo import DemoError, run
        from shaml.keys import DEMO_KEYS, demo_keys

        settings = get_settings()
        if demo_keys(settings):  # no keys configured: the demo's own, kept under var/
            click.echo(f"demo: data keys generated or reused in {settings.var_dir / DEMO_KEYS} "
                       "(production sets SHAML_DATA_KEYS; docs/privacy.md)")
        try:
            code = run_script(settings) if script else run(settings, click.echo)
        except DemoError as exc:
            raise click.ClickException(str(exc)) from None
        sys.exit(code)


def run_script(settings) -> int:  # type: ignore[no-untyped-def]
    """Start the stack quietly, play the journey, print each phone's transcript; 0 when it completed."""
    from shaml.db import make_engine, session_factory
    from shaml.demo import admin_password, build_stack, prepare_data, stop_on_signals, train_model
    from shaml.demo_script import Journey, JourneyFailed, Phone, play, transcript

    stop_on_signals()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.var_dir / "demo-script.log"
    log = log_path.open("w", encoding="utf-8")

    def to_log(line: str) -> None:
        log.write(line + "\n")
        log.flush()

    prepare_data(settings, click.echo)
    train_model(click.echo)
    admin_password(settings)
    supervisor, env = build_stack(settings, log=to_log)
    engine = make_engine(settings.database_url)
    stamp = int(time.time()) % 100_000
    family = Phone("family", f"+9639440{stamp:05d}")
    detainee = Phone("detainee", f"+9639330{stamp:05d}")
    try:
        supervisor.wait_ready(300, lambda line: click.echo(f"  {line}"))
        journey = Journey(settings.public_url, settings.rasa_url, env["SHAML_RASA_TOKEN"],
                          session_factory(engine), click.echo)
        elapsed = play(journey, family, detainee)
    except (JourneyFailed, RuntimeError, KeyboardInterrupt) as exc:
        click.echo(f"\nthe journey stopped: {exc}\n(process output: {log_path})", err=True)
        for phone in (family, detainee):
            click.echo("\n" + transcript(phone))
        return 1
    finally:
        supervisor.stop()
        engine.dispose()
        log.close()
    for phone in (family, detainee):
        click.echo("\n" + transcript(phone))
    click.echo(f"\njourney complete: from the detainee's verification to the family's news took {elapsed:.1f} s")
    return 0
