"""Migrations build exactly the model's schema on PostgreSQL and SQLite; the doctor reads it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shaml.db import head_revision, make_engine, metadata, missing_tables, upgrade
from shaml.doctor import check_database, check_redis
from shaml.settings import Settings
from tests.conftest import REDIS_URL

EXPECTED_TABLES = {
    "registry_records",
    "registry_sources",
    "import_batches",
    "import_row_errors",
    "contacts",
    "search_requests",
    "registrations",
    "matches",
    "messages",
    "escalations",
    "operators",
    "audit_events",
}


def test_migrations_match_the_models(db_url):
    engine = make_engine(db_url)
    assert EXPECTED_TABLES <= set(metadata.tables)
    assert missing_tables(engine) == []
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    engine.dispose()
    assert diff == []


def test_doctor_reports_database_state(tmp_path, db_url):
    ok = check_database(Settings.from_env({"SHAML_DATABASE_URL": db_url}))
    assert ok.status == "ok", ok.detail
    assert head_revision() in ok.detail

    empty = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    fresh = check_database(Settings.from_env({"SHAML_DATABASE_URL": empty}))
    assert fresh.status == "fail" and "shaml db upgrade" in fresh.detail
    upgrade(empty)
    assert check_database(Settings.from_env({"SHAML_DATABASE_URL": empty})).status == "ok"

    down = check_database(Settings.from_env({"SHAML_DATABASE_URL": "postgresql://nobody:secret-pw@127.0.0.1:1/x"}))
    assert down.status == "fail" and "secret-pw" not in down.detail


def test_doctor_reports_redis():
    assert check_redis(Settings.from_env({"SHAML_REDIS_URL": REDIS_URL})).status == "ok"
    down = check_redis(Settings.from_env({"SHAML_REDIS_URL": "redis://127.0.0.1:1/0"}))
    assert down.status == "fail" and "127.0.0.1:1" in down.detail


def test_a_database_error_names_the_statement_but_not_what_was_said(db_url):
    """A failed statement is logged with its error: the message, name and number in its parameters stay out."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("INSERT INTO no_such_table (body, phone) VALUES (:body, :phone)"),
                         {"body": "بدي دور على ابني Abdo Shaaban", "phone": "+963944123456"})
    except DBAPIError as exc:
        error = str(exc)
    else:  # pragma: no cover - the table does not exist
        raise AssertionError("the insert into a missing table succeeded")
    finally:
        engine.dispose()
    assert "no_such_table" in error
    assert "Abdo" not in error and "ابني" not in error and "944123456" not in error
