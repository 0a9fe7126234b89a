"""Score matcher results against labelled truth, and a plain rapidfuzz baseline to compare with."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process, utils

from matching.records import RowError, record_from_row

#: How many candidates count for recall@k (the contract returns at most 10).
RECALL_K = 10

#: Baseline thresholds on token_sort_ratio (0-100).
BASELINE_MATCH = 90.0
BASELINE_REVIEW = 75.0

#: Categories of the development set where query and record are in different scripts; used when
#: a truth line carries no ``query_script`` / ``record_script``.
_CROSS_SCRIPT_CATEGORIES = frozenset({"latin_query", "arabizi_query", "arabic_vs_latin"})

_DECISIONS = ("match", "review", "no_match")


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _is_cross_script(truth: Mapping[str, Any]) -> bool:
    query_script = truth.get("query_script")
    record_script = truth.get("record_script")
    if query_script and record_script:
        return (query_script == "arabic") != (record_script == "arabic")
    return truth.get("category") in _CROSS_SCRIPT_CATEGORIES


def _candidate_ids(result: Mapping[str, Any]) -> list[str]:
    ids = []
    for candidate in result.get("candidates") or []:
        record_id = candidate.get("record_id") if isinstance(candidate, Mapping) else None
        if record_id is not None:
            ids.append(str(record_id))
    return ids


def evaluate(
    results: Iterable[Mapping[str, Any]], truth: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """Compare results (contract result lines) with truth lines and return the metrics.

    Truth lines are ``{"query_id", "record_id" (or null), "category"}``, optionally with
    ``ambiguous_with`` (other records the query cannot tell apart), ``query_script`` and
    ``record_script``. A query with no result line counts as ``no_match`` with no candidates.

    Returned keys (rates are floats, or None when their denominator is zero):

    - ``match_precision``: share of ``match`` decisions whose top candidate is the truth record;
    - ``false_match_rate_absent``: share of null-truth queries decided ``match``;
    - ``recall_at_10`` and ``recall_at_10_cross_script``: truth record among the first 10
      candidates, over present queries (all, and those across scripts);
    - ``review_rate`` (over all queries), ``no_match_rate_present`` (over present queries),
      ``auto_found_rate`` (present queries matched to the right record);
    - ``ambiguous_match_count``: ``match`` decisions on queries whose truth lists namesakes the
      query cannot tell apart (the safe decision there is review);
    - ``categories``: the same figures per category.
    """
    by_id: dict[str, Mapping[str, Any]] = {}
    for result in results:
        by_id[str(result.get("query_id"))] = result

    totals = _Tally()
    categories: dict[str, _Tally] = {}
    missing = 0
    for line in truth:
        query_id = str(line.get("query_id"))
        found = by_id.get(query_id)
        if found is None:
            missing += 1
        result = found or {"query_id": query_id, "decision": "no_match", "candidates": []}
        category = str(line.get("category") or "uncategorised")
        tally = categories.setdefault(category, _Tally())
        for target in (totals, tally):
            target.add(line, result)

    report = totals.metrics()
    report["missing_results"] = missing
    report["unknown_results"] = len(set(by_id) - {str(t) for t in totals.query_ids})
    report["categories"] = {name: categories[name].metrics() for name in sorted(categories)}
    return report


class _Tally:
    """Counts for one slice of the queries."""

    def __init__(self) -> None:
        self.query_ids: list[str] = []
        self.queries = 0
        self.present = 0
        self.absent = 0
        self.decisions = dict.fromkeys(_DECISIONS, 0)
        self.matches_correct = 0
        self.matches_wrong_record = 0  # present, match, top candidate is someone else
        self.matches_absent = 0  # null truth, match
        self.found_at_k = 0
        self.cross_present = 0
        self.cross_found_at_k = 0
        self.no_match_present = 0
        self.top1_correct = 0
        self.ambiguous = 0
        self.ambiguous_match = 0
        self.ambiguous_review = 0

    def add(self, truth: Mapping[str, Any], result: Mapping[str, Any]) -> None:
        self.query_ids.append(str(truth.get("query_id")))
        self.queries += 1
        decision = str(result.get("decision"))
        if decision not in self.decisions:
            decision = "no_match"
        self.decisions[decision] += 1
        ids = _candidate_ids(result)
        top = ids[0] if ids else None
        expected = truth.get("record_id")
        if truth.get("ambiguous_with"):
            self.ambiguous += 1
            self.ambiguous_match += decision == "match"
            self.ambiguous_review += decision == "review"
        if expected is None:
            self.absent += 1
            self.matches_absent += decision == "match"
            return
        expected = str(expected)
        self.present += 1
        found = expected in ids[:RECALL_K]
        self.found_at_k += found
        self.top1_correct += top == expected
        if _is_cross_script(truth):
            self.cross_present += 1
            self.cross_found_at_k += found
        if decision == "match":
            if top == expected:
                self.matches_correct += 1
            else:
                self.matches_wrong_record += 1
        elif decision == "no_match":
            self.no_match_present += 1

    def metrics(self) -> dict[str, Any]:
        matches = self.decisions["match"]
        return {
            "queries": self.queries,
            "present": self.present,
            "absent": self.absent,
            "decisions": dict(self.decisions),
            "matches": matches,
            "correct_matches": self.matches_correct,
            "false_matches": self.matches_wrong_record + self.matches_absent,
            "match_precision": _ratio(self.matches_correct, matches),
            "false_match_rate_absent": _ratio(self.matches_absent, self.absent),
            "recall_at_10": _ratio(self.found_at_k, self.present),
            "recall_at_10_cross_script": _ratio(self.cross_found_at_k, self.cross_present),
            "cross_script_present": self.cross_present,
            "top1_accuracy": _ratio(self.top1_correct, self.present),
            "review_rate": _ratio(self.decisions["review"], self.queries),
            "no_match_rate_present": _ratio(self.no_match_present, self.present),
            "auto_found_rate": _ratio(self.matches_correct, self.present),
            "ambiguous": self.ambiguous,
            "ambiguous_match_count": self.ambiguous_match,
            "ambiguous_review_rate": _ratio(self.ambiguous_review, self.ambiguous),
        }


# --- baseline ----------------------------------------------------------------------------------


def _row_full_name(row: Mapping[str, Any]) -> str:
    try:
        return record_from_row(row).full_name
    except RowError:
        return str(row.get("full_name") or "")


def baseline_results(
    registry_rows: Iterable[Mapping[str, Any]], queries: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Plain rapidfuzz ``token_sort_ratio`` over full names: the reference to beat.

    Each query's ``name`` is compared with each row's full name (lower-cased, punctuation
    stripped by rapidfuzz's default processor); the 10 best rows are the candidates, and the
    decision is ``match`` if the best score is at least 90, ``review`` if at least 75.
    """
    rows = list(registry_rows)
    ids = [str(row.get("record_id")) for row in rows]
    choices = [utils.default_process(_row_full_name(row)) for row in rows]
    out: list[dict[str, Any]] = []
    for query in queries:
        text = utils.default_process(str(query.get("name") or ""))
        best = process.extract(
            text, choices, scorer=fuzz.token_sort_ratio, processor=None, limit=RECALL_K
        )
        candidates = [
            {"record_id": ids[index], "score": round(score / 100.0, 4)} for _, score, index in best
        ]
        top = best[0][1] if best else 0.0
        decision = (
            "match"
            if top >= BASELINE_MATCH
            else ("review" if top >= BASELINE_REVIEW else "no_match")
        )
        out.append(
            {"query_id": query.get("query_id"), "decision": decision, "candidates": candidates}
        )
    return out


