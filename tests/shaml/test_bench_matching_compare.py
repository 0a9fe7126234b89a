"""`shaml bench matching --compare`: both sides and the control run in their own processes and are
printed side by side. Figures only: no time is asserted."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from shaml.bench.matching_compare import ratio
from shaml.cli import cli

TREE = Path(__file__).resolve().parents[2]


def test_compare_mode_runs_both_sides_and_the_control_on_a_tiny_registry() -> None:
    # This tree serves as the baseline too: the sides must then return the same results.
    result = CliRunner().invoke(cli, ["bench", "matching", "--records", "200", "--queries", "24", "--round-size", "6",
                                      "--exhaustive-sample", "3", "--compare", str(TREE)])
    assert result.exit_code == 0, result.output
    out = result.output
    for phase in ("cold", "steady state"):
        for metric in ("CPU time of the search thread", "wall time"):
            assert f"{phase}: {metric}" in out
    for label in ("baseline", "current", "control (baseline again)"):
        row = re.search(rf"^  {re.escape(label)} +(\d+\.\d\d) +(\d+\.\d\d) +(\d+\.\d\d) +(\d+\.\d\d)$", out, re.M)
        assert row is not None, label
        p50, p95, p99, _mean = map(float, row.groups())
        assert 0 < p50 <= p95 <= p99
    assert "current vs baseline, %" in out and "control (baseline again) vs baseline, %" in out
    assert "(24 queries each, 4 rounds" in out
    assert re.search(r"^  current +same decision and candidates as the baseline: 48 of 48 queries$", out, re.M)
    assert re.search(r"^  control \(baseline again\) +same decision and candidates as the baseline: 48 of 48", out, re.M)
    assert re.search(r"^  current +index recall vs exhaustive scoring \d\.\d{3}", out, re.M)


def test_ratio_pools_rounds_and_its_interval_holds_a_real_shift() -> None:
    base = [[1.0, 2.0, 3.0, 4.0]] * 10
    slower = [[1.5, 3.0, 4.5, 6.0]] * 10
    r = ratio(slower, base)
    assert r.value["p50"] == r.value["mean"] == 1.5
    assert r.low["mean"] == r.high["mean"] == 1.5
    assert r.round_means == (1.5, 1.5, 1.5)


def test_a_baseline_directory_that_is_not_a_shaml_tree_is_refused_not_measured_as_this_tree(tmp_path: Path) -> None:
    # Without the check, the worker would fall back to this tree's installed ``matching`` and print a
    # comparison of this tree with itself under the baseline's name.
    result = CliRunner().invoke(cli, ["bench", "matching", "--records", "50", "--compare", str(tmp_path)])
    assert result.exit_code == 2
    assert "has no matching/ package" in result.output and "current vs baseline" not in result.output
