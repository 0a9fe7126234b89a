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
