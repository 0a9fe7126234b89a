"""Sealing a column's values again under the current key, in batches: key rotation and first encryption.

Each value not yet sealed under the current key (plaintext from before encryption, or sealed
under an older key) is opened and sealed again, and its blind index recomputed. Batches follow the
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

from bot.crypto.columns import _Sealed
from bot.crypto.keyring import Keyring, active, is_sealed


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
    """What one column's pass did: rows sealed again, rows skipped because they changed meanwhile."""

    target: Target
    resealed: int = 0
    changed_meanwhile: int = 0
    batches: int = 0
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


def _needs_work(tbl: Table, target: Target, keyring: Keyring) -> Any:
    value = tbl.c[target.column]
    stale = ~value.like(f"v1:{keyring.current}:%")
    if target.blind_index:
        stale = or_(stale, tbl.c[target.blind_index].is_(None))
    return and_(value.is_not(None), stale)


def reseal(
    engine: Engine | Connection,
    target: Target,
    *,
    batch_size: int = 500,
    keyring: Keyring | None = None,
    on_batch: Callable[[Progress], None] | None = None,
) -> Progress:
    """Seal every value of ``target`` under the current key, ``batch_size`` rows per transaction."""
    keyring = keyring or active()
    cols = [column(target.pk), column(target.column)]
    if target.blind_index:
        cols.append(column(target.blind_index))
    tbl = table(target.table, *cols)
    progress = Progress(target)
    last: Any = None
    while True:
        query = select(tbl.c[target.pk], tbl.c[target.column]).where(_needs_work(tbl, target, keyring))
        if last is not None:
            query = query.where(tbl.c[target.pk] > last)
        query = query.order_by(tbl.c[target.pk]).limit(batch_size)
        with _transaction(engine) as conn:
            rows = conn.execute(query).all()
            if not rows:
                return progress
            for pk, old in rows:
                plain = keyring.open(old) if is_sealed(old) else str(old)
                values: dict[str, Any] = {target.column: keyring.seal(plain)}
                if target.blind_index:
                    values[target.blind_index] = keyring.blind(target.purpose or target.blind_index, plain)
                done = conn.execute(
                    update(tbl).where(tbl.c[target.pk] == pk, tbl.c[target.column] == old).values(**values)
                )
                if done.rowcount:
                    progress.resealed += 1
                else:
                    progress.changed_meanwhile += 1
            last = rows[-1][0]
        progress.batches += 1
        if on_batch is not None:
            on_batch(progress)


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
