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
    """Start the stack quietly, play the journey inside Syria, print each phone's transcript; 0 when it
    completed and not one request reached Twilio."""
    import redis

    from shaml.db import make_engine, session_factory
    from shaml.demo import admin_password, build_stack, prepare_data, stop_on_signals, train_model
    from shaml.demo_fakes import Screens
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
    screens = Screens(redis.Redis.from_url(env.get("SHAML_REDIS_URL", settings.redis_url)), settings.redis_prefix)
    stamp = int(time.time()) % 100_000
    family = Phone("family", "telegram", f"9639440{stamp:05d}")  # a Telegram chat: the account's number's digits
    detainee = Phone("detainee", "sms", f"+9639330{stamp:05d}")  # texts the association's gateway phone
    volunteer = Phone("volunteer", "sms", f"+9639550{stamp:05d}")  # the number he gives; gets the code by SMS
    phones = (family, detainee, volunteer)
    twilio_before = screens.twilio_requests()
    try:
        supervisor.wait_ready(300, lambda line: click.echo(f"  {line}"))
        journey = Journey(settings.public_url, settings.rasa_url, env["SHAML_RASA_TOKEN"], session_factory(engine),
                          screens, env["SHAML_TELEGRAM_WEBHOOK_SECRET"], env["SHAML_SMSGATE_SIGNING_KEY"], click.echo)
        elapsed = play(journey, family, detainee, volunteer)
        twilio = screens.twilio_requests() - twilio_before
    except (JourneyFailed, RuntimeError, KeyboardInterrupt) as exc:
        click.echo(f"\nthe journey stopped: {exc}\n(process output: {log_path})", err=True)
        for phone in phones:
            click.echo("\n" + transcript(phone))
        return 1
    finally:
        supervisor.stop()
        engine.dispose()
        log.close()
    for phone in phones:
        click.echo("\n" + transcript(phone))
    click.echo(f"\nrequests that reached the fake Twilio: {twilio}")
    if twilio:
        click.echo("the journey inside Syria sent to Twilio, which cannot deliver there", err=True)
        return 1
    click.echo(f"journey complete: from the detainee's verification to the family's news took {elapsed:.1f} s")
    return 0
