"""The in-process matcher: index plus scorer plus decision, with explained results; pure."""

from __future__ import annotations

import gc
import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from matching.decide import (
    DecisionConfig,
    Scored,
    decide,
    has_conflict,
    is_compatible,
    posterior_scores,
    same_person,
)
from matching.index import SHORTLIST, CandidateIndex, prepare_query, prepare_record
from matching.records import Query, RegistryRecord
from matching.score import PAIR_FLOOR, STRONG, Entry, PreparedQuery, score_pair, token_similarity
from matching.separate import deciding_detail

#: Before a match, every namesake of the top candidate (same given and family name, and a
#: birth year the query does not rule out) is checked for a compatible rival. Past this many
#: namesakes, or this many fully scored, the query goes to review instead.
RIVAL_VISIT_CAP = 3_000
RIVAL_SCAN_CAP = 200


def _could_agree(pq: PreparedQuery, e: Entry) -> bool:
    """Necessary for a compatible rival: its given and family names each agree with some
    part of the query (a cheap, cached test before the full scorer)."""
    return len(e.names) >= 2 and all(
        any(token_similarity(t, part) >= STRONG for t in pq.names) for part in (e.names[0], e.names[-1])
    )


def _contradicts(pq: PreparedQuery, e: Entry) -> bool:
    """True when the birth year, mother's or father's name the family gave clearly differ."""
    if pq.year is not None and e.year is not None and abs(pq.year - e.year) > 2:
        return True
    if pq.mother and e.mother and token_similarity(pq.mother[0], e.mother[0]) < PAIR_FLOOR:
        return True
    if pq.father is not None and e.has_father and len(e.names) >= 3:
        return token_similarity(pq.father, e.names[1]) < PAIR_FLOOR
    if pq.father is None and len(pq.names) >= 3 and len(e.names) == 3 and e.has_father:
        # a typed middle name that is not the record's father (nor any other part of it)
        return all(token_similarity(t, e.names[1]) < PAIR_FLOOR for t in pq.names)
    return False


#: Namesakes (given and family name agree with the query's) scored even when the index did not
#: shortlist them. Past this many (more than a top 10 holds), those the scorer would prefer are
#: taken: the mother's name agreeing, the closest birth year, the fewest name parts the query
#: lacks (all that tells bare namesakes apart), then by record id.
NAMESAKES_ALWAYS_SCORED = 12
#: The pair posting also holds rows where the two names are in other roles (given + father …);
#: past this many postings the true namesakes are not picked out of it.
NAMESAKES_POSTED_READ = 250


def _names_fit(s: Scored) -> bool:
    return bool(s.pair.given and s.pair.family and not has_conflict(s.pair))


def promote_name_agreements(ranked: list[Scored], limit: int) -> list[Scored]:
    """Keep every candidate whose given and family name agree (and nothing conflicts) within
    the first ``limit``, in place of the lowest-ranked ones that do not; order otherwise kept.

    A person who shares the sought given and family name is shown to the operator rather than
    cut behind better-scoring rows that differ in the family or given name."""
    if len(ranked) <= limit:
        return ranked
    late = [s for s in ranked[limit:] if _names_fit(s)]
    if not late:
        return ranked
    head = ranked[:limit]
    out_ids: set[int] = set()
    for s in reversed(head):
        if len(out_ids) == len(late):
            break
        if not _names_fit(s) and s is not head[0]:
            out_ids.add(id(s))
    promoted = late[: len(out_ids)]
    keep = [s for s in head if id(s) not in out_ids] + promoted
    rank = {id(s): k for k, s in enumerate(ranked)}
    keep.sort(key=lambda s: rank[id(s)])
    chosen = {id(s) for s in keep}
    return keep + [s for s in ranked if id(s) not in chosen]


@dataclass(frozen=True, slots=True)
class MatchConfig:
    """Matcher settings: decision thresholds and how many candidates get the full scorer."""

    decision: DecisionConfig = field(default_factory=DecisionConfig)
    shortlist: int = SHORTLIST


