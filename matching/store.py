"""The registry store: SQLAlchemy tables for registry records, their sources and import batches."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base

from matching.records import REGISTRY_COLUMNS, RegistryRecord

# One naming convention so Alembic migrations name constraints the same on PostgreSQL and SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The declarative base shared by every Shaml table (bot.models builds on it).
Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))

# BIGINT on PostgreSQL, INTEGER (the rowid alias, so it autoincrements) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> dt.datetime:
    """The current time in UTC, timezone-aware."""
    return dt.datetime.now(dt.timezone.utc)


class RegistrySource(Base):
    """Where a list of released people came from, and what may be said about its rows."""

    __tablename__ = "registry_sources"

    name = Column(String(100), primary_key=True)
    label = Column(String(200), nullable=True)
    # A family may be told "on the released list from SOURCE on DATE" only when this is true.
    allow_public_confirmation = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class ImportBatch(Base):
    """One run of ``shaml import``: counts, status, and the bad rows with line and reason."""

    __tablename__ = "import_batches"

    id = Column(BigId, primary_key=True, autoincrement=True)
    source = Column(String(100), ForeignKey("registry_sources.name"), nullable=False, index=True)
    filename = Column(String(500), nullable=False)
    status = Column(String(20), nullable=False, default="running")  # running | done | failed
    rows_read = Column(Integer, nullable=False, default=0)
    rows_inserted = Column(Integer, nullable=False, default=0)
    rows_updated = Column(Integer, nullable=False, default=0)
    rows_unchanged = Column(Integer, nullable=False, default=0)
    rows_rejected = Column(Integer, nullable=False, default=0)
    started_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    finished_at = Column(DateTime(timezone=True), nullable=True)
    failure = Column(Text, nullable=True)


class ImportRowError(Base):
    """A row an import refused, kept with its line number, reason and raw text."""

    __tablename__ = "import_row_errors"

    id = Column(BigId, primary_key=True, autoincrement=True)
    batch_id = Column(BigId, ForeignKey("import_batches.id", ondelete="CASCADE"), nullable=False, index=True)
    line = Column(Integer, nullable=False)
    reason = Column(Text, nullable=False)
    raw = Column(Text, nullable=True)


class RegistryRow(Base):
    """A person on a released list. Unique per (source, record_id); re-imports update in place."""

    __tablename__ = "registry_records"
    __table_args__ = (UniqueConstraint("source", "record_id", name="uq_registry_records_source_record_id"),)

    id = Column(BigId, primary_key=True, autoincrement=True)
    source = Column(String(100), ForeignKey("registry_sources.name"), nullable=False)
    record_id = Column(String(200), nullable=False)
    full_name = Column(String(200), nullable=False)
    first_name = Column(String(200), nullable=True)
    father_name = Column(String(200), nullable=True)
    family_name = Column(String(200), nullable=True)
    mother_name = Column(String(200), nullable=True)
    birth_year = Column(Integer, nullable=True)
    governorate = Column(String(200), nullable=True)
    prison = Column(String(200), nullable=True)
    release_date = Column(Date, nullable=True)
    batch_id = Column(BigId, ForeignKey("import_batches.id"), nullable=True, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    # Set on every insert and real change; running matchers poll it to stay current.
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    # Set when a row is withdrawn; it stays for the audit trail but no longer matches.
    deleted_at = Column(DateTime(timezone=True), nullable=True)
    extra = Column(JSON, nullable=True)

    #: Columns compared to decide whether a re-imported row changed: the contract's columns
    #: except the key (record_id) and the list it came from (source).
    DATA_COLUMNS = tuple(c for c in REGISTRY_COLUMNS if c not in ("record_id", "source"))

    @property
    def matcher_id(self) -> str:
        """The id the in-memory matcher knows this row by: unique across sources."""
        return matcher_id(self.source, self.record_id)

    def to_record(self) -> RegistryRecord:
        """The pure record the matcher scores."""
        return record_of(self)


def matcher_id(source: str, record_id: str) -> str:
    """``"<source>:<record_id>"``: a registry row's id in the matcher, unique across sources."""
    return f"{source}:{record_id}"


def record_of(row: Any) -> RegistryRecord:
    """The matcher's record for a registry row: an ORM object or a Core row with the same columns."""
    return RegistryRecord(
        record_id=matcher_id(row.source, row.record_id),
        full_name=row.full_name,
        first_name=row.first_name,
        father_name=row.father_name,
        family_name=row.family_name,
        mother_name=row.mother_name,
        birth_year=row.birth_year,
        governorate=row.governorate,
        prison=row.prison,
        release_date=row.release_date,
        source=row.source,
    )
