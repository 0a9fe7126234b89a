"""Tests for the matcher evaluator, the rapidfuzz baseline and the eval/devset CLI commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from matching.evaluate import (
    baseline_results,
    evaluate,
    format_report,
    read_jsonl,
    summary_line,
)
from shaml.commands.devset import register


def _cands(*ids: str) -> list[dict[str, Any]]:
    return [{"record_id": rid, "score": round(1.0 - i / 20, 2)} for i, rid in enumerate(ids)]


TRUTH: list[dict[str, Any]] = [
    {
        "query_id": "q1",
        "record_id": "r1",
        "category": "exact_ar",
        "query_script": "arabic",
        "record_script": "arabic",
    },
    {
        "query_id": "q2",
        "record_id": "r2",
        "category": "latin_query",
        "query_script": "latin",
        "record_script": "arabic",
    },
    {"query_id": "q3", "record_id": None, "category": "absent"},
    {"query_id": "q4", "record_id": None, "category": "near_miss"},
    {"query_id": "q5", "record_id": "r5", "category": "namesake_nodisc", "ambiguous_with": ["r6"]},
    {"query_id": "q6", "record_id": "r7", "category": "exact_ar"},
]

RESULTS: list[dict[str, Any]] = [
    {"query_id": "q1", "decision": "match", "candidates": _cands("r1", "r9")},  # right
    {"query_id": "q2", "decision": "review", "candidates": _cands("r3", "r2")},  # found at 2
    {"query_id": "q3", "decision": "match", "candidates": _cands("r4")},  # false match, absent
    {"query_id": "q4", "decision": "no_match", "candidates": []},  # right
    {"query_id": "q5", "decision": "match", "candidates": _cands("r6", "r5")},  # wrong person
    # q6 has no result line: counts as no_match with no candidates
    {"query_id": "zz", "decision": "match", "candidates": _cands("r1")},  # not in truth
]


def test_headline_metrics_on_a_hand_made_table() -> None:
    m = evaluate(RESULTS, TRUTH)
    assert m["queries"] == 6 and m["present"] == 4 and m["absent"] == 2
    assert m["decisions"] == {"match": 3, "review": 1, "no_match": 2}
    assert m["matches"] == 3 and m["correct_matches"] == 1
    assert m["match_precision"] == pytest.approx(1 / 3)
    assert m["false_matches"] == 2  # q3 (absent) and q5 (wrong record)
    assert m["false_match_rate_absent"] == pytest.approx(1 / 2)
    assert m["recall_at_10"] == pytest.approx(3 / 4)  # q1, q2, q5 yes; q6 no
    assert m["recall_at_10_cross_script"] == pytest.approx(1.0)  # only q2
    assert m["cross_script_present"] == 1
    assert m["top1_accuracy"] == pytest.approx(1 / 4)
    assert m["review_rate"] == pytest.approx(1 / 6)
    assert m["no_match_rate_present"] == pytest.approx(1 / 4)  # q6
    assert m["auto_found_rate"] == pytest.approx(1 / 4)
    assert m["ambiguous"] == 1 and m["ambiguous_match_count"] == 1
    assert m["missing_results"] == 1
    assert m["unknown_results"] == 1


def test_per_category_breakdown() -> None:
    cats = evaluate(RESULTS, TRUTH)["categories"]
    assert set(cats) == {"exact_ar", "latin_query", "absent", "near_miss", "namesake_nodisc"}
    exact = cats["exact_ar"]
    assert exact["queries"] == 2 and exact["match_precision"] == 1.0
    assert exact["recall_at_10"] == pytest.approx(0.5)
    assert exact["no_match_rate_present"] == pytest.approx(0.5)
    assert cats["absent"]["false_match_rate_absent"] == 1.0
    assert cats["near_miss"]["false_match_rate_absent"] == 0.0
    assert cats["near_miss"]["recall_at_10"] is None  # no present queries
    assert cats["namesake_nodisc"]["match_precision"] == 0.0
    assert cats["latin_query"]["review_rate"] == 1.0


def test_recall_counts_only_the_first_ten_candidates() -> None:
    ids = [f"x{i}" for i in range(10)] + ["r1"]
    truth = [{"query_id": "q", "record_id": "r1", "category": "exact_ar"}]
    far = evaluate([{"query_id": "q", "decision": "review", "candidates": _cands(*ids)}], truth)
    near = evaluate(
        [{"query_id": "q", "decision": "review", "candidates": _cands(*ids[1:])}], truth
    )
    assert far["recall_at_10"] == 0.0
    assert near["recall_at_10"] == 1.0


def test_unknown_decision_counts_as_no_match_and_empty_inputs_give_none() -> None:
    truth = [{"query_id": "q", "record_id": "r1", "category": "exact_ar"}]
    m = evaluate([{"query_id": "q", "decision": "maybe", "candidates": _cands("r1")}], truth)
    assert m["decisions"]["no_match"] == 1 and m["match_precision"] is None
    empty = evaluate([], [])
    assert empty["queries"] == 0 and empty["recall_at_10"] is None and empty["review_rate"] is None


def test_cross_script_falls_back_to_category_names() -> None:
    truth = [
        {"query_id": "a", "record_id": "r1", "category": "arabizi_query"},
        {"query_id": "b", "record_id": "r2", "category": "arabic_vs_latin"},
        {"query_id": "c", "record_id": "r3", "category": "typo_ar"},
    ]
    results: list[dict[str, Any]] = [
        {"query_id": "a", "decision": "review", "candidates": _cands("r1")},
        {"query_id": "b", "decision": "no_match", "candidates": []},
        {"query_id": "c", "decision": "no_match", "candidates": []},
    ]
    m = evaluate(results, truth)
    assert m["cross_script_present"] == 2
    assert m["recall_at_10_cross_script"] == pytest.approx(0.5)
    assert m["recall_at_10"] == pytest.approx(1 / 3)


REGISTRY = [
    {
        "record_id": "a",
        "full_name": "محمد أحمد الحسن",
        "first_name": "",
        "father_name": "",
        "family_name": "",
    },
    {
        "record_id": "b",
        "full_name": "",
        "first_name": "خالد",
        "father_name": "عمر",
        "family_name": "الخطيب",
    },
    {
        "record_id": "c",
        "full_name": "Mohammad Ahmad Al-Hassan",
        "first_name": "",
        "father_name": "",
        "family_name": "",
    },
    {
        "record_id": "d",
        "full_name": "فاطمة علي الزعبي",
        "first_name": "",
        "father_name": "",
        "family_name": "",
    },
]


def test_baseline_scores_full_names_with_token_sort_ratio() -> None:
    queries = [
        {"query_id": "same", "name": "الحسن محمد أحمد"},  # same tokens, other order: 100
        {"query_id": "parts", "name": "خالد عمر الخطيب"},  # the split row is assembled
        {"query_id": "near", "name": "محمود احمد الحسيني"},  # 85: review
        {"query_id": "none", "name": "zzzz"},
    ]
    out = {r["query_id"]: r for r in baseline_results(REGISTRY, queries)}
    assert out["same"]["decision"] == "match"
    assert out["same"]["candidates"][0] == {"record_id": "a", "score": 1.0}
    assert out["parts"]["decision"] == "match" and out["parts"]["candidates"][0]["record_id"] == "b"
    assert out["near"]["decision"] == "review" and out["near"]["candidates"][0]["record_id"] == "a"
    assert out["none"]["decision"] == "no_match"
    for result in out.values():
        scores = [c["score"] for c in result["candidates"]]
        assert scores == sorted(scores, reverse=True)
        assert len(scores) <= 10
        assert all(0.0 <= s <= 1.0 for s in scores)


def test_baseline_misses_across_scripts() -> None:
    out = baseline_results(REGISTRY, [{"query_id": "q", "name": "محمد أحمد الحسن"}])
    assert out[0]["candidates"][0]["record_id"] == "a"
    latin = [c["score"] for c in out[0]["candidates"] if c["record_id"] == "c"]
    assert latin and latin[0] < 0.2  # the same person in Latin script scores near zero


def test_report_prints_both_columns_and_every_category() -> None:
    m = evaluate(RESULTS, TRUTH)
    base = evaluate([], TRUTH)
    text = format_report(m, base, title="matcher")
    assert "match precision" in text and "recall@10 across scripts" in text
    assert "matcher" in text and "baseline" in text
    for category in ("exact_ar", "latin_query", "absent", "near_miss", "namesake_nodisc"):
        assert category in text
    assert "0.333" in text  # precision 1/3
    assert "precision 0.333" in summary_line(m)


def _cli() -> click.Group:
    @click.group()
    def cli() -> None:
        """Test CLI."""

    @cli.group()
    def bench() -> None:
        """Benchmarks."""

    register(cli, bench)
    return cli


def _write_jsonl(path: Path, lines: list[dict[str, Any]]) -> None:
    path.write_text(
        "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8"
    )


def test_cli_eval_matching_on_files(tmp_path: Path) -> None:
    _write_jsonl(tmp_path / "r.jsonl", RESULTS)
    _write_jsonl(tmp_path / "t.jsonl", TRUTH)
    run = CliRunner().invoke(
        _cli(),
        [
            "eval-matching",
            "--results",
            str(tmp_path / "r.jsonl"),
            "--truth",
            str(tmp_path / "t.jsonl"),
        ],
    )
    assert run.exit_code == 0, run.output
    assert "match precision" in run.output and "0.333" in run.output
    assert read_jsonl(tmp_path / "t.jsonl") == TRUTH


def test_cli_eval_matching_needs_inputs() -> None:
    run = CliRunner().invoke(_cli(), ["eval-matching"])
    assert run.exit_code != 0
    assert "--results" in run.output


def test_cli_sample_registry_and_devset_build(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "registry.csv"
    run = CliRunner().invoke(
        _cli(), ["sample-registry", "--records", "40", "--seed", "3", "--out", str(out)]
    )
    assert run.exit_code == 0, run.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 41
    run = CliRunner().invoke(_cli(), ["devset", "build", "--out", str(tmp_path / "devset")])
    assert run.exit_code == 0, run.output
    for split in ("dev", "holdout"):
        for name in ("registry.csv", "queries.jsonl", "truth.jsonl"):
            assert (tmp_path / "devset" / split / name).stat().st_size > 1000
    assert "near_miss" in run.output
