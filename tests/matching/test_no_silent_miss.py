"""No silent misses (issue 18): a registry person who shares the sought given and family name,
in any script, is among the candidates shown, unless more than ten such namesakes exist."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from matching.engine import Matcher
from matching.names import parse_name
from matching.records import Query, RowError, record_from_row
from matching.score import STRONG, token_similarity
from matching.translit import skeleton

DEVSET = Path(__file__).resolve().parents[2] / "data" / "devset"


@pytest.mark.parametrize("split", ["dev", "spell-dev"])
def test_a_person_sharing_given_and_family_name_reaches_the_top_ten(split: str) -> None:
    d = DEVSET / split
    records = {}
    with (d / "registry.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                rec = record_from_row(row)
            except RowError:
                continue
            records[rec.record_id] = rec
    matcher = Matcher(records.values())
    pairs: Counter[tuple[str, str]] = Counter()
    names = {}
    for rid, rec in records.items():
        toks = parse_name(rec.full_name).tokens
        names[rid] = toks
        if len(toks) >= 2:
            pairs[(skeleton(toks[0]), skeleton(toks[-1]))] += 1
    truth = {t["query_id"]: t for t in map(json.loads, (d / "truth.jsonl").read_text(encoding="utf-8").splitlines())}
    checked, missed = 0, []
    for line in (d / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        target = truth[q["query_id"]]["record_id"]
        if target is None:
            continue
        qt, rt = parse_name(q["name"]).tokens, names[target]
        if len(qt) < 2 or len(rt) < 2:
            continue
        if token_similarity(qt[0], rt[0]) < STRONG or token_similarity(qt[-1], rt[-1]) < STRONG:
            continue
        if pairs[(skeleton(rt[0]), skeleton(rt[-1]))] > 10:
            continue  # more namesakes than a top ten can hold
        checked += 1
        result = matcher.search(Query(q["query_id"], q["name"], q.get("father_name"), q.get("mother_name"),
                                      q.get("birth_year"), q.get("governorate")))
        if target not in [c.record_id for c in result.candidates]:
            missed.append((q["name"], records[target].full_name))
    assert checked > 100
    assert missed == []
