"""The match worker: incremental re-matching on every change, then the consent flow, reminders and erasures.

The database is the source of truth; the worker polls it for what changed since its watermarks
(``updated_at`` of searches, registrations and registry rows, with an overlap for late commits)
and a Redis list wakes it at once. It re-matches only what a change can affect:

- a new or edited search is matched against registrations and the registry;
- a registration that became active is looked up among the open searches (a matcher over the
  searches, used only to find candidates), and each candidate search is matched again the usual
  way, the family's words as the query;
- a new or changed registry row does the same as a registration;
- an operator's decision moves the match's status, which the flow steps below pick up.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from bot.models import Registration, SearchRequest
from bot.reunion import consent, erase, relay, verification
from bot.reunion.config import ReunionConfig
from bot.reunion.matches import REGISTRATION, REGISTRY, Target, group_of, has_details, upsert_match
from bot.reunion.messaging import NoWaker, Waker
from bot.reunion.records import (
    SEARCH,
    as_query,
    aware,
    parse_typed_id,
    registration_record,
    search_query,
    search_record,
    typed_id,
)
from matching.engine import Matcher, MatchResult
from matching.records import Query
from matching.store import RegistryRow, matcher_id, record_of, utcnow

log = logging.getLogger(__name__)

#: Rows committed this long after their stamp are still seen (transactions stamp rows when they start).
OVERLAP = dt.timedelta(seconds=30)
#: Searches a registration or registry row is compared against, at most, to find those it may answer.
REVERSE_CANDIDATES = 25
#: A reverse candidate scoring at most this shares no more than a common name part: not looked at.
MIN_REVERSE_SCORE = 1e-6


def reverse_queries(query: Query) -> list[Query]:
    """The queries that find the searches a record may answer (see :meth:`ReunionWorker._reverse`)."""
    queries = [query, Query(query.query_id, query.name)]
    parts = query.name.split()
    if len(parts) >= 3:
        queries.append(Query(query.query_id, f"{parts[0]} {parts[-1]}"))
    return queries


class RegistrySearch(Protocol):
    """The registry matcher (``matching.service.RegistryMatcher``): search, refresh, row ids."""

    def search(self, query: Query, limit: int = 10) -> MatchResult:
        """Match a query against the live registry."""
        ...


class ConsentPrompter(Protocol):
    """Puts the released person's conversation in the consent question (Rasa's trigger_intent)."""

    def open_consent(self, contact_id: int, match_id: int) -> None:
        """Raise an exception with ``retryable`` when the conversation cannot be reached now."""
        ...


class NoPrompter:
    """Local mode without Rasa: the question is sent, and answers are recorded by :func:`consent.record_choice`."""

    def open_consent(self, contact_id: int, match_id: int) -> None:
        """Do nothing."""


@dataclass
class StepReport:
    """What one worker step did (for logs and tests)."""

    searches_matched: int = 0
    matches_created: int = 0
    asked: int = 0
    notified: int = 0
    reminded: int = 0
    escalated: int = 0
    erased: int = 0
    woken: set[int] = field(default_factory=set)

    def busy(self) -> bool:
        """Whether the step did anything."""
        return any((self.searches_matched, self.matches_created, self.asked, self.notified, self.reminded, self.escalated, self.erased))


class _Watch:
    """A watermark over ``updated_at`` with the overlap, remembering what it already applied."""

    def __init__(self, start: dt.datetime | None) -> None:
        self.mark = start
        self.applied: dict[int, Any] = {}

    def since(self) -> dt.datetime | None:
        return None if self.mark is None else self.mark - OVERLAP

    def fresh(self, row_id: int, stamp: Any) -> bool:
        if self.applied.get(row_id) == stamp:
            return False
        self.applied[row_id] = stamp
        stamp = aware(stamp)
        if stamp is not None and (self.mark is None or stamp > self.mark):
            self.mark = stamp
        return True

    def trim(self) -> None:
        if self.mark is not None:
            horizon = self.mark - OVERLAP
            self.applied = {k: v for k, v in self.applied.items() if (aware(v) or horizon) >= horizon}


class ReunionWorker:
    """Keeps matchers over open searches and active registrations, and runs the workflow's steps."""

    def __init__(
        self,
        factory: sessionmaker,
        registry: RegistrySearch,
        config: ReunionConfig | None = None,
        *,
        prompter: ConsentPrompter | None = None,
        tracker_eraser: erase.TrackerEraser | None = None,
        waker: Waker | None = None,
        redis_client: Any = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.factory = factory
        self.registry = registry
        self.config = config or ReunionConfig()
        self.prompter = prompter or NoPrompter()
        self.tracker_eraser = tracker_eraser
        self.waker = waker or NoWaker()
        self.redis = redis_client
        self.clock = clock
        self.registrations = Matcher()
        self.searches = Matcher()
        self._started = False
        self._watch: dict[str, _Watch] = {}
        self._stop = threading.Event()

    # -- watermarks -----------------------------------------------------------------------------

    def _wm_key(self, name: str) -> str:
        return f"{self.config.redis_prefix}reunion:watermark:{name}"

    def _load_mark(self, name: str) -> dt.datetime | None:
        if self.redis is None:
            return None
        raw = self.redis.get(self._wm_key(name))
        return dt.datetime.fromisoformat(raw.decode()) if raw else None

    def _save_marks(self) -> None:
        if self.redis is None:
            return
        for name, watch in self._watch.items():
            if watch.mark is not None:
                self.redis.set(self._wm_key(name), watch.mark.isoformat())

    @property
    def wake_key(self) -> str:
        """The Redis list whose push wakes the worker at once."""
        return f"{self.config.redis_prefix}reunion:wake"

    def start(self) -> None:
        """Load open searches and active registrations into memory and set the watermarks.

        Changes since the last run (watermarks kept in Redis) are replayed by the first step; on a
        first run, registrations and registry rows older than the oldest unmatched work are taken
        as already seen, and searches never matched are matched by the first step.
        """
        with self.factory() as session:
            for search in session.execute(select(SearchRequest).where(SearchRequest.status != "closed")).scalars():
                self.searches.upsert(search_record(search))
            for registration in session.execute(select(Registration).where(Registration.status == "active")).scalars():
                self.registrations.upsert(registration_record(registration))
        now = self.clock()
        for name in ("searches", "registrations", "registry"):
            self._watch[name] = _Watch(self._load_mark(name) or now)
        self._started = True
        log.info("reunion worker: %d open searches, %d active registrations in memory", len(self.searches), len(self.registrations))

    # -- matching -------------------------------------------------------------------------------

    def _fresh_rows(self, session, model, name: str) -> list:  # type: ignore[no-untyped-def]
        """Rows of ``model`` changed since the watermark ``name`` and not applied yet.

        Only (id, updated_at) is read for the overlap window; whole rows are loaded just for the
        fresh ones, so a step right after a big import stays cheap.
        """
        watch = self._watch[name]
        stmt = select(model.id, model.updated_at)
        since = watch.since()
        if since is not None:
            stmt = stmt.where(model.updated_at >= since)
        fresh = [row_id for row_id, stamp in session.execute(stmt) if watch.fresh(row_id, stamp)]
        watch.trim()
        rows = []
        for start in range(0, len(fresh), 1000):
            chunk = fresh[start : start + 1000]
            rows += session.execute(select(model).where(model.id.in_(chunk)).order_by(model.id)).scalars().all()
        return rows

    def _changed_searches(self, session, affected: set[int]) -> None:  # type: ignore[no-untyped-def]
        for search in self._fresh_rows(session, SearchRequest, "searches"):
            if search.status != "closed":
                self.searches.upsert(search_record(search))
                affected.add(search.id)
            else:
                self.searches.remove(typed_id(SEARCH, search.id))
        # Never matched at all (e.g. written while no worker ran): match now whatever the watermark.
        for search_id in session.execute(
            select(SearchRequest.id).where(SearchRequest.status != "closed", SearchRequest.matched_at.is_(None))
        ).scalars():
            affected.add(search_id)

    def _reverse(self, record_query: Query) -> set[int]:
        """Searches a registration or registry row may answer: candidates only, decided later.

        Families often give less than a registration holds, and extra details on the query side
        cost evidence, so the lookup runs three times: the whole record, its full name alone, and
        its first and last name alone. Candidates the matcher scores zero are left out.
        """
        found = set()
        for query in reverse_queries(record_query):
            for candidate in self.searches.search(query, REVERSE_CANDIDATES).candidates:
                parsed = parse_typed_id(candidate.record_id)
                if candidate.score > MIN_REVERSE_SCORE and parsed is not None and parsed[0] == SEARCH:
                    found.add(parsed[1])
        return found

    def _changed_registrations(self, session, affected: set[int]) -> None:  # type: ignore[no-untyped-def]
        for registration in self._fresh_rows(session, Registration, "registrations"):
            rid = typed_id(REGISTRATION, registration.id)
            if registration.status == "active":
                record = registration_record(registration)
                self.registrations.upsert(record)
                affected |= self._reverse(as_query(record, rid))
            else:
                self.registrations.remove(rid)

    def _changed_registry(self, session, affected: set[int]) -> None:  # type: ignore[no-untyped-def]
        changed = self._fresh_rows(session, RegistryRow, "registry")
        for row in changed:
            if row.deleted_at is None:
                affected |= self._reverse(as_query(record_of(row), matcher_id(row.source, row.record_id)))
        refresh = getattr(self.registry, "refresh", None)
        if changed and callable(refresh):
            refresh()

    def _registry_row_id(self, session, record_id: str) -> int | None:  # type: ignore[no-untyped-def]
        row_id = getattr(self.registry, "row_id", None)
        if callable(row_id):
            found = row_id(record_id)
            if found is not None:
                return int(found)
        source, _, rec = record_id.partition(":")
        return session.execute(
            select(RegistryRow.id).where(RegistryRow.source == source, RegistryRow.record_id == rec, RegistryRow.deleted_at.is_(None))
        ).scalar_one_or_none()

    def match_search(self, session, search: SearchRequest) -> int:  # type: ignore[no-untyped-def]
        """Match one search (open, or matched but not closed) against registrations and the registry.

        Returns how many match rows it created; pairs already known are left as they are.
        """
        query = search_query(search)
        created = 0
        result = self.registrations.search(query)
        for candidate in group_of(result):
            parsed = parse_typed_id(candidate.record_id)
            if parsed is None:
                continue
            registration = session.get(Registration, parsed[1])
            if registration is None or registration.status != "active":
                self.registrations.remove(candidate.record_id)  # erased or withdrawn since
                continue
            if registration.contact_id == search.contact_id:
                continue  # nobody is told about their own registration
            _, new = upsert_match(session, search.id, Target(REGISTRATION, registration.id), candidate, result.decision)
            created += new
        registry_result = self.registry.search(query)
        registry_group = group_of(registry_result)
        if registry_group:
            # One row is enough to tell a family; rows of other lists for the same person add nothing.
            top = registry_group[0]
            row_id = self._registry_row_id(session, top.record_id)
            if row_id is not None:
                # A list's entry is news only for a search that carried more than the name (a
                # prober knows names, rarely a father, a mother or a year); else an operator looks.
                decision = registry_result.decision if has_details(search) else "review"
                _, new = upsert_match(session, search.id, Target(REGISTRY, row_id), top, decision)
                created += new
        # Stamp matched_at without touching updated_at, or the search would look edited and match again.
        session.execute(
            update(SearchRequest)
            .where(SearchRequest.id == search.id)
            .values(matched_at=self.clock(), updated_at=SearchRequest.updated_at)
            .execution_options(synchronize_session=False)
        )
        return created

    # -- one step -------------------------------------------------------------------------------

    def step(self) -> StepReport:
        """Apply changes, match what they affect, then advance consent flows, reminders and erasures."""
        if not self._started:
            self.start()
        report = StepReport()
        affected: set[int] = set()
        with self.factory() as session:
            self._changed_searches(session, affected)
            self._changed_registrations(session, affected)
            self._changed_registry(session, affected)
        if affected:
            with self.factory() as session, session.begin():  # one transaction for the step's matching
                for search_id in sorted(affected):
                    search = session.get(SearchRequest, search_id)
                    if search is None:
                        self.searches.remove(typed_id(SEARCH, search_id))
                        continue
                    if search.status == "closed":
                        continue
                    report.matches_created += self.match_search(session, search)
                    report.searches_matched += 1
        self._codes(report)
        self._flows(report)
        self._erasures(report)
        self._save_marks()
        self.waker.wake(report.woken)
        if report.busy():
            log.info(
                "reunion step: %d searches matched, %d matches created, %d asked, %d notified, %d reminded, %d escalated, %d erased",
                report.searches_matched, report.matches_created, report.asked, report.notified,
                report.reminded, report.escalated, report.erased,
            )
        return report

    def _open(self, contact_id: int, match_id: int) -> bool:
        try:
            self.prompter.open_consent(contact_id, match_id)
        except Exception as exc:  # Rasa down: the match keeps its status and the next step retries
            log.warning("match %s: cannot open the consent question in Rasa (%s); retrying later", match_id, getattr(exc, "reason", type(exc).__name__))
            return False
        return True

    def _flows(self, report: StepReport) -> None:
        # Answers first, so a person's confirmation comes before their next question.
        with self.factory() as session, session.begin():
            for match_id in consent.to_notify(session, self.clock(), self.config.list_news_delay_seconds):
                written = consent.notify(session, match_id)
                report.notified += bool(written)
                report.woken.update(written)
        with self.factory() as session:
            to_relay = relay.to_open(session)
        for match_id in to_relay:
            with self.factory() as session, session.begin():
                written = relay.open_thread(session, match_id)
            report.notified += bool(written)
            report.woken.update(written)
        with self.factory() as session:
            to_ask = consent.to_ask(session)
        for match_id, contact_id in to_ask:
            if not self._open(contact_id, match_id):
                continue
            with self.factory() as session, session.begin():
                woken = consent.ask(session, match_id, now=self.clock())
            if woken is not None:
                report.asked += 1
                report.woken.add(woken)
        with self.factory() as session:
            due = consent.due_reminders(session, self.config, self.clock())
        for match_id, contact_id in due:
            if not self._open(contact_id, match_id):
                continue
            with self.factory() as session, session.begin():
                woken = consent.ask(session, match_id, reminder=True, now=self.clock())
            if woken is not None:
                report.reminded += 1
                report.woken.add(woken)
        with self.factory() as session, session.begin():
            report.escalated += len(consent.escalate_timeouts(session, self.config, self.clock()))

    def _codes(self, report: StepReport) -> None:
        with self.factory() as session, session.begin():
            for contact_id in verification.send_missing_codes(session, self.config):
                report.woken.add(contact_id)

    def _erasures(self, report: StepReport) -> None:
        with self.factory() as session:
            pending = [c for c in erase.pending_erasures(session) if erase.ready_to_finish(session, c, self.clock())]
        for contact_id in pending:
            if self.tracker_eraser is not None:
                try:
                    self.tracker_eraser.erase(str(contact_id))
                except Exception as exc:
                    log.warning("contact %s: cannot erase the Rasa tracker (%s); retrying later", contact_id, getattr(exc, "reason", type(exc).__name__))
                    continue
            with self.factory() as session, session.begin():
                erase.finish_erasure(session, contact_id)
            self.registrations_cleanup()
            report.erased += 1

    def registrations_cleanup(self) -> None:
        """Drop erased searches and registrations from memory (their rows are gone)."""
        with self.factory() as session:
            live_regs = set(session.execute(select(Registration.id).where(Registration.status == "active")).scalars())
            live_searches = set(session.execute(select(SearchRequest.id).where(SearchRequest.status != "closed")).scalars())
        for entry in list(self.registrations.index.entries()):
            parsed = parse_typed_id(entry.record_id)
            if parsed and parsed[1] not in live_regs:
                self.registrations.remove(entry.record_id)
        for entry in list(self.searches.index.entries()):
            parsed = parse_typed_id(entry.record_id)
            if parsed and parsed[1] not in live_searches:
                self.searches.remove(entry.record_id)

    # -- running --------------------------------------------------------------------------------

    def wake(self) -> None:
        """Wake a running worker at once (from any process with the same Redis)."""
        if self.redis is not None:
            self.redis.lpush(self.wake_key, "1")

    def step_if_leader(self) -> StepReport | None:
        """One step, unless another worker process is stepping now (one consent question, never two)."""
        if self.redis is None:
            return self.step()
        lock = self.redis.lock(f"{self.config.redis_prefix}reunion:leader", timeout=120, thread_local=False)
        if not lock.acquire(blocking=False):
            return None
        try:
            return self.step()
        finally:
            try:
                lock.release()
            except Exception:  # expired while stepping: the next step takes it again
                log.warning("reunion leader lock expired during a step")

    def run(self, poll_seconds: float = 1.0) -> None:
        """Step until :meth:`stop`, waiting up to ``poll_seconds`` (or a wake-up) between steps."""
        while not self._stop.is_set():
            try:
                self.step_if_leader()
            except Exception:  # a database blip must not end the worker; the next step retries
                log.exception("reunion step failed; retrying")
                time.sleep(poll_seconds)
            if self.redis is not None:
                try:
                    if self.redis.blpop(self.wake_key, timeout=max(1, int(poll_seconds))):
                        self.redis.delete(self.wake_key)
                except Exception:  # Redis down or restarting: wait and step again; the thread must live on
                    log.warning("reunion worker: cannot wait on Redis; stepping again in %s s", poll_seconds)
                    self._stop.wait(poll_seconds)
            else:
                self._stop.wait(poll_seconds)

    def start_thread(self, poll_seconds: float = 1.0) -> threading.Thread:
        """Run in a daemon thread (for ``shaml worker``)."""
        thread = threading.Thread(target=self.run, args=(poll_seconds,), name="reunion-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Ask :meth:`run` to return after the current step."""
        self._stop.set()
        if self.redis is not None:
            self.redis.lpush(self.wake_key, "1")


def wake_worker(redis_client: Any, prefix: str) -> None:
    """Wake the match worker now (after committing a search, a registration or an operator decision)."""
    redis_client.lpush(f"{prefix}reunion:wake", "1")
