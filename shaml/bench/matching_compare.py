"""``shaml bench matching --compare BASELINE_DIR``: the baseline tree and this one, side by side
under the same load.

Each side builds its index in its own long-lived process (``matching_worker.py``, started in
that side's tree); a control, a second process of the baseline, shows what two copies of the
same code differ by on this machine (the noise floor). Then the same queries are sent in short
rounds, the arms' order rotated every round, so a change of machine load falls on every arm
alike. Each query is timed inside its process: CPU time of the search thread and wall time.
Two phases, as in ``shaml bench matching``: the first queries a fresh index sees (cold: every
query's spellings are new to it) and then other queries after that warm-up (steady state).

Printed: each arm's p50/p95/p99/mean, the ratio of each arm to the baseline at each percentile
with a 95 % interval (rounds resampled with replacement), and the spread of the per-round ratio
of means. Numbers only; nothing here asserts a time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from matching.records import RegistryRecord
from shaml.bench.ab import order, pct
from shaml.bench.matching import queries_from_records

WORKER = Path(__file__).with_name("matching_worker.py")
QUANTILES = (0.5, 0.95, 0.99)


class Arm:
    """One long-lived worker process measuring the tree it was started in."""

    def __init__(self, label: str, tree: Path) -> None:
        self.label = label
        self.tree = tree
        env = {**os.environ, "PYTHONPATH": str(tree)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER.read_text(encoding="utf-8")],
            cwd=tree, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )
        self.cpu: dict[str, list[list[float]]] = {}
        self.wall: dict[str, list[list[float]]] = {}
        self.results: dict[str, list[Any]] = {}

    def send(self, req: dict[str, Any]) -> None:
        stdin: IO[str] = self.proc.stdin  # type: ignore[assignment]
        stdin.write(json.dumps(req, ensure_ascii=False) + "\n")
        stdin.flush()

    def read(self) -> dict[str, Any]:
        stdout: IO[str] = self.proc.stdout  # type: ignore[assignment]
        line = stdout.readline()
        if not line:
            raise RuntimeError(f"{self.label} worker ({self.tree}) stopped (exit {self.proc.wait()})")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"{self.label} worker: {reply['error']}")
        return reply

    def ask(self, req: dict[str, Any]) -> dict[str, Any]:
        self.send(req)
        return self.read()

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.ask({"op": "quit"})
        except (OSError, RuntimeError, ValueError):
            pass
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()


@dataclass
class Ratio:
    """Arm over baseline at each quantile (and the mean), its 95 % interval, per-round spread."""

    value: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]
    round_means: tuple[float, float, float]  # per-round ratio of means: 10th, 50th, 90th percentile


def _stats(values: Sequence[float]) -> dict[str, float]:
    s = sorted(values)
    out = {f"p{q * 100:g}": pct(s, q) for q in QUANTILES}
    out["mean"] = statistics.fmean(s) if s else float("nan")
    return out


def ratio(arm_rounds: Sequence[Sequence[float]], base_rounds: Sequence[Sequence[float]], *,
          resamples: int = 1000, seed: int = 18) -> Ratio:
    """``arm`` over ``base``, pooled over the rounds, with intervals from resampling round pairs."""
    pairs = [(list(a), list(b)) for a, b in zip(arm_rounds, base_rounds, strict=True) if a and b]
    flat_a = [v for a, _ in pairs for v in a]
    flat_b = [v for _, b in pairs for v in b]
    sa, sb = _stats(flat_a), _stats(flat_b)
    value = {k: sa[k] / sb[k] for k in sa}
    rng = random.Random(seed)
    boot: dict[str, list[float]] = {k: [] for k in sa}
    for _ in range(resamples):
        picked = [pairs[rng.randrange(len(pairs))] for _ in pairs]
        ra = _stats([v for a, _ in picked for v in a])
        rb = _stats([v for _, b in picked for v in b])
        for k in boot:
            boot[k].append(ra[k] / rb[k])
    per_round = sorted(statistics.fmean(a) / statistics.fmean(b) for a, b in pairs)
    return Ratio(
        value,
        {k: pct(sorted(v), 0.025) for k, v in boot.items()},
        {k: pct(sorted(v), 0.975) for k, v in boot.items()},
        (pct(per_round, 0.1), pct(per_round, 0.5), pct(per_round, 0.9)),
    )


def _record(d: dict[str, Any]) -> RegistryRecord:
    if d.get("release_date"):
        d = {**d, "release_date": dt.date.fromisoformat(d["release_date"])}
    return RegistryRecord(**d)


def _phase_table(phase: str, arms: list[Arm], metric: str, n_queries: int, rounds: int) -> list[str]:
    what = "CPU time of the search thread (thread_time)" if metric == "cpu" else "wall time"
    lines = [f"{phase}: {what}, ms ({n_queries:,} queries each, {rounds} rounds, order rotated every round)"]
    keys = ("p50", "p95", "p99", "mean")
    lines.append(f"  {'':40}" + "".join(f"{k:>14}" for k in keys))
    data = {a.label: getattr(a, metric)[phase] for a in arms}
    for a in arms:
        st = _stats([v for r in data[a.label] for v in r])
        lines.append(f"  {a.label:40}" + "".join(f"{st[k]:14.2f}" for k in keys))
    base = arms[0]

    def pc(x: float) -> str:
        return f"{(x - 1) * 100:+.1f}"

    for a in arms[1:]:
        r = ratio(data[a.label], data[base.label])
        lines.append(f"  {a.label + ' vs ' + base.label + ', %':40}" + "".join(f"{pc(r.value[k]):>14}" for k in keys))
        lines.append(f"  {'  95 % interval (rounds resampled)':40}"
                     + "".join(f"{pc(r.low[k]) + ' .. ' + pc(r.high[k]):>14}" for k in keys))
        lo, mid, hi = r.round_means
        lines.append(f"  {'  per-round ratio of means, %':40} 10th {pc(lo)}  median {pc(mid)}  90th {pc(hi)}")
    return lines


def run_compare(baseline: Path, current: Path, *, records: int, n_queries: int = 1000, round_size: int = 20,
                control: bool = True, exhaustive_sample: int = 0, seed: int = 0,
                progress: Callable[[str], None] | None = None) -> list[str]:
    """Build both sides (and the control), time the same queries interleaved, return the report lines."""
    say = progress or (lambda _m: None)
    arms = [Arm("baseline", baseline), Arm("current", current)]
    if control:
        arms.append(Arm("control (baseline again)", baseline))
    try:
        say(f"building {records:,} records in {len(arms)} processes")
        for k, a in enumerate(arms):
            a.send({"op": "build", "records": records, "seed": seed, "sample": 4 * n_queries if k == 1 else 0})
        builds = [a.read() for a in arms]
        for a, b in zip(arms, builds, strict=True):
            if b["tree"] != str(a.tree.resolve()):
                raise RuntimeError(f"the {a.label} side imported matching from {b['tree']}, not from {a.tree}: "
                                   "is that directory a copy of a Shaml tree?")
        if len({(b["records"], b["digest"]) for b in builds}) != 1:
            raise RuntimeError("the sides generated different registries (matching/synth.py differs?): "
                               f"{[(b['records'], b['digest'][:12]) for b in builds]}")
        sample = [_record(d) for d in arms[1].ask({"op": "sample"})["records"]]
        phases = {
            "cold": queries_from_records(sample, n_queries, seed + 1),
            "steady state": queries_from_records(sample, n_queries, seed + 1 + 1000),
        }
        rounds = {}
        for phase, queries in phases.items():
            chunks = [[dataclasses.asdict(q) for q in queries[i:i + round_size]]
                      for i in range(0, len(queries), round_size)]
            rounds[phase] = len(chunks)
            say(f"{phase}: {len(queries):,} queries in {len(chunks)} rounds of {round_size}")
            for a in arms:
                a.cpu[phase], a.wall[phase], a.results[phase] = [], [], []
            for r, chunk in enumerate(chunks):
                for k in order(r, len(arms)):
                    reply = arms[k].ask({"op": "time", "queries": chunk})
                    arms[k].cpu[phase].append(reply["cpu_ms"])
                    arms[k].wall[phase].append(reply["wall_ms"])
                    arms[k].results[phase].extend(reply["results"])
        lines = [f"records indexed {builds[0]['records']:,}; baseline {baseline}, current {current}"]
        for phase in phases:
            for metric in ("cpu", "wall"):
                lines += [""] + _phase_table(phase, arms, metric, len(phases[phase]), rounds[phase])
        lines.append("")
        for a, b in zip(arms, builds, strict=True):
            lines.append(f"  {a.label:34} build {b['build_cpu_s']:.1f} s CPU ({b['build_wall_s']:.1f} s wall,"
                         f" processes building side by side), RSS after build {b['rss_mb']:.0f} MB")
        for a in arms[1:]:
            same = sum(x == y for p in phases for x, y in zip(a.results[p], arms[0].results[p], strict=True))
            total = sum(len(arms[0].results[p]) for p in phases)
            lines.append(f"  {a.label:34} same decision and candidates as the baseline: {same:,} of {total:,} queries")
        if exhaustive_sample:
            chosen = [dataclasses.asdict(q) for q in phases["steady state"][:exhaustive_sample]]
            say(f"exhaustive scoring for {len(chosen)} queries on the baseline and the current side")
            for a in arms[:2]:
                rec = a.ask({"op": "recall", "queries": chosen})
                lines.append(f"  {a.label:34} index recall vs exhaustive scoring"
                             f" {rec['found'] / max(1, rec['relevant']):.3f}"
                             f" ({rec['found']} of {rec['relevant']} queries with a plausible exhaustive best)")
        lines.append("note: each arm is a separate long-lived process; the control is a second process of the"
                     " baseline, so its ratio to the baseline is the noise floor of this run")
        return lines
    finally:
        for a in arms:
            a.close()