@dataclass(frozen=True, slots=True)
class Candidate:
    """One registry record proposed for a query, with its score and per-field explanation."""

    record_id: str
    score: float
    explanation: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The candidate as in the result contract."""
        return {"record_id": self.record_id, "score": round(self.score, 4), "explanation": self.explanation}


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The answer to one query: a decision and candidates best first."""

    query_id: str
    decision: str
    candidates: tuple[Candidate, ...]
    reasons: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """``{"query_id", "decision", "candidates": [...], "reasons"}`` per DESIGN.md."""
        return {
            "query_id": self.query_id,
            "decision": self.decision,
            "candidates": [c.to_json() for c in self.candidates],
            "reasons": self.reasons,
        }


class Matcher:
    """Matches family queries against registry records held in memory.

    Build it from records, keep it current with :meth:`upsert` and :meth:`remove`, and call
    :meth:`search`. The same data always gives the same answer, in the CLI or in process.
    """

    def __init__(self, records: Iterable[RegistryRecord] = (), *, config: MatchConfig | None = None) -> None:
        self.config = config or MatchConfig()
        self._index = CandidateIndex()
        self.extend(records)

    def extend(self, records: Iterable[RegistryRecord]) -> int:
        """Upsert many records; returns how many. The cyclic garbage collector is paused
        meanwhile (the index creates millions of small objects and no cycles), then the
        built objects are frozen out of later collections."""
        count = 0
        paused = gc.isenabled()
        gc.disable()
        try:
            for record in records:
                self.upsert(record)
                count += 1
        finally:
            if paused:
                gc.enable()
        if count > 10_000:
            gc.freeze()
        return count

    def upsert(self, record: RegistryRecord) -> None:
        """Add a record, or replace the one with the same record_id."""
        self._index.add(prepare_record(record))

    def remove(self, record_id: str) -> bool:
        """Remove a record; False if it was not there."""
        return self._index.remove(record_id)

    def __len__(self) -> int:
        return len(self._index)

    @property
    def index(self) -> CandidateIndex:
        """The candidate index (read-only use: benchmarks, exhaustive comparison)."""
        return self._index

    def score_entries(self, pq: PreparedQuery, entries: Iterable[Any], explain_top: int = 10) -> list[Scored]:
        """Score the given entries against a prepared query, best first (no candidate search).

        Only the best ``explain_top`` get the full per-field explanation (it is what costs).
        """
        idx = self._index
        size = len(idx)
        name_memo: dict[str, float] = {}
        mother_memo: dict[str, float] = {}

        def name_weight(token: str) -> float:
            w = name_memo.get(token)
            if w is None:
                w = name_memo[token] = idx.name_weight(token)
            return w

        def mother_weight(token: str) -> float:
            w = mother_memo.get(token)
            if w is None:
                w = mother_memo[token] = idx.mother_weight(token)
            return w

        out = []
        memo: dict[Any, Any] = {}
        for e in entries:
            pair = score_pair(pq, e, name_weight, mother_weight, explain=False, memo=memo)
            out.append(Scored(e, pair, 0.0))
        out.sort(key=lambda s: (-s.pair.bits, s.entry.record_id))
        posterior_scores(out, size, self.config.decision)
        for s in promote_name_agreements(out, explain_top)[:explain_top]:
            s.pair = score_pair(pq, s.entry, name_weight, mother_weight, explain=True, memo=memo)
        return out

    def search(self, query: Query, limit: int = 10) -> MatchResult:
        """Find and decide. Never raises on odd input; an empty name gives ``no_match``."""
        pq = prepare_query(query)
        if not pq.names:
            return MatchResult(query.query_id, "no_match", (), {"reason": "the query has no name"})
        idx = self._index
        slots = idx.candidates(pq, self.config.shortlist)
        if len(pq.names) >= 2:
            slots = self._with_namesakes(pq, slots)
        entries = [e for s in slots if (e := idx.entry(s)) is not None]
        return self.result_from_scored(pq, self.score_entries(pq, entries, max(limit, 1)), limit)

    def _with_namesakes(self, pq: PreparedQuery, slots: list[int]) -> list[int]:
        """No silent misses: the shortlist plus the records whose given and family name agree
        with the query's (by the scorer's own similarity, so محمد is no namesake of محمود) and
        whose birth year the query allows, read from the given + family keys when they are short."""
        idx = self._index
        given, family = pq.names[0], pq.names[-1]
        posted = idx.namesakes_within((given, family), pq.year, NAMESAKES_POSTED_READ)
        if not posted:
            return slots
        have = set(slots)
        same = []
        given_ok: dict[str, bool] = {}  # namesakes repeat a handful of spellings
        family_ok: dict[str, bool] = {}
        for s in posted:
            if s in have:
                continue
            e = idx.entry(s)
            if e is None or len(e.names) < 2:
                continue
            g, f = e.names[0], e.names[-1]
            ok = given_ok.get(g)
            if ok is None:
                ok = given_ok[g] = token_similarity(given, g) >= STRONG
            if not ok:
                continue
            ok = family_ok.get(f)
            if ok is None:
                ok = family_ok[f] = token_similarity(family, f) >= STRONG
            if ok:
                same.append(s)
        if len(same) > NAMESAKES_ALWAYS_SCORED:
            ids = idx.record_id

            typed = list(pq.names[1:-1]) + ([pq.father] if pq.father and not pq.father_in_names else [])

            def promise(slot: int) -> tuple[bool, int, int, int, str]:
                # what the scorer would prefer among namesakes: the mother's name typed, the
                # typed middle names (father …), a closer birth year, fewer name parts the
                # query lacks; then the record id
                e = idx.entry(slot)
                assert e is not None
                mother = bool(pq.mother and e.mother and token_similarity(pq.mother[0], e.mother[0]) >= STRONG)
                middle = sum(1 for t in typed if any(token_similarity(t, m) >= PAIR_FLOOR for m in e.names[1:-1]))
                near = abs(pq.year - e.year) if pq.year is not None and e.year is not None else 3
                return (not mother, -middle, near, len(e.names), ids(slot))

            same = heapq.nsmallest(NAMESAKES_ALWAYS_SCORED, same, key=promise)
        return list(slots) + same

    def _rival_finder(self, pq: PreparedQuery, ranked: list[Scored]) -> Callable[[Scored], str | None]:
        idx = self._index
        seen = {s.entry.record_id for s in ranked}

        def find(top: Scored) -> str | None:
            memo: dict[Any, Any] = {}
            candidates = idx.namesakes(top.entry, pq.year)
            if len(candidates) > RIVAL_VISIT_CAP:
                return "(too many namesakes to rule out)"
            checked = 0
            for slot in candidates:
                e = idx.entry(slot)
                if e is None or e.record_id in seen:
                    continue
                if not _could_agree(pq, e) or _contradicts(pq, e):
                    continue  # cheap test first: a stated year, mother or father rules it out
                checked += 1
                if checked > RIVAL_SCAN_CAP:
                    return "(too many namesakes to rule out)"
                pair = score_pair(pq, e, idx.name_weight, idx.mother_weight, explain=False, memo=memo)
                if is_compatible(pair) and not same_person(top.entry, e):
                    return e.record_id
            return None

        return find

    def result_from_scored(self, pq: PreparedQuery, ranked: list[Scored], limit: int = 10) -> MatchResult:
        """Build the result from already ranked candidates."""
        decision, reasons = decide(ranked, self.config.decision, self._rival_finder(pq, ranked))
        if decision == "review":
            reasons["ask"] = deciding_detail(pq, ranked, limit)
        shown = promote_name_agreements(ranked, max(0, limit))[: max(0, limit)]  # display only
        idx = self._index
        for s in shown:
            if not s.pair.explanation:
                s.pair = score_pair(pq, s.entry, idx.name_weight, idx.mother_weight, explain=True)
        cands = tuple(
            Candidate(s.entry.record_id, s.score, {**s.pair.explanation, "bits": round(s.pair.bits, 2)})
            for s in shown
        )
        return MatchResult(pq.query_id, decision, cands, reasons)
