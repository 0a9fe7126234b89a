"""Matching benchmark: index build, query latency, and exhaustive scoring side by side."""

from __future__ import annotations

import gc
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from matching.engine import Matcher
from matching.index import prepare_query
from matching.records import Query, RegistryRecord, RowError, record_from_row


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
    rss_before_mb: float
    rss_after_mb: float
    peak_rss_mb: float
    queries: int
    latency_ms: dict[str, float]
    rapidfuzz_ms_per_query: float
    exhaustive_ms_per_query: float
    exhaustive_sample: int
    index_recall: float
    index_recall_top1: float
    notes: list[str] = field(default_factory=list)

    def table(self) -> str:
        """A readable table of the figures."""
        lines = [
            f"records indexed                 {self.records:>12,}",
            f"index build                     {self.build_seconds:>12.1f} s",
            f"RSS before / after build        {self.rss_before_mb:>7.0f} / {self.rss_after_mb:.0f} MB",
            f"peak RSS                        {self.peak_rss_mb:>12.0f} MB",
            f"queries timed (one core)        {self.queries:>12,}",
            f"query latency p50 / p95 / p99   {self.latency_ms['p50']:>5.2f} / {self.latency_ms['p95']:.2f}"
            f" / {self.latency_ms['p99']:.2f} ms",
            f"query latency mean              {self.latency_ms['mean']:>12.2f} ms",
            "",
            f"exhaustive, sample of {self.exhaustive_sample} queries:",
            f"  rapidfuzz token_sort_ratio over every full name   {self.rapidfuzz_ms_per_query:>10.1f} ms/query"
            f"   ({self.rapidfuzz_ms_per_query / max(self.latency_ms['mean'], 1e-9):.0f}x the index)",
            f"  Shaml scorer over every row                       {self.exhaustive_ms_per_query:>10.1f} ms/query"
            f"   ({self.exhaustive_ms_per_query / max(self.latency_ms['mean'], 1e-9):.0f}x the index)",
            f"  index recall: exhaustive best found in index top 10   {self.index_recall:>6.3f}",
            f"  index recall: index top 1 scores as exhaustive top 1  {self.index_recall_top1:>6.3f}",
        ]
        return "\n".join(lines + [f"note: {n}" for n in self.notes])


def run_bench(
    rows: Iterable[dict[str, str]],
    n_queries: int = 1000,
    exhaustive_sample: int = 20,
    seed: int = 1,
    progress: Callable[[str], None] | None = None,
) -> BenchReport:
    """Build a matcher from ``rows``, time queries, and compare with exhaustive scoring."""
    from rapidfuzz import fuzz, process

    say = progress or (lambda _m: None)
    records = records_from_rows(rows)
    gc.collect()
    rss_before = _rss_mb()
    say(f"building the index over {len(records):,} records")
    t0 = time.perf_counter()
    matcher = Matcher()
    for rec in records:
        matcher.upsert(rec)
    build = time.perf_counter() - t0
    rss_after = _rss_mb()
    queries = queries_from_records(records, n_queries, seed)
    del records
    say(f"timing {len(queries):,} queries")
    lat = []
    for q in queries:
        t = time.perf_counter()
        matcher.search(q)
        lat.append((time.perf_counter() - t) * 1000)
    latency = {"p50": _pct(lat, 0.5), "p95": _pct(lat, 0.95), "p99": _pct(lat, 0.99), "mean": statistics.fmean(lat)}

    sample = queries[: max(0, exhaustive_sample)]
    entries = list(matcher.index.entries())
    choices = [" ".join(e.names) for e in entries]
    say(f"exhaustive scoring of {len(entries):,} rows for {len(sample)} queries")
    t = time.perf_counter()
    for q in sample:
        process.extract(" ".join(prepare_query(q).names), choices, scorer=fuzz.token_sort_ratio, limit=10)
    rf_ms = (time.perf_counter() - t) * 1000 / max(1, len(sample))
    found = top1 = 0
    t = time.perf_counter()
    exhaustive_results = []
    for q in sample:
        pq = prepare_query(q)
        ranked = matcher.score_entries(pq, entries, explain_top=0)
        exhaustive_results.append((q, ranked[0] if ranked else None))
    ex_ms = (time.perf_counter() - t) * 1000 / max(1, len(sample))
    for q, best in exhaustive_results:
        res = matcher.search(q)
        if best is None:
            found += 1
            top1 += 1
            continue
        ids = [c.record_id for c in res.candidates]
        if best.entry.record_id in ids or (res.candidates and res.candidates[0].score >= best.score - 1e-9):
            found += 1
        if res.candidates and res.candidates[0].score >= best.score - 1e-9:
            top1 += 1
    n = max(1, len(sample))
    return BenchReport(
        records=len(matcher),
        build_seconds=build,
        rss_before_mb=rss_before,
        rss_after_mb=rss_after,
        peak_rss_mb=_peak_rss_mb(),
        queries=len(queries),
        latency_ms=latency,
        rapidfuzz_ms_per_query=rf_ms,
        exhaustive_ms_per_query=ex_ms,
        exhaustive_sample=len(sample),
        index_recall=found / n,
        index_recall_top1=top1 / n,
        notes=[
            "latencies are single-threaded wall-clock on a shared machine, first pass (cold caches)",
            "a tie with the exhaustive best score counts as found (namesakes score alike)",
        ],
    )
