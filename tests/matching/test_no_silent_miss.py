"""No silent misses (issue 18): a registry person who shares the sought given and family name,
in any script, is among the candidates shown, unless ten people shown share those names and fit
the words typed at least as well (namesakes no top ten can hold without another detail)."""

from __future__ import annotations

import pytest

from matching.engine import Matcher
from matching.index import prepare_query
from matching.names import parse_name
from matching.score import STRONG, score_pair, token_similarity
from matching.splits import load_split
from matching.ties import tie_report


@pytest.mark.parametrize("split", ["dev", "spell-dev"])
def test_a_person_sharing_given_and_family_name_reaches_the_top_ten(split: str) -> None:
    data = load_split(split)
    matcher = Matcher(data.records.values())
    idx = matcher.index
    checked, crowded, missed = 0, 0, []
    for query, record in data.present():
        qt, rt = parse_name(query.name).tokens, parse_name(record.full_name).tokens
        if len(qt) < 2 or len(rt) < 2:
            continue
        if token_similarity(qt[0], rt[0]) < STRONG or token_similarity(qt[-1], rt[-1]) < STRONG:
            continue
        checked += 1
        result = matcher.search(query)
        if record.record_id in [c.record_id for c in result.candidates]:
            continue
        entry = idx.get(record.record_id)
        assert entry is not None
        mine = round(score_pair(prepare_query(query), entry, idx.name_weight, idx.mother_weight, explain=False).bits, 2)
        names = [c.explanation["names"] for c in result.candidates]
        if len(result.candidates) == 10 and all(n["given_agrees"] and n["family_agrees"] for n in names) and all(
            c.explanation["bits"] >= mine for c in result.candidates
        ):
            crowded += 1  # ten namesakes shown, each fitting at least as well
            continue
        missed.append((query.name, record.full_name, result.decision))
    assert checked > 100
    assert missed == []
    assert crowded < checked // 10


def test_ties_are_told_apart_from_search_misses() -> None:
    report = tie_report("spell-dev", fair=False)
    assert report.present == 240
    assert report.misses, "the bare-name queries of spell-dev have more namesakes than ten"
    # every miss of this split is a namesake tie or outranked by namesakes, none a search miss
    assert [m for m in report.misses if m["kind"] == "search"] == []
    for miss in report.misses:
        assert miss["better"] + miss["tied"] >= 10 and miss["chance"] < 1.0


@pytest.mark.parametrize("split", ["dev", "spell-dev"])
def test_a_person_with_fewer_than_ten_namesakes_is_always_shown(split: str) -> None:
    """Strict form, no exception for ties: when fewer than ten registry people have a given and
    family name agreeing with the query's (any script), the sought person, if among them, is in
    the ten candidates shown; and for a bare "given family" query every one of them is."""
    data = load_split(split)
    matcher = Matcher(data.records.values())
    by_names: dict[tuple[str, str], list[str]] = {}
    for rec in data.records.values():
        toks = parse_name(rec.full_name).tokens
        if len(toks) >= 2:
            by_names.setdefault((toks[0], toks[-1]), []).append(rec.record_id)
    givens = {g for g, _f in by_names}
    families = {f for _g, f in by_names}
    checked = bare = 0
    missed = []
    for query in data.queries:
        qt = parse_name(query.name).tokens
        if len(qt) < 2:
            continue
        g_ok = {g for g in givens | families if token_similarity(qt[0], g) >= STRONG}
        f_ok = {f for f in givens | families if token_similarity(qt[-1], f) >= STRONG}
        in_order = [rid for (g, f), rids in by_names.items() if g in g_ok and f in f_ok for rid in rids]
        # people whose names agree family name first compete for the ten places too
        sharing = in_order + [rid for (g, f), rids in by_names.items()
                              if g in f_ok and f in g_ok and not (g in g_ok and f in f_ok) for rid in rids]
        sought = data.truth[query.query_id].get("record_id")
        is_bare = len(qt) == 2 and not (query.father_name or query.mother_name or query.birth_year)
        must = in_order if is_bare else [rid for rid in sharing if rid == sought]
        if not must or len(sharing) >= 10:
            continue
        checked += 1
        bare += is_bare
        shown = {c.record_id for c in matcher.search(query).candidates[:10]}
        missed += [(query.name, data.records[rid].full_name) for rid in must if rid not in shown]
    assert checked > 100 and bare > 10
    assert missed == []
