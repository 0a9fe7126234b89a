"""Measure what the matcher's "ask" (the deciding detail) buys on a devset split.

For every query sent to review with an ``ask`` field whose truth person is in the registry, the
family answers that one question with the truth row's value, and the query is searched again.
Prints the decisions before and after, and any wrong match (there must be none).

    .venv/bin/python scripts/ask_simulation.py dev
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace

from matching.engine import Matcher
from matching.names import parse_name
from matching.splits import load_split


def main(split: str) -> None:
    """Run the simulation on data/devset/<split>."""
    data = load_split(split)
    records, truth = data.records, data.truth
    matcher = Matcher(records.values())
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    asked = present = 0
    for query in data.queries:
        res = matcher.search(query)
        t = truth[query.query_id]
        present += t["record_id"] is not None
        before[_outcome(res, t)] += 1
        ask = res.reasons.get("ask")
        rec = records.get(t["record_id"] or "")
        if res.decision == "review" and ask and rec is not None:
            value = _answer(rec, ask)
            if value is not None:
                asked += 1
                res = matcher.search(replace(query, **{ask: value}))
        after[_outcome(res, t)] += 1
    print(f"split {split}: {present} present; asked one question on {asked} reviews")
    for name, c in (("before", before), ("after one answer", after)):
        auto = c["right match"] / present if present else 0.0
        print(f"  {name:<17} auto-recall {auto:.3f}  " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))


def _answer(rec: object, field: str) -> object | None:
    if field == "father_name":
        toks = parse_name(getattr(rec, "full_name", "")).tokens
        return getattr(rec, "father_name", None) or (toks[1] if len(toks) >= 3 else None)
    return getattr(rec, field, None)


def _outcome(res: object, t: dict[str, object]) -> str:
    decision = getattr(res, "decision", "")
    cands = getattr(res, "candidates", ())
    if decision == "match":
        return "right match" if cands and cands[0].record_id == t["record_id"] else "WRONG MATCH"
    return decision


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "dev")