# --- I/O and the printed report -----------------------------------------------------------------


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSON-lines file (blank lines skipped)."""
    with Path(path).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


_HEADLINE = (
    ("match_precision", "match precision", "rate"),
    ("false_match_rate_absent", "false matches on absent people", "rate"),
    ("false_matches", "false matches (all queries)", "int"),
    ("recall_at_10", "recall@10", "rate"),
    ("recall_at_10_cross_script", "recall@10 across scripts", "rate"),
    ("top1_accuracy", "top-1 accuracy (present)", "rate"),
    ("auto_found_rate", "found automatically (present)", "rate"),
    ("review_rate", "review rate", "rate"),
    ("no_match_rate_present", "no_match on present people", "rate"),
    ("ambiguous_match_count", "match on unresolvable namesakes", "int"),
    ("matches", "match decisions", "int"),
)


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "rate":
        return f"{value:.3f}"
    return str(value)


def format_report(
    metrics: Mapping[str, Any],
    baseline: Mapping[str, Any] | None = None,
    *,
    title: str = "matcher",
) -> str:
    """Render metrics (and optionally a baseline beside them) as a plain-text report."""
    columns: list[tuple[str, Mapping[str, Any]]] = [(title, metrics)]
    if baseline is not None:
        columns.append(("baseline", baseline))
    width = 34
    lines = [
        f"queries {metrics['queries']}: {metrics['present']} present, {metrics['absent']} absent; "
        f"missing results {metrics.get('missing_results', 0)}",
        "",
        f"{'':<{width}}" + "".join(f"{name:>12}" for name, _ in columns),
    ]
    for key, label, kind in _HEADLINE:
        lines.append(
            f"{label:<{width}}" + "".join(f"{_fmt(m.get(key), kind):>12}" for _, m in columns)
        )
    lines += ["", "per category (n; match/review/no_match; recall@10; false matches)"]
    header = f"{'category':<18}{'n':>5}"
    for name, _ in columns:
        header += f"  {name[:10]:>10}: {'m/r/n':>13} {'R@10':>6} {'FM':>4}"
    lines.append(header)
    categories = metrics.get("categories", {})
    for category, cat in categories.items():
        line = f"{category:<18}{cat['queries']:>5}"
        for _, m in columns:
            c = m.get("categories", {}).get(category)
            if c is None:
                line += f"  {'':>10}  {'-':>13} {'-':>6} {'-':>4}"
                continue
            d = c["decisions"]
            mrn = f"{d['match']}/{d['review']}/{d['no_match']}"
            line += f"  {'':>10}  {mrn:>13} {_fmt(c['recall_at_10'], 'rate'):>6} {c['false_matches']:>4}"
        lines.append(line)
    return "\n".join(lines)


def evaluate_files(results_path: str | Path, truth_path: str | Path) -> dict[str, Any]:
    """Evaluate a results JSONL file against a truth JSONL file."""
    return evaluate(read_jsonl(results_path), read_jsonl(truth_path))


def baseline_for_split(split_dir: str | Path) -> list[dict[str, Any]]:
    """Run the baseline on a split directory holding registry.csv and queries.jsonl."""
    import csv

    split = Path(split_dir)
    with (split / "registry.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return baseline_results(rows, read_jsonl(split / "queries.jsonl"))


def summary_line(metrics: Mapping[str, Any]) -> str:
    """One line with the four headline figures."""
    keys: Sequence[tuple[str, str]] = (
        ("match_precision", "precision"),
        ("false_match_rate_absent", "false-match(absent)"),
        ("recall_at_10", "R@10"),
        ("recall_at_10_cross_script", "R@10 cross-script"),
        ("review_rate", "review"),
    )
    return ", ".join(f"{label} {_fmt(metrics.get(key), 'rate')}" for key, label in keys)
