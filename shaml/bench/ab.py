"""Comparing two arms measured in alternating rounds (A B B A A B …) of one run: percentiles of each,
their difference, and how far that difference moves when the rounds are resampled (bootstrap).

On a shared, loaded machine the tail of one arm can differ from the other's by far more than the
cost being measured, only because the load changed between them. Alternating short rounds puts
both arms under the same load; resampling whole rounds (each A round with the B round beside it)
shows how much of a difference the rounds' own spread would make on its own.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass


def pct(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (nearest rank), nan when empty."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def order(round_: int, arms: int = 2) -> tuple[int, ...]:
    """The arms' order in a round: rotated each round and reversed every other cycle (for two arms
    A B, B A, B A, A B, …), so no arm always follows the same one."""
    rotated = tuple((round_ + k) % arms for k in range(arms))
    return rotated[::-1] if (round_ // arms) % 2 else rotated


@dataclass
class Compared:
    """Percentiles of arm A and arm B, their differences (A minus B), and 95 % bootstrap intervals."""

    quantiles: tuple[float, ...]
    a: dict[float, float]
    b: dict[float, float]
    diff: dict[float, float]
    low: dict[float, float]
    high: dict[float, float]
    rounds: int
    round_diffs: dict[float, tuple[float, float, float]]  # per-round difference: 10th, 50th, 90th percentile

    def within_noise(self, q: float) -> bool:
        """Whether 0 lies inside the difference's 95 % interval at quantile ``q``."""
        return self.low[q] <= 0.0 <= self.high[q]


def compare(a_rounds: Sequence[Sequence[float]], b_rounds: Sequence[Sequence[float]], *,
            quantiles: tuple[float, ...] = (0.5, 0.95, 0.99), resamples: int = 2000, seed: int = 16) -> Compared:
    """Pool the rounds of each arm; resample round pairs with replacement for the intervals."""
    pairs = [(list(a), list(b)) for a, b in zip(a_rounds, b_rounds, strict=True) if a and b]
    if not pairs:
        nan = {q: float("nan") for q in quantiles}
        return Compared(quantiles, nan, nan, nan, nan, nan, 0, {q: (float("nan"),) * 3 for q in quantiles})  # type: ignore[misc]
    all_a = [v for a, _ in pairs for v in a]
    all_b = [v for _, b in pairs for v in b]
    a = {q: pct(all_a, q) for q in quantiles}
    b = {q: pct(all_b, q) for q in quantiles}
    rng = random.Random(seed)
    samples: dict[float, list[float]] = {q: [] for q in quantiles}
    for _ in range(resamples):
        picked = [pairs[rng.randrange(len(pairs))] for _ in pairs]
        sa = sorted(v for x, _ in picked for v in x)
        sb = sorted(v for _, y in picked for v in y)
        for q in quantiles:
            samples[q].append(sa[min(len(sa) - 1, int(q * len(sa)))] - sb[min(len(sb) - 1, int(q * len(sb)))])
    per_round = {q: sorted(pct(x, q) - pct(y, q) for x, y in pairs) for q in quantiles}
    return Compared(
        quantiles, a, b, {q: a[q] - b[q] for q in quantiles},
        {q: pct(samples[q], 0.025) for q in quantiles}, {q: pct(samples[q], 0.975) for q in quantiles},
        len(pairs), {q: (pct(per_round[q], 0.1), pct(per_round[q], 0.5), pct(per_round[q], 0.9)) for q in quantiles},
    )


def report(c: Compared, *, a_label: str, b_label: str, unit: float = 1000.0, unit_name: str = "ms",
           target: tuple[float, float] | None = None, diff_label: str = "difference (A minus B)") -> list[str]:
    """Lines: each arm's percentiles, the difference with its 95 % interval, the per-round spread, a verdict.

    ``target``: (quantile, largest acceptable difference in ``unit_name``), e.g. (0.99, 5.0).
    """
    def row(label: str, values: dict[float, float]) -> str:
        return f"  {label:48}" + "".join(f" {values[q] * unit:9.1f}" for q in c.quantiles)

    head = "".join(f" {'p' + format(q * 100, 'g') + ' ' + unit_name:>9}" for q in c.quantiles)
    lines = [f"  {'':48}{head}", row(a_label, c.a), row(b_label, c.b), row(diff_label, c.diff)]
    lines.append(f"  {'95 % interval of the difference (bootstrap)':48}"
                 + "".join(f" {format(c.low[q] * unit, '+.1f') + '…' + format(c.high[q] * unit, '+.1f'):>9}" for q in c.quantiles))
    lines.append(f"  {'per-round difference, 10th / 50th / 90th pct':48}"
                 + "".join(f" {'/'.join(format(v * unit, '.0f') for v in c.round_diffs[q]):>9}" for q in c.quantiles))
    lines.append(f"  ({c.rounds} rounds of each arm, alternating A B B A)")
    if target is not None:
        q, limit = target
        name = f"p{q * 100:g}"
        if c.within_noise(q):
            lines.append(f"  {name}: the difference ({c.diff[q] * unit:+.1f} {unit_name}) is within the noise: its 95 % interval "
                         f"({c.low[q] * unit:+.1f} … {c.high[q] * unit:+.1f} {unit_name}) contains 0")
        if c.high[q] * unit <= limit:
            lines.append(f"  target {name} +{limit:g} {unit_name} at most: met (upper end of the interval {c.high[q] * unit:+.1f} {unit_name})")
        else:
            lines.append(f"  target {name} +{limit:g} {unit_name} at most: NOT shown by this run (the interval reaches "
                         f"{c.high[q] * unit:+.1f} {unit_name}; a quieter machine or more rounds would narrow it)")
    return lines
