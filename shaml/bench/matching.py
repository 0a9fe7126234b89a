"""Matching benchmark: index build, query latency, and exhaustive scoring side by side."""

from __future__ import annotations

import gc
import heapq
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from matching.engine import Matcher
from matching.index import prepare_query
from matching.records import Query, RegistryRecord, RowError, record_from_row
from matching.score import Entry, score_pair


def _rss_mb() -> float:
    try:
        import psutil

        return float(psutil.Process().memory_info().rss) / 2**20
    except Exception:  # pragma: no cover - psutil is a dependency; this is a fallback
        return _peak_rss_mb()


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def records_from_rows(rows: Iterable[dict[str, str]]) -> list[RegistryRecord]:
    """Validate generated rows into records (rows that fail validation are dropped)."""
    out = []
    for row in rows:
        try:
            out.append(record_from_row(row))
        except RowError:
            continue
    return out


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.random()
    if op < 0.4:
        return word[:i] + word[i + 1 :]
    if op < 0.7:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i] + word[i:]


def queries_from_records(records: list[RegistryRecord], n: int, seed: int = 1) -> list[Query]:
    """Queries a family could type for ``n`` sampled records: parts dropped, typos, details."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        rec = rng.choice(records)
        parts = rec.full_name.split()
        if len(parts) >= 3 and rng.random() < 0.4:
            parts = [parts[0], parts[-1]]
        if rng.random() < 0.3:
            j = rng.randrange(len(parts))
            parts[j] = _typo(parts[j], rng)
        out.append(
            Query(
                query_id=f"b{k}",
                name=" ".join(parts),
                mother_name=rec.mother_name if rng.random() < 0.5 else None,
                birth_year=(rec.birth_year + rng.choice((0, 0, 1, -1))) if rec.birth_year and rng.random() < 0.5 else None,
                governorate=rec.governorate if rng.random() < 0.5 else None,
            )
        )
    return out


def exhaustive_best(matcher: Matcher, query: Query, entries: list[Entry]) -> tuple[str, float, float] | None:
    """Score every entry (streaming, nothing kept) and return the best: id, bits, score.

    The score of the best is its posterior against the 60 next best, as in a real search.
    """
    idx = matcher.index
    pq = prepare_query(query)
    if not pq.names or not entries:
        return None
    best: list[tuple[float, str, Entry]] = []
    memo: dict[Any, Any] = {}
    for e in entries:
        bits = score_pair(pq, e, idx.name_weight, idx.mother_weight, explain=False, memo=memo).bits
        if len(best) < 61:
            heapq.heappush(best, (bits, e.record_id, e))
        elif bits > best[0][0]:
            heapq.heapreplace(best, (bits, e.record_id, e))
    ranked = matcher.score_entries(pq, [e for _, _, e in best], explain_top=0)
    top = ranked[0]
    return top.entry.record_id, top.pair.bits, top.score


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


@dataclass
class BenchReport:
    """Figures of one benchmark run (times in seconds unless named otherwise)."""

    records: int
    build_seconds: float
    build_cpu_seconds: float
    rss_before_mb: float
    rss_after_mb: float
    peak_rss_mb: float
    queries: int
    latency_ms: dict[str, float]
    cold_latency_ms: dict[str, float]
    rapidfuzz_ms_per_query: float
    exhaustive_ms_per_query: float
    exhaustive_sample: int
    index_recall: float
    index_recall_relevant: int
    index_recall_top1: float
    notes: list[str] = field(default_factory=list)

    def table(self) -> str:
        """A readable table of the figures."""
        w, c = self.latency_ms, self.cold_latency_ms
        per = max(w["mean"], 1e-9)
        lines = [
            f"records indexed                        {self.records:>12,}",
            f"index build (upserts only)             {self.build_seconds:>12.1f} s wall, "
            f"{self.build_cpu_seconds:.1f} s CPU",
            f"RSS before / after build               {self.rss_before_mb:>7.0f} / {self.rss_after_mb:.0f} MB",
            f"peak RSS of the process                {self.peak_rss_mb:>12.0f} MB",
            f"query latency, steady state            p50 {w['p50']:.2f}  p95 {w['p95']:.2f}  p99 {w['p99']:.2f}"
            f"  mean {w['mean']:.2f} ms  ({self.queries:,} queries)",
            f"query latency, first queries (cold)    p50 {c['p50']:.2f}  p95 {c['p95']:.2f}  p99 {c['p99']:.2f}"
            f"  mean {c['mean']:.2f} ms",
            "",
            f"side by side, {self.exhaustive_sample} queries scored against every row:",
            f"  rapidfuzz token_sort_ratio, every full name  {self.rapidfuzz_ms_per_query:>10.1f} ms/query"
            f"  ({self.rapidfuzz_ms_per_query / per:,.0f}x the index)",
            f"  Shaml scorer, every row                      {self.exhaustive_ms_per_query:>10.1f} ms/query"
            f"  ({self.exhaustive_ms_per_query / per:,.0f}x the index)",
            f"  index recall vs exhaustive Shaml scoring     {self.index_recall:>10.3f}"
            f"  (of {self.index_recall_relevant} queries with a plausible exhaustive best)",
            f"  index top 1 = exhaustive top 1 (all)        {self.index_recall_top1:>10.3f}",
        ]
        return "\n".join(lines + [f"note: {n}" for n in self.notes])


def run_bench(
    rows: Iterable[dict[str, str]],
    n_queries: int = 1000,
    exhaustive_sample: int = 20,
    seed: int = 1,
    progress: Callable[[str], None] | None = None,
) -> BenchReport:
    """Build a matcher from ``rows`` (streamed), time queries, compare with exhaustive scoring.

    Build time counts only :meth:`Matcher.upsert` (row generation and validation excluded).
    Latency is per-thread CPU time of :meth:`Matcher.search` on one core, first for
    ``n_queries`` queries on a fresh matcher (cold caches), then for ``n_queries`` other
    queries after that warm-up (steady state of a long-running matcher).
    """
    from rapidfuzz import fuzz, process

    say = progress or (lambda _m: None)
    rng = random.Random(seed)
    gc.collect()
    rss_before = _rss_mb()
    matcher = Matcher()
    sample: list[RegistryRecord] = []
    build = 0.0
    build_cpu = 0.0
    seen = 0
    want = 4 * n_queries

    def timed_records() -> Iterator[RegistryRecord]:
        nonlocal build, build_cpu, seen
        for row in rows:
            try:
                rec = record_from_row(row)
            except RowError:
                continue
            seen += 1
            if len(sample) < want:
                sample.append(rec)
            else:
                j = rng.randrange(seen)
                if j < want:
                    sample[j] = rec
            if seen % 200_000 == 0:
                say(f"  {seen:,} records indexed ({build:.1f} s)")
            started, started_cpu = time.perf_counter(), time.thread_time()
            yield rec
            build += time.perf_counter() - started  # time until the next record is asked for
            build_cpu += time.thread_time() - started_cpu

    matcher.extend(timed_records())  # the bulk path: garbage collector paused
    rss_after = _rss_mb()
    say(f"indexed {len(matcher):,} records in {build:.1f} s")
    cold_q = queries_from_records(sample, n_queries, seed)
    warm_q = queries_from_records(sample, n_queries, seed + 1000)
    sample.clear()

    def timed(queries: list[Query]) -> dict[str, float]:
        lat = []
        for q in queries:
            t = time.thread_time()
            matcher.search(q)
            lat.append((time.thread_time() - t) * 1000)
        return {"p50": _pct(lat, 0.5), "p95": _pct(lat, 0.95), "p99": _pct(lat, 0.99), "mean": statistics.fmean(lat)}

    say(f"timing {len(cold_q):,} queries (cold), then {len(warm_q):,} others (warm)")
    cold = timed(cold_q)
    warm = timed(warm_q)

    chosen = warm_q[: max(0, exhaustive_sample)]
    entries = list(matcher.index.entries())
    choices = [" ".join(e.names) for e in entries]
    say(f"exhaustive scoring of {len(entries):,} rows for {len(chosen)} queries")
    t = time.perf_counter()
    for q in chosen:
        process.extract(" ".join(prepare_query(q).names), choices, scorer=fuzz.token_sort_ratio, limit=10)
    rf_ms = (time.perf_counter() - t) * 1000 / max(1, len(chosen))
    t = time.perf_counter()
    exhaustive = [(q, exhaustive_best(matcher, q, entries)) for q in chosen]
    ex_ms = (time.perf_counter() - t) * 1000 / max(1, len(chosen))
    review_floor = matcher.config.decision.review_score
    found = relevant = top1 = 0
    for q, best in exhaustive:
        res = matcher.search(q)
        ids = [c.record_id for c in res.candidates]
        got = float(res.candidates[0].explanation["bits"]) if res.candidates else -1e9
        tie = best is None or got >= round(best[1], 2) - 0.011
        top1 += tie
        if best is not None and best[2] >= review_floor:
            relevant += 1
            found += tie or best[0] in ids
    n = max(1, len(chosen))
    return BenchReport(
        records=len(matcher),
        build_seconds=build,
        build_cpu_seconds=build_cpu,
        rss_before_mb=rss_before,
        rss_after_mb=rss_after,
        peak_rss_mb=_peak_rss_mb(),
        queries=len(cold_q),
        latency_ms=warm,
        cold_latency_ms=cold,
        rapidfuzz_ms_per_query=rf_ms,
        exhaustive_ms_per_query=ex_ms,
        exhaustive_sample=len(chosen),
        index_recall=found / max(1, relevant),
        index_recall_relevant=relevant,
        index_recall_top1=top1 / n,
        notes=[
            "latency: CPU time of one search on one thread; cold = first queries of a fresh matcher",
            "index recall: queries whose exhaustive best scores at least the review threshold;"
            " a tie with the exhaustive best counts as found (namesakes score alike)",
        ],
    )
