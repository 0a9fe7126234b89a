"""Database engine, sessions and migrations (SQLAlchemy 1.4 in 2.0 style, Alembic)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, create_engine, make_url
from sqlalchemy.orm import Session, sessionmaker

import bot.models  # noqa: F401  (registers every table on the shared metadata)
import shaml.keys  # noqa: F401  (the key-check table, and the keyring loaded from settings on first use)
from matching.store import Base

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

metadata = Base.metadata


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # Foreign keys are off by default in SQLite; WAL lets the web service read while the worker writes.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for PostgreSQL or SQLite; creates the SQLite file's directory when needed.

    Its errors name the statement but never its parameters (``hide_parameters``): those are
    messages, names and phone numbers, and an error is logged.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, future=True, hide_parameters=True, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # execute_values / execute_batch: executemany runs in pages, not one round trip per row.
    return create_engine(
        url, future=True, hide_parameters=True, pool_pre_ping=True, executemany_mode="values_plus_batch"
    )


def session_factory(engine: Engine) -> sessionmaker:
    """A sessionmaker bound to ``engine`` whose objects stay readable after commit."""
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back if it raises."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Config:
    """Alembic's configuration for ``url``, with the migrations shipped in this package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision``; creates the SQLite file when needed."""
    make_engine(url).dispose()
    command.upgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None before the first upgrade."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest migration shipped with this code."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def missing_tables(engine: Engine) -> list[str]:
    """Tables the code expects that the database lacks."""
    present = set(inspect(engine).get_table_names())
    return sorted(set(metadata.tables) - present)
