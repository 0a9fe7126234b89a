"""Alembic environment: runs Shaml's migrations against the URL in the Alembic config."""

from __future__ import annotations

from alembic import context

from shaml.db import make_engine, metadata

config = context.config


def run_migrations() -> None:
    """Run migrations online, in one transaction (SQLite uses batch mode for ALTERs)."""
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            # Batch mode copies a table and drops the original; with foreign keys on, dropping
            # contacts would cascade into messages, searches and registrations (data lost).
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # end the implicit transaction, so Alembic's own one commits
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=engine.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
