"""Matching commands: the offline contract CLI (shaml match) and the matching benchmark."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


def register(cli: click.Group, bench: click.Group) -> None:
    """Add ``shaml match`` and ``shaml bench matching`` to the CLI."""

    @cli.command("match")
    @click.option("--registry", "registry", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="Registry CSV (the import format).")
    @click.option("--queries", "queries", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="Queries, one JSON object per line.")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="Where to write one result per query (JSONL).")
    def match_cmd(registry: Path, queries: Path, out: Path) -> None:
        """Match queries against a registry offline (no database, no Redis).

        Bad registry rows and bad query lines are reported on stderr with their line number
        and skipped. A summary is printed on stderr at the end.
        """
        from matching.batch import run

        summary = run(registry, queries, out)
        click.echo(json.dumps(summary, ensure_ascii=False), err=True)

    @bench.command("matching")
    @click.option("--records", "n_records", default=100_000, show_default=True, type=click.IntRange(1),
                  help="Synthetic registry rows to index.")
    @click.option("--queries", "n_queries", default=1_000, show_default=True, type=click.IntRange(1),
                  help="Queries timed.")
    @click.option("--exhaustive-sample", "sample", default=10, show_default=True, type=click.IntRange(0),
                  help="Queries also scored exhaustively against every row.")
    @click.option("--seed", default=0, show_default=True, help="Seed of the synthetic registry.")
    @click.option("--compare", "baseline", default=None,
                  type=click.Path(exists=True, file_okay=False, path_type=Path),
                  help="A plain copy of a baseline commit (git archive COMMIT | tar -x -C DIR): time it and this"
                       " tree in separate processes, the same queries interleaved in rounds, with a control.")
    @click.option("--round-size", default=20, show_default=True, type=click.IntRange(1),
                  help="With --compare: queries per arm per round.")
    @click.option("--control/--no-control", default=True, show_default=True,
                  help="With --compare: a second baseline process, to show the noise floor.")
    def bench_matching(n_records: int, n_queries: int, sample: int, seed: int, baseline: Path | None,
                       round_size: int, control: bool) -> None:
        """Index build time and peak RSS, query latency, and exhaustive scoring side by side.

        With --compare, the baseline tree and this one side by side under the same load instead."""
        import time

        from matching.synth import generate_rows
        from shaml.bench.matching import run_bench

        started = time.perf_counter()
        if baseline is not None:
            from shaml.bench.matching_compare import run_compare

            if not (baseline / "matching" / "__init__.py").is_file():
                raise click.BadParameter(f"{baseline} has no matching/ package: give a plain copy of a Shaml commit "
                                         "(git archive COMMIT | tar -x -C DIR)", param_hint="--compare")

            here = Path(__file__).resolve().parents[2]
            lines = run_compare(baseline.resolve(), here, records=n_records, n_queries=n_queries,
                                round_size=round_size, control=control, exhaustive_sample=sample, seed=seed,
                                progress=lambda m: click.echo(m, err=True))
            click.echo(f"total run {time.perf_counter() - started:.0f} s", err=True)
            click.echo("\n".join(lines))
            return
        click.echo(f"generating and indexing {n_records:,} synthetic records (seed {seed})", err=True)
        report = run_bench(generate_rows(n_records, seed=seed), n_queries=n_queries, exhaustive_sample=sample,
                           seed=seed + 1, progress=lambda m: click.echo(m, err=True))
        click.echo(f"total run {time.perf_counter() - started:.0f} s", err=True)
        click.echo(report.table())
        sys.stdout.flush()
