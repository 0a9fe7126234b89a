"""Sealing a column's values again under the current key, in batches: key rotation and first encryption.

Each value not yet sealed under the current data key (plaintext from before encryption, or sealed
under an older key) is opened and sealed again, and its blind index recomputed. A value whose
blind index is not under the first index key (an index key rotation) gets its index recomputed
from the opened value, its ciphertext left as it is. Batches follow the
primary key, each row is written only if it still holds what was read (compare-and-set, so a
concurrent write is never overwritten), and nothing else is remembered: a run that stops
(a crash, Ctrl-C) is resumed by running again. Works on SQLAlchemy Core, with no ORM types.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import MetaData, Table, and_, column, func, inspect, or_, select, table, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.crypto.columns import _Sealed
from bot.crypto.keyring import LEGACY, PREFIX, Keyring, active, is_sealed


@dataclass(frozen=True)
class Target:
    """One sealed column: its table, primary key, and the blind-index column it feeds (if any)."""

    table: str
    column: str
    pk: str = "id"
    blind_index: str | None = None
    purpose: str | None = None


@dataclass
class Progress:
    """What one column's pass did: rows sealed again or re-indexed, rows skipped because they changed
    meanwhile, and rows whose new index another row already holds (the same value twice: a duplicate
    contact, left under the old key for an operator to merge)."""

    target: Target
    resealed: int = 0
    changed_meanwhile: int = 0
    batches: int = 0
    conflicts: list[Any] = field(default_factory=list)
    extra: dict[str, int] = field(default_factory=dict)


def sealed_columns(metadata: MetaData) -> list[Target]:
    """Every column of ``metadata`` whose type is an encrypted type, with its blind index."""
    targets = []
    for tbl in metadata.sorted_tables:
        pks = [c.name for c in tbl.primary_key.columns]
        for col in tbl.columns:
            if isinstance(col.type, _Sealed) and len(pks) == 1:
                targets.append(Target(tbl.name, col.name, pks[0], col.type.blind_index, col.type.purpose))
    return targets


def rasa_events_target(engine: Engine | Connection) -> Target | None:
    """Rasa's ``events.data`` when Rasa's SQL tracker tables share this database."""
    inspector = inspect(engine)
    if not inspector.has_table("events"):
        return None
    names = {c["name"] for c in inspector.get_columns("events")}
    return Target("events", "data") if {"id", "sender_id", "data"} <= names else None


def _index_stale(bidx: Any, keyring: Keyring) -> Any:
    """SQL: a blind index not under the first index key (or missing)."""
    if keyring.index_current == LEGACY:
        return or_(bidx.is_(None), bidx.contains(":"))
    return or_(bidx.is_(None), ~bidx.startswith(f"{keyring.index_current}:", autoescape=True))


def _needs_work(tbl: Table, target: Target, keyring: Keyring) -> Any:
    value = tbl.c[target.column]
    stale = ~value.startswith(f"{PREFIX}{keyring.current}:", autoescape=True)
    if target.blind_index:
        stale = or_(stale, _index_stale(tbl.c[target.blind_index], keyring))
    return and_(value.is_not(None), stale)


def reseal(
    engine: Engine | Connection,
    target: Target,
    *,
    batch_size: int = 500,
    keyring: Keyring | None = None,
    on_batch: Callable[[Progress], None] | None = None,
) -> Progress:
    """Seal every value of ``target`` under the current data key and index it under the first index
    key, ``batch_size`` rows per transaction; ``on_batch`` hears after each committed batch."""
    keyring = keyring or active()
    cols = [column(target.pk), column(target.column)]
    if target.blind_index:
        cols.append(column(target.blind_index))
    tbl = table(target.table, *cols)
    progress = Progress(target)
    last: Any = None
    sealed_prefix = f"{PREFIX}{keyring.current}:"
    while True:
        query = select(*tbl.c).where(_needs_work(tbl, target, keyring))
        if last is not None:
            query = query.where(tbl.c[target.pk] > last)
        query = query.order_by(tbl.c[target.pk]).limit(batch_size)
        batch = Progress(target)
        try:
            with _transaction(engine) as conn:
                rows = conn.execute(query).all()
                if not rows:
                    return progress
                changes = [_change(row, target, keyring, sealed_prefix) for row in rows]
                _apply(conn, tbl, target, changes, batch, savepoints=False)
        except IntegrityError:
            if isinstance(engine, Connection):
                raise
            # A new index value another row already holds: redo the batch row by row, keeping the rest.
            batch = Progress(target)
            with _transaction(engine) as conn:
                _apply(conn, tbl, target, changes, batch, savepoints=True)
        last = rows[-1][0]
        progress.resealed += batch.resealed
        progress.changed_meanwhile += batch.changed_meanwhile
        progress.conflicts += batch.conflicts
        progress.batches += 1
        if on_batch is not None:
            on_batch(progress)


def _change(row: Any, target: Target, keyring: Keyring, sealed_prefix: str) -> tuple[Any, Any, dict[str, Any]]:
    """(primary key, value read, new values): sealed again if not under the current data key, the
    blind index recomputed if it is not the first index key's."""
    pk, old = row[0], row[1]
    plain = keyring.open(old) if is_sealed(old) else str(old)
    values: dict[str, Any] = {}
    if not str(old).startswith(sealed_prefix):
        values[target.column] = keyring.seal(plain)
    if target.blind_index:
        fresh = keyring.blind(target.purpose or target.blind_index, plain)
        if fresh != row[2]:
            values[target.blind_index] = fresh
    return pk, old, values


def _apply(conn: Connection, tbl: Table, target: Target, changes: list[tuple[Any, Any, dict[str, Any]]],
           progress: Progress, *, savepoints: bool) -> None:
    """Write each row's new values if the row still holds what was read (compare-and-set)."""
    for pk, old, values in changes:
        if not values:
            continue
        statement = update(tbl).where(tbl.c[target.pk] == pk, tbl.c[target.column] == old).values(**values)
        if savepoints:
            try:
                with conn.begin_nested():
                    done = conn.execute(statement)
            except IntegrityError:
                progress.conflicts.append(pk)
                continue
        else:
            done = conn.execute(statement)
        if done.rowcount:
            progress.resealed += 1
        else:
            progress.changed_meanwhile += 1


def remaining(engine: Engine | Connection, targets: Iterable[Target], keyring: Keyring | None = None) -> dict[str, int]:
    """Per ``table.column``, how many values are not yet sealed under the current key."""
    keyring = keyring or active()
    counts = {}
    for target in targets:
        cols = [column(target.pk), column(target.column)] + ([column(target.blind_index)] if target.blind_index else [])
        tbl = table(target.table, *cols)
        with _transaction(engine) as conn:
            counts[f"{target.table}.{target.column}"] = int(
                conn.execute(select(func.count()).select_from(tbl).where(_needs_work(tbl, target, keyring))).scalar_one()
            )
    return counts


class _transaction:
    """A transaction on an engine, or the caller's connection as is (an Alembic migration's, autocommitting)."""

    def __init__(self, bind: Engine | Connection) -> None:
        self.bind = bind
        self._ctx: Any = None

    def __enter__(self) -> Connection:
        if isinstance(self.bind, Connection):
            return self.bind
        self._ctx = self.bind.begin()
        return self._ctx.__enter__()

    def __exit__(self, *exc: Any) -> None:
        if self._ctx is not None:
            self._ctx.__exit__(*exc)
