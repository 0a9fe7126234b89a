"""Registry import: stream a CSV into the registry store, upserting per batch, reporting bad rows."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from matching.csvfile import CsvRow, read_registry_csv
from matching.records import RegistryRecord
from matching.store import ImportBatch, ImportRowError, RegistryRow, RegistrySource, utcnow

#: How many refused rows a report keeps in memory to print; all of them are stored in the batch.
REPORT_ERRORS = 50


@dataclass
class ImportReport:
    """What one import did. ``errors`` holds the first refused rows as (line, reason)."""

    batch_id: int
    source: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def accepted(self) -> int:
        """Rows stored or already up to date."""
        return self.inserted + self.updated + self.unchanged


def _values(record: RegistryRecord, source: str, batch_id: int, now: Any) -> dict[str, Any]:
    return {
        "source": source,
        "record_id": record.record_id,
        "full_name": record.full_name,
        "first_name": record.first_name,
        "father_name": record.father_name,
        "family_name": record.family_name,
        "mother_name": record.mother_name,
        "birth_year": record.birth_year,
        "governorate": record.governorate,
        "prison": record.prison,
        "release_date": record.release_date,
        "batch_id": batch_id,
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
    }


def _upsert_statement(dialect: str) -> Any:
    """INSERT … ON CONFLICT (source, record_id) DO UPDATE, compiled once and run as executemany."""
    table = RegistryRow.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table)
    return stmt.on_conflict_do_update(
        index_elements=["source", "record_id"],
        set_={
            **{col: stmt.excluded[col] for col in RegistryRow.DATA_COLUMNS},
            "batch_id": stmt.excluded.batch_id,
            "updated_at": stmt.excluded.updated_at,
            "deleted_at": None,
        },
    )


def _classify(
    session: Session, source: str, pending: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Split a batch into new rows, changed rows, and a count of rows already stored unchanged."""
    columns = [RegistryRow.record_id, RegistryRow.deleted_at] + [
        getattr(RegistryRow, col) for col in RegistryRow.DATA_COLUMNS
    ]
    stored = {
        row[0]: row
        for row in session.execute(
            select(*columns).where(and_(RegistryRow.source == source, RegistryRow.record_id.in_(list(pending))))
        )
    }
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    unchanged = 0
    for record_id, values in pending.items():
        row = stored.get(record_id)
        if row is None:
            new.append(values)
        elif row[1] is not None or tuple(row[2:]) != tuple(values[col] for col in RegistryRow.DATA_COLUMNS):
            changed.append(values)
        else:
            unchanged += 1
    return new, changed, unchanged


def ensure_source(factory: sessionmaker, source: str) -> None:
    """Create the registry source row if it does not exist (disclosure off by default)."""
    with factory() as session, session.begin():
        if session.get(RegistrySource, source) is None:
            session.add(RegistrySource(name=source, label=source, allow_public_confirmation=False))


def import_rows(
    factory: sessionmaker,
    rows: Iterable[CsvRow],
    *,
    source: str,
    filename: str,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Store validated rows in batches; each batch and its refused rows commit together.

    Rows already stored with the same data are left untouched, so re-importing writes nothing.

    A crash loses at most the batch in flight and duplicates nothing, because rows are upserted
    by (source, record_id). A repeated record_id in one file keeps the later row and reports the
    earlier one.
    """
    started = time.perf_counter()
    ensure_source(factory, source)
    with factory() as session, session.begin():
        batch = ImportBatch(source=source, filename=filename[:500], status="running")
        session.add(batch)
        session.flush()
        batch_id = int(batch.id)
    report = ImportReport(batch_id=batch_id, source=source)
    seen: dict[str, int] = {}
    pending: dict[str, dict[str, Any]] = {}
    refused: list[ImportRowError] = []

    def flush_batch(count_read: int) -> None:
        now = utcnow()
        with factory() as session, session.begin():
            if pending:
                new, changed, unchanged = _classify(session, source, pending)
                if new or changed:
                    for values in (*new, *changed):
                        values["created_at"] = values["updated_at"] = now
                    session.execute(_upsert_statement(session.get_bind().dialect.name), [*new, *changed])
                report.inserted += len(new)
                report.updated += len(changed)
                report.unchanged += unchanged
            session.add_all(refused)
            stored = session.get(ImportBatch, batch_id)
            assert stored is not None
            stored.rows_read = report.rows_read
            stored.rows_inserted = report.inserted
            stored.rows_updated = report.updated
            stored.rows_unchanged = report.unchanged
            stored.rows_rejected = report.rejected
        pending.clear()
        refused.clear()
        if progress is not None:
            progress(count_read)

    def refuse(line: int, reason: str, raw: str) -> None:
        report.rejected += 1
        refused.append(ImportRowError(batch_id=batch_id, line=line, reason=reason, raw=raw))
        if len(report.errors) < REPORT_ERRORS:
            report.errors.append((line, reason))

    try:
        unflushed = 0
        for row in rows:
            report.rows_read += 1
            unflushed += 1
            if row.record is None:
                refuse(row.line, row.error or "refused", row.raw)
            else:
                rid = row.record.record_id
                if rid in pending:
                    # The same record_id twice in one file: keep the later row, report the earlier.
                    refuse(seen[rid], f"record_id {rid!r} appears again on line {row.line}; that row is kept", "")
                seen[rid] = row.line
                pending[rid] = _values(row.record, source, batch_id, None)
            if len(pending) + len(refused) >= batch_size:
                flush_batch(unflushed)
                unflushed = 0
        flush_batch(unflushed)
    except BaseException as exc:
        with factory() as session, session.begin():
            stored = session.get(ImportBatch, batch_id)
            if stored is not None:
                stored.status = "failed"
                stored.failure = f"{type(exc).__name__}: {exc}"[:1000]
                stored.finished_at = utcnow()
        raise
    with factory() as session, session.begin():
        stored = session.get(ImportBatch, batch_id)
        assert stored is not None
        stored.status = "done"
        stored.finished_at = utcnow()
    report.seconds = time.perf_counter() - started
    return report


def import_csv(
    factory: sessionmaker,
    path: Path,
    *,
    source: str,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a registry CSV file (see :func:`import_rows`); raises HeaderError for an unusable header.

    ``progress`` receives the number of bytes of the file read so far, after each batch.
    """
    with open(path, "rb") as stream, closing(read_registry_csv(stream, default_source=source)) as rows:
        first = next(rows, None)  # reads the header now, so a bad header creates no batch

        def chain() -> Iterable[CsvRow]:
            if first is not None:
                yield first
            yield from rows

        def bytes_read(_rows: int) -> None:
            if progress is not None:
                progress(stream.tell())

        return import_rows(
            factory, chain(), source=source, filename=path.name, batch_size=batch_size, progress=bytes_read
        )
