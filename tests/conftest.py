"""Shared fixtures: a real PostgreSQL database per test session, SQLite beside it, and real Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import redis
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from bot.crypto import new_key
from shaml.db import make_engine, metadata, session_factory, upgrade
from shaml.settings import reset_settings

ROOT = Path(__file__).resolve().parent.parent

# Property tests check behaviour, not speed: no per-example deadline (2 shared cores make timing noisy).
# `make test` (and so CI) draws the same examples on every run, so a red build is the change's
# doing and can be replayed; `make fuzz` draws fresh examples on every run to look for new bugs.
# A counterexample either finds is fixed and kept as an @example on its test.
hypothesis_settings.register_profile("shaml", deadline=None, derandomize=True)
hypothesis_settings.register_profile("explore", deadline=None, derandomize=False, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("SHAML_HYPOTHESIS_PROFILE", "shaml"))
#: Server the test databases are created on; tests never touch an existing database.
POSTGRES_ADMIN_URL = os.environ.get("SHAML_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("SHAML_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
#: Data keys of this test session (fresh random keys), inherited by every process a test starts.
KEY_SETTINGS = ("SHAML_DATA_KEYS", "SHAML_BLIND_INDEX_KEY")
os.environ.setdefault("SHAML_DATA_KEYS", f"test1:{new_key()}")
os.environ.setdefault("SHAML_BLIND_INDEX_KEY", new_key())


def _admin_connection():  # type: ignore[no-untyped-def]
    url = make_url(POSTGRES_ADMIN_URL)
    conn = psycopg2.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password, dbname=url.database
    )
    conn.autocommit = True
    return conn


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated to head, dropped at the end."""
    name = f"shaml_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    conn = _admin_connection()
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.close()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file for this test session, migrated to head."""
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'shaml.sqlite3'}"
    upgrade(url)
    return url


def _empty_tables(url: str) -> None:
    engine = make_engine(url)
    names = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        else:
            for name in names:
                conn.execute(text(f"DELETE FROM {name}"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each database test runs on SQLite and on PostgreSQL, starting from empty tables."""
    url = request.getfixturevalue(f"{request.param}_url")
    _empty_tables(url)
    yield url
    _empty_tables(url)


@pytest.fixture
def pg_only_url(postgres_url: str) -> Iterator[str]:
    """PostgreSQL alone, from empty tables (for what SQLite cannot show, like concurrency)."""
    _empty_tables(postgres_url)
    yield postgres_url
    _empty_tables(postgres_url)


@pytest.fixture
def pg_factory(pg_only_url: str) -> Iterator[sessionmaker]:
    """Sessions on the PostgreSQL test database alone (emptied first), for PostgreSQL-only tests."""
    engine = make_engine(pg_only_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker]:
    """A session factory on the test database."""
    engine = make_engine(db_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix unique to this test on the real Redis; every key under it is deleted after."""
    prefix = f"shaml-test:{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def shaml_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """A clean SHAML_ environment for CLI tests, with settings re-read on each use."""
    for key in list(os.environ):
        if (key.startswith("SHAML_") or key.startswith("TWILIO_")) and key not in KEY_SETTINGS:
            monkeypatch.delenv(key)
    monkeypatch.setenv("SHAML_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SHAML_REDIS_URL", REDIS_URL)
    reset_settings()
    yield monkeypatch
    reset_settings()
