"""The in-process matcher for actions and workers: a Matcher kept current from the registry store."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from matching.engine import MatchConfig, Matcher, MatchResult
from matching.names import parse_name
from matching.records import Query
from matching.score import STRONG, token_similarity
from matching.store import RegistryRow, matcher_id, record_of

log = logging.getLogger(__name__)

#: A row committed up to this long after it was stamped is still picked up. Import batches stamp
#: rows when their transaction starts, so a slow batch can commit rows "in the past".
OVERLAP = dt.timedelta(seconds=30)

_COLUMNS = (
    RegistryRow.id,
    RegistryRow.source,
    RegistryRow.record_id,
    RegistryRow.updated_at,
    RegistryRow.deleted_at,
    *(getattr(RegistryRow, col) for col in RegistryRow.DATA_COLUMNS),
)


class RegistryMatcher:
    """A :class:`Matcher` over every live registry row, refreshed from the database.

    :meth:`search` first applies registry changes when the last refresh is older than
    ``refresh_seconds``, so every running process sees an import within a few seconds; a
    background thread (:meth:`start`) keeps it current between searches too. Thread-safe.
    """

    def __init__(
        self,
        factory: sessionmaker,
        *,
        refresh_seconds: float = 2.0,
        config: MatchConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._factory = factory
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._matcher = Matcher(config=config)
        self._lock = threading.RLock()
        self._row_ids: dict[str, int] = {}
        # Rows applied inside the overlap window, by primary key, with the stamp applied.
        self._recent: dict[int, Any] = {}
        self._watermark: Any = None
        self._last_refresh = float("-inf")
        self._stop = threading.Event()

    def __len__(self) -> int:
        return len(self._matcher)

    def row_id(self, matcher_id: str) -> int | None:
        """The registry row's primary key for a candidate's record_id, if it is still live."""
        return self._row_ids.get(matcher_id)

    def refresh(self) -> int:
        """Apply rows inserted, changed or withdrawn since the last refresh; returns how many."""
        with self._lock:
            stmt = select(*_COLUMNS)
            if self._watermark is not None:
                stmt = stmt.where(RegistryRow.updated_at >= self._watermark - OVERLAP)
            applied = 0
            newest = self._watermark
            with self._factory() as session:
                for row in session.execute(stmt.execution_options(yield_per=5000)):
                    if newest is None or row.updated_at > newest:
                        newest = row.updated_at
                    if self._recent.get(row.id) == row.updated_at:
                        continue
                    self._recent[row.id] = row.updated_at
                    mid = matcher_id(row.source, row.record_id)
                    if row.deleted_at is not None:
                        self._matcher.remove(mid)
                        self._row_ids.pop(mid, None)
                    else:
                        self._matcher.upsert(record_of(row))
                        self._row_ids[mid] = row.id
                    applied += 1
            if newest is not None:
                self._watermark = newest
                horizon = newest - OVERLAP
                self._recent = {k: v for k, v in self._recent.items() if v >= horizon}
            self._last_refresh = self._clock()
        if applied:
            log.info("matcher applied %d registry change(s); %d records live", applied, len(self._matcher))
        return applied

    def search(self, query: Query, limit: int = 10) -> MatchResult:
        """The matcher's answer over the current registry (refreshing first when stale)."""
        if self._clock() - self._last_refresh >= self._refresh_seconds:
            self.refresh()
        with self._lock:
            return self._matcher.search(query, limit)

    def start(self) -> threading.Thread:
        """Refresh in a daemon thread every ``refresh_seconds`` until :meth:`stop`."""

        def loop() -> None:
            while not self._stop.wait(self._refresh_seconds):
                try:
                    self.refresh()
                except Exception:  # a database blip must not kill the thread; the next tick retries
                    log.exception("registry refresh failed; retrying in %.0f s", self._refresh_seconds)

        thread = threading.Thread(target=loop, name="registry-matcher-refresh", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Stop the background refresh thread."""
        self._stop.set()

    def word_search(self, word: str, limit: int) -> list[str]:
        """Matcher ids of live records with a name part spelt like ``word`` (any script), for a
        one-word console search: the matcher's own normalisation and token similarity, no SQL
        wildcard. Exact spellings first, then by record id."""
        toks = parse_name(word).tokens
        if len(toks) != 1:
            return []
        target = toks[0]
        memo: dict[str, float] = {}
        hits: list[tuple[float, str]] = []
        with self._lock:
            for e in self._matcher.index.entries():
                best = 0.0
                for t in e.names:
                    sim = memo.get(t)
                    if sim is None:
                        sim = memo[t] = token_similarity(t, target)
                    best = max(best, sim)
                if best >= STRONG:
                    hits.append((-best, e.record_id))
        hits.sort()
        return [rid for _, rid in hits[:limit]]
