"""One side of ``shaml bench matching --compare``: a long-lived process that builds a matcher from
the tree it is started in and answers timing requests, one JSON object a line on stdin/stdout.

It is started as ``python -c <this file's text>`` with the tree to measure as its working
directory and PYTHONPATH, so it imports that tree's ``matching`` (the baseline's or this one's)
and nothing of ``shaml``; it must therefore only use what both trees' ``matching`` offer.

Requests (``op``): ``build`` (records, seed, sample), ``sample`` (the records kept while building,
for the parent to derive queries from), ``time`` (queries: per-query thread CPU time and wall
time of ``Matcher.search``, in ms, and each result's decision and top ids), ``recall``
(queries: the index's recall against exhaustive scoring, using the tree's bench helper), ``quit``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import random
import sys
import time
from pathlib import Path
from typing import Any


def _rss_mb() -> float:
    try:
        import psutil

        return float(psutil.Process().memory_info().rss) / 2**20
    except Exception:  # pragma: no cover - psutil is a dependency
        return 0.0


def _record_json(rec: Any) -> dict[str, Any]:
    out = dataclasses.asdict(rec)
    for k, v in out.items():
        if isinstance(v, dt.date):
            out[k] = v.isoformat()
    return out


def _query(d: dict[str, Any]) -> Any:
    from matching.records import Query

    return Query(**d)


def _build(matcher: Any, sample: list[Any], n: int, seed: int, want: int) -> dict[str, Any]:
    """Index ``n`` synthetic rows; keep a reservoir sample of ``want`` records for the queries.

    Build time counts only the matcher's own work (row generation and validation excluded);
    the digest of the rows lets the parent check that every side indexed the same registry."""
    from matching.records import RowError, record_from_row
    from matching.synth import generate_rows

    rng = random.Random(seed + 1)
    digest = hashlib.sha1()
    seen = 0
    cpu = wall = 0.0

    def records() -> Any:
        nonlocal seen, cpu, wall
        for row in generate_rows(n, seed=seed):
            try:
                rec = record_from_row(row)
            except RowError:
                continue
            seen += 1
            digest.update(f"{rec.record_id}\t{rec.full_name}\t{rec.mother_name}\t{rec.birth_year}\n".encode())
            if len(sample) < want:
                sample.append(rec)
            elif want:
                j = rng.randrange(seen)
                if j < want:
                    sample[j] = rec
            c, w = time.thread_time(), time.perf_counter()
            yield rec
            cpu += time.thread_time() - c
            wall += time.perf_counter() - w

    matcher.extend(records())
    import matching

    # The tree whose ``matching`` was imported: the parent checks it is the one this arm measures.
    tree = str(Path(matching.__file__).resolve().parents[1])
    return {"records": len(matcher), "digest": digest.hexdigest(), "build_cpu_s": cpu, "build_wall_s": wall,
            "rss_mb": _rss_mb(), "tree": tree}


def serve() -> None:  # noqa: C901 - one dispatch loop
    from matching.engine import Matcher

    matcher = Matcher()
    sample: list[Any] = []
    out = sys.stdout
    for line in sys.stdin:
        req = json.loads(line)
        op = req["op"]
        reply: dict[str, Any] = {"op": op}
        if op == "build":
            reply.update(_build(matcher, sample, int(req["records"]), int(req.get("seed", 0)),
                                int(req.get("sample", 0))))
        elif op == "sample":
            reply["records"] = [_record_json(r) for r in sample]
            sample.clear()
        elif op == "time":
            cpu_ms: list[float] = []
            wall_ms: list[float] = []
            tops: list[list[Any]] = []
            for d in req["queries"]:
                q = _query(d)
                c, w = time.thread_time(), time.perf_counter()
                res = matcher.search(q)
                wall_ms.append((time.perf_counter() - w) * 1000)
                cpu_ms.append((time.thread_time() - c) * 1000)
                tops.append([res.decision, [cand.record_id for cand in res.candidates]])
            reply.update(cpu_ms=cpu_ms, wall_ms=wall_ms, results=tops)
        elif op == "recall":
            try:
                from shaml.bench.matching import exhaustive_best
            except ImportError:  # the baseline kept the helper in matching/
                from matching.bench import exhaustive_best  # type: ignore[import-not-found,no-redef]
            review_floor = matcher.config.decision.review_score
            entries = list(matcher.index.entries())
            found = relevant = 0
            for d in req["queries"]:
                q = _query(d)
                best = exhaustive_best(matcher, q, entries)
                res = matcher.search(q)
                got = float(res.candidates[0].explanation["bits"]) if res.candidates else -1e9
                tie = best is None or got >= round(best[1], 2) - 0.011
                if best is not None and best[2] >= review_floor:
                    relevant += 1
                    found += tie or best[0] in [c.record_id for c in res.candidates]
            reply.update(found=found, relevant=relevant)
        elif op == "quit":
            out.write(json.dumps(reply) + "\n")
            out.flush()
            return
        else:
            reply["error"] = f"unknown op {op!r}"
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    serve()
