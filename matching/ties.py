"""Recall@10 with namesake ties counted fairly, and why each miss happened.

When more than ten registry people fit a bare given + family name equally well, which of them
fill the top ten is a tie-break (record id), not evidence: no matcher can do better than chance
without another detail. For every present query of a labelled split, every registry row is
scored (exhaustively, as the benchmark does) and the true person's chance of being in the top
ten under a random order of equal evidence is ``clamp((10 - S) / (T + 1))``, with ``S`` rows
scoring strictly more than the true row and ``T`` others scoring exactly the same (bits rounded
to 0.01, as shown to operators). Each miss is put in one category:

- ``tie``: the true row is tied at the cut (S < 10 <= S + T);
- ``outranked``: ten or more rows score strictly more (people with the same names whose rows
  fit the words typed better: fewer untyped parts, the very spelling typed);
- ``search``: the matcher showed a row with less evidence (or fewer than ten): the candidate
  search did not reach the true row.

    .venv/bin/python -m matching.ties spell-dev spell-holdout
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from matching.engine import Matcher
from matching.evaluate import RECALL_K
from matching.index import prepare_query
from matching.score import score_pair
from matching.splits import load_split


@dataclass
class TieReport:
    """Recall@10 of one split, raw and with ties counted fairly, and the misses."""

    split: str
    present: int = 0
    found: int = 0
    expected: float = 0.0
    misses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def raw_recall(self) -> float:
        """Share of present people among the ten candidates shown."""
        return self.found / self.present if self.present else 0.0

    @property
    def fair_recall(self) -> float:
        """Expected share under a random order of candidates with equal evidence."""
        return self.expected / self.present if self.present else 0.0

    def summary(self) -> str:
        """A few lines: both figures and the misses by category."""
        kinds = Counter(m["kind"] for m in self.misses)
        lines = [f"{self.split}: {self.present} present; recall@{RECALL_K} raw {self.raw_recall:.3f}, "
                 f"ties counted fairly {self.fair_recall:.3f}; misses {len(self.misses)} "
                 + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))]
        for m in self.misses:
            lines.append(f"  {m['kind']:<9} {m['category']:<12} {m['query']!r} -> {m['record']!r}: "
                         f"{m['better']} better, {m['tied']} tied, chance {m['chance']:.2f}")
        return "\n".join(lines)


def tie_report(split: str, fair: bool = True) -> TieReport:
    """Run the matcher on ``data/devset/<split>`` and score every row for every present query
    (with ``fair=False`` only for the misses: a hit then counts as found, ties or not)."""
    data = load_split(split)
    matcher = Matcher(data.records.values())
    idx = matcher.index
    entries = list(idx.entries())
    report = TieReport(split)
    for query, record in data.present():
        result = matcher.search(query)
        shown = [c.record_id for c in result.candidates[:RECALL_K]]
        hit = record.record_id in shown
        report.present += 1
        report.found += hit
        if hit and not fair:
            report.expected += 1.0
            continue
        pq = prepare_query(query)
        memo: dict[Any, Any] = {}
        bits = {e.record_id: round(score_pair(pq, e, idx.name_weight, idx.mother_weight, explain=False,
                                              memo=memo).bits, 2) for e in entries}
        mine = bits[record.record_id]
        better = sum(1 for b in bits.values() if b > mine)
        tied = sum(1 for rid, b in bits.items() if b == mine and rid != record.record_id)
        chance = max(0.0, min(1.0, (RECALL_K - better) / (tied + 1)))
        report.expected += chance
        if not hit:
            floor = min((float(c.explanation.get("bits", 0.0)) for c in result.candidates[:RECALL_K]), default=-1e9)
            if len(shown) < RECALL_K or floor < mine:
                kind = "search"  # a row with less evidence was shown, or fewer than ten
            else:
                kind = "outranked" if better >= RECALL_K else "tie"
            report.misses.append({
                "kind": kind, "category": data.truth[query.query_id].get("category"), "query": query.name,
                "record": record.full_name, "better": better, "tied": tied, "chance": chance,
                "decision": result.decision,
            })
    return report


if __name__ == "__main__":
    for name in sys.argv[1:] or ["spell-dev", "spell-holdout"]:
        print(tie_report(name).summary(), flush=True)
