"""``shaml keys rotate``: seal every sealed column again under the current data key, and recompute
every blind index under the first index key, while Shaml runs.

Passes over every encrypted column (the models' and Rasa's ``events.data`` when it shares the
database) until a pass finds nothing left under an older data or index key or in plain text.
A blind index is recomputed from the opened value, so it needs both keys' holders: the data key
that opens the value and the new index key. Each batch
commits; a row written meanwhile is left to its writer (compare-and-set), and the next pass looks
again. Stateless, so a run stopped by a crash is resumed by running it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from bot.crypto import active
from bot.crypto.reseal import (
    Progress,
    Target,
    rasa_events_target,
    remaining,
    reseal,
    sealed_columns,
)
from shaml.db import metadata

#: Passes before giving up on rows that keep changing (a process still sealing under an old key).
MAX_PASSES = 5


@dataclass
class RotationReport:
    """Rows sealed again per column, rows left (0 everywhere when done), and passes made."""

    resealed: dict[str, int]
    left: dict[str, int]
    passes: int
    #: Per column, primary keys of rows whose new index another row already holds (duplicates to merge).
    conflicts: dict[str, list[object]] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        """Whether no value remains under an older key or in plain text."""
        return not any(self.left.values())


def targets(engine: Engine) -> list[Target]:
    """Every sealed column in the database: the models' and Rasa's tracker events when present."""
    found = sealed_columns(metadata)
    events = rasa_events_target(engine)
    return found + ([events] if events else [])


def rotate(engine: Engine, *, batch_size: int = 500, echo: Callable[[str], None] = lambda _l: None) -> RotationReport:
    """Seal everything under the current key and index it under the first index key; report per
    column. Safe to run again at any time, and to stop at any time."""
    keyring = active()
    cols = targets(engine)
    resealed = {f"{t.table}.{t.column}": 0 for t in cols}
    conflicts: dict[str, list[object]] = {}
    passes = 0
    left = remaining(engine, cols, keyring)
    while any(left.values()) and passes < MAX_PASSES:
        passes += 1
        for target in cols:
            name = f"{target.table}.{target.column}"
            if not left[name]:
                continue

            def report(progress: Progress, name: str = name, total: int = left[name], bidx: bool = bool(target.blind_index)) -> None:
                echo(f"  {name}: {progress.resealed}/{total} sealed under {keyring.current!r}"
                     + (f", indexed under {index_name(keyring.index_current)}" if bidx else "")
                     + (f", {progress.changed_meanwhile} changed meanwhile" if progress.changed_meanwhile else "")
                     + (f", {len(progress.conflicts)} duplicates" if progress.conflicts else ""))

            done = reseal(engine, target, batch_size=batch_size, keyring=keyring, on_batch=report)
            resealed[name] += done.resealed
            if done.conflicts:
                conflicts[name] = done.conflicts
        left = remaining(engine, cols, keyring)
        if conflicts and set(conflicts) >= {n for n, c in left.items() if c}:
            break  # only duplicates are left: more passes cannot help
    return RotationReport(resealed, left, passes, conflicts)


def index_name(kid: str) -> str:
    """How a message names an index key: its id, or "the key without an id"."""
    return repr(kid) if kid else "the index key without an id"
