"""Operator accounts from the command line: ``shaml operator add NAME --role operator|supervisor|admin``."""

from __future__ import annotations

import sys

import click

from shaml.settings import get_settings


def _factory():  # type: ignore[no-untyped-def]
    from shaml.db import make_engine, session_factory

    return session_factory(make_engine(get_settings().database_url))


def register(cli: click.Group, bench: click.Group) -> None:
    """Add the ``operator`` commands to the CLI."""

    @cli.group()
    def operator() -> None:
        """Operator accounts for the console."""

    @operator.command("add")
    @click.argument("name")
    @click.option("--role", type=click.Choice(["operator", "supervisor", "admin"]), default="operator", show_default=True)
    @click.option("--display-name", default="", help="Name shown in the console (Arabic is fine).")
    @click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of generating one.")
    def operator_add(name: str, role: str, display_name: str, password_stdin: bool) -> None:
        """Create an account. Without --password-stdin a password is generated and printed once."""
        from sqlalchemy.exc import IntegrityError

        from console.routes.admin import create_operator

        password = None
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        try:
            with _factory()() as db, db.begin():
                op, secret = create_operator(db, name, role, password, display_name, by=None)
                db.flush()
                username = op.username
        except ValueError as exc:
            messages = {
                "err_bad_username": "the username may hold only lower-case Latin letters, digits, '.', '_' and '-'",
                "err_short_password": "the password needs at least 10 characters",
                "err_bad_role": "the role must be operator, supervisor or admin",
            }
            raise click.ClickException(messages.get(str(exc), str(exc))) from None
        except IntegrityError:
            raise click.ClickException(f"an account named {name.strip().lower()!r} already exists") from None
        click.echo(f"created {role} {username!r}")
        if not password_stdin:
            click.echo(f"password (shown once): {secret}")

    @operator.command("list")
    def operator_list() -> None:
        """List the accounts (never their passwords)."""
        from sqlalchemy import select

        from bot.models import Operator

        with _factory()() as db:
            for op in db.execute(select(Operator).order_by(Operator.username)).scalars():
                state = "active" if op.active else "inactive"
                click.echo(f"{op.username}\t{op.role}\t{state}\t{op.display_name or ''}")

    @operator.command("reset-password")
    @click.argument("name")
    @click.option("--hours", type=click.FloatRange(0.1, 72), default=24.0, show_default=True,
                  help="How long the link works.")
    @click.option("--clear-mfa", is_flag=True, help="Also remove the account's second factor (a lost phone).")
    def operator_reset_password(name: str, hours: float, clear_mfa: bool) -> None:
        """Print a one-time link that lets the operator choose a new password (audited).

        The current password keeps working until the link is used; the link works once, for --hours,
        and only its hash is stored. Give it to the operator over a channel you trust. No password,
        old or new, is ever printed."""
        from sqlalchemy import func, select

        from bot.models import Operator
        from console import mfa

        with _factory()() as db, db.begin():
            op = db.execute(select(Operator).where(func.lower(Operator.username) == name.strip().lower())).scalar_one_or_none()
            if op is None:
                raise click.ClickException(f"no account named {name.strip().lower()!r} (see `shaml operator list`)")
            if not op.active:
                raise click.ClickException(f"the account {op.username!r} is deactivated; reactivate it in the console first")
            if clear_mfa:
                mfa.clear(db, op, by=None)
            token = mfa.issue_reset(db, op, hours=hours, by=None)
            username, enrolled = op.username, op.mfa_enabled_at is not None
        click.echo(f"one-time password link for {username!r}, valid {hours:g} h (any earlier link stops working):")
        click.echo(f"{get_settings().public_url.rstrip('/')}/console/reset/{token}")
        if enrolled:
            click.echo("the account has two-step login: the link also asks for a code (use --clear-mfa for a lost phone)")
