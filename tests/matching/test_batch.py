"""The contract CLI end to end: malformed rows and lines are reported by number and skipped."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from matching.batch import run
from shaml.cli import cli

HEADER = "record_id,full_name,first_name,father_name,family_name,mother_name,birth_year,governorate,prison,release_date,source\n"
ROWS = [
    "r1,سامر خليل الزعبي,,,,هدى,١٩٨٤,درعا,صيدنايا,2024-12-09,list\n",
    "r2,Maher Said Al-Halabi,,,,Laila,1980,Aleppo,,,list\n",
    "r3,,رامي,نبيل,القاسم,ريم,1990,حمص,,,list\n",
    "bad1,محمد,,,,,not-a-year,,,,list\n",  # line 5: bad year
    ",no id,,,,,,,,,list\n",  # line 6: empty record_id
    "r4,too,few,fields\n",  # line 7: wrong field count
]
QUERIES = [
    {"query_id": "a", "name": "Samer Khalil Zoubi", "father_name": None, "mother_name": "Huda", "birth_year": 1984, "governorate": "Daraa"},
    "this is not json",  # line 2
    {"query_id": "b", "name": "ماهر سعيد الحلبي", "mother_name": "ليلى", "birth_year": 1980},
    {"name": "no id"},  # line 4
    {"query_id": "c", "name": "رامي القاسم", "birth_year": "nineteen"},  # line 5
    [1, 2, 3],  # line 6
    {"query_id": "d", "name": "شخص غير موجود"},
]


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    registry = tmp_path / "registry.csv"
    registry.write_text(HEADER + "".join(ROWS), encoding="utf-8")
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        "".join((json.dumps(x, ensure_ascii=False) if not isinstance(x, str) else x) + "\n" for x in QUERIES),
        encoding="utf-8",
    )
    return registry, queries, tmp_path / "out.jsonl"


def test_run_reports_bad_rows_and_lines(tmp_path: Path) -> None:
    registry, queries, out = _files(tmp_path)
    warnings: list[str] = []
    summary = run(registry, queries, out, warn=warnings.append)
    assert summary["records"] == 3 and summary["bad_rows"] == 3
    assert summary["queries"] == 3 and summary["bad_queries"] == 4
    assert any(w.startswith("registry line 5:") and "birth_year" in w for w in warnings)
    assert any(w.startswith("registry line 6:") and "record_id" in w for w in warnings)
    assert any(w.startswith("registry line 7:") for w in warnings)
    for n in (2, 4, 5, 6):
        assert any(w.startswith(f"queries line {n}:") for w in warnings), n
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["query_id"] for r in results] == ["a", "b", "d"]
    by_id = {r["query_id"]: r for r in results}
    assert by_id["a"]["decision"] == "match" and by_id["a"]["candidates"][0]["record_id"] == "r1"
    assert by_id["b"]["candidates"][0]["record_id"] == "r2"
    assert by_id["d"]["decision"] == "no_match"
    for r in results:
        assert set(r) >= {"query_id", "decision", "candidates"}
        assert len(r["candidates"]) <= 10


def test_cli_match_command(tmp_path: Path) -> None:
    registry, queries, out = _files(tmp_path)
    result = CliRunner().invoke(
        cli, ["match", "--registry", str(registry), "--queries", str(queries), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "registry line 5:" in result.stderr and "queries line 2:" in result.stderr
    assert json.loads(result.stderr.strip().splitlines()[-1])["queries"] == 3
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3


def test_unusable_header_gives_empty_registry(tmp_path: Path) -> None:
    registry = tmp_path / "r.csv"
    registry.write_text("who,what\n1,2\n", encoding="utf-8")
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"query_id": "a", "name": "محمد"}\n', encoding="utf-8")
    warnings: list[str] = []
    summary = run(registry, queries, tmp_path / "o.jsonl", warn=warnings.append)
    assert summary["records"] == 0 and summary["queries"] == 1
    assert any("no record read" in w for w in warnings)
