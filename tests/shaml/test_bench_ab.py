"""The A/B comparison the benchmarks print: alternating order, pooled percentiles, bootstrap intervals."""

from __future__ import annotations

import random

from shaml.bench.ab import compare, order, report


def _rounds(rng: random.Random, shift: float, rounds: int = 20, size: int = 100) -> list[list[float]]:
    # Each round has its own load (a factor shared by its requests), as on a shared machine.
    out = []
    for _ in range(rounds):
        load = rng.uniform(0.5, 2.0)
        out.append([load * rng.expovariate(1 / 0.030) + shift for _ in range(size)])
    return out


def test_order_alternates_so_no_arm_always_goes_first() -> None:
    assert [order(r) for r in range(4)] == [(0, 1), (1, 0), (1, 0), (0, 1)]
    firsts = [order(r, 3)[0] for r in range(6)]
    assert sorted(firsts) == [0, 0, 1, 1, 2, 2]


def test_a_real_difference_is_found_and_no_difference_is_called_noise() -> None:
    rng = random.Random(1)
    same = compare(_rounds(rng, 0.0), _rounds(rng, 0.0))
    assert same.within_noise(0.5) and same.within_noise(0.99)
    slower = compare(_rounds(rng, 0.020), _rounds(rng, 0.0))
    assert not slower.within_noise(0.5) and 0.010 < slower.diff[0.5] < 0.030
    lines = report(slower, a_label="on", b_label="off", target=(0.5, 5.0))
    assert any("NOT shown" in line for line in lines)
    lines = report(same, a_label="on", b_label="off", target=(0.99, 5.0))
    assert any("within the noise" in line for line in lines)
