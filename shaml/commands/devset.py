"""Synthetic data and evaluation commands: sample-registry, devset build, eval-matching."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click

SPLIT_NAMES = ("dev", "holdout", "spell-dev", "spell-holdout")


def _default_devset_dir() -> Path:
    from matching.devset import DEFAULT_OUT

    return DEFAULT_OUT


def _run_matcher(split_dir: Path, out_path: Path) -> None:
    """Run the matcher in-process on a split, writing contract result lines to ``out_path``."""
    import importlib

    try:
        batch: Any = importlib.import_module("matching.batch")
    except ImportError:
        batch = None
    if batch is not None and hasattr(batch, "run"):
        batch.run(split_dir / "registry.csv", split_dir / "queries.jsonl", out_path)
        return
    # Fallback while the batch module is not there: the engine's own API.
    import csv
    import json

    from matching.engine import Matcher
    from matching.evaluate import read_jsonl
    from matching.records import Query, RowError, record_from_row

    records = []
    with (split_dir / "registry.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                records.append(record_from_row(row))
            except RowError:
                continue
    matcher = Matcher(records)
    with out_path.open("w", encoding="utf-8") as out:
        for line in read_jsonl(split_dir / "queries.jsonl"):
            query = Query(
                query_id=str(line["query_id"]),
                name=str(line.get("name") or ""),
                father_name=line.get("father_name"),
                mother_name=line.get("mother_name"),
                birth_year=line.get("birth_year"),
                governorate=line.get("governorate"),
            )
            out.write(json.dumps(matcher.search(query).to_json(), ensure_ascii=False) + "\n")


def register(cli: click.Group, bench: click.Group) -> None:
    """Add sample-registry, devset build and eval-matching to the CLI."""

    @cli.command("sample-registry")
    @click.option(
        "--records", "records", type=click.IntRange(0), required=True, help="Rows to write."
    )
    @click.option(
        "--out",
        "out",
        type=click.Path(dir_okay=False, path_type=Path),
        required=True,
        help="CSV file to write.",
    )
    @click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
    def sample_registry(records: int, out: Path, seed: int) -> None:
        """Write a SYNTHETIC registry CSV (invented people, realistic Syrian names)."""
        from matching.synth import write_registry_csv

        started = time.perf_counter()
        if out.parent and not out.parent.exists():
            out.parent.mkdir(parents=True)
        count = write_registry_csv(out, records, seed=seed)
        elapsed = time.perf_counter() - started
        click.echo(f"wrote {count} synthetic rows to {out} in {elapsed:.1f} s (seed {seed})")

    @cli.group()
    def devset() -> None:
        """The labelled development set for the matcher."""

    @devset.command("build")
    @click.option(
        "--out",
        "out",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Directory for the splits (default: data/devset).",
    )
    def devset_build(out: Path | None) -> None:
        """Regenerate the dev and holdout splits deterministically."""
        from matching.devset import build_all

        target = out or _default_devset_dir()
        summary = build_all(target)
        for name, counts in summary.items():
            total = sum(counts.values())
            click.echo(f"{name}: {total} queries -> {target / name}")
            for category, count in sorted(counts.items()):
                click.echo(f"  {category:<18}{count:>5}")

    @devset.command("spellings")
    @click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Directory holding dev/ and holdout/ (default: data/devset).")
    def devset_spellings(out: Path | None) -> None:
        """Write the diaspora-spelling splits spell-dev and spell-holdout from dev/ and holdout/."""
        from matching.devset_spellings import build_all as build_spellings

        target = out or _default_devset_dir()
        for name, count in build_spellings(target).items():
            click.echo(f"{name}: {count} queries -> {target / name}")

    @cli.command("eval-matching")
    @click.option("--results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--truth", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--split", type=click.Choice(SPLIT_NAMES), help="Run the matcher on a split.")
    @click.option("--baseline", is_flag=True, help="Also run the rapidfuzz baseline beside it.")
    @click.option(
        "--devset-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Where the splits are (default: data/devset).",
    )
    def eval_matching(
        results: Path | None,
        truth: Path | None,
        split: str | None,
        baseline: bool,
        devset_dir: Path | None,
    ) -> None:
        """Print precision, false matches, recall@10 and review rate of matcher results.

        Either --results R.jsonl --truth T.jsonl, or --split dev|holdout to run the matcher
        in-process (add --baseline for the rapidfuzz token_sort_ratio baseline beside it).
        """
        from matching.evaluate import (
            baseline_for_split,
            evaluate,
            format_report,
            read_jsonl,
            summary_line,
        )

        if split is None:
            if results is None or truth is None:
                raise click.UsageError("give --results and --truth, or --split dev|holdout")
            metrics = evaluate(read_jsonl(results), read_jsonl(truth))
            click.echo(format_report(metrics, title="results"))
            return
        split_dir = (devset_dir or _default_devset_dir()) / split
        truth_lines = read_jsonl(truth or split_dir / "truth.jsonl")
        base: dict[str, Any] | None = None
        if baseline:
            started = time.perf_counter()
            base = evaluate(baseline_for_split(split_dir), truth_lines)
            click.echo(f"baseline ran in {time.perf_counter() - started:.1f} s", err=True)
        if results is not None:
            metrics = evaluate(read_jsonl(results), truth_lines)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                out_path = Path(tmp) / "results.jsonl"
                started = time.perf_counter()
                try:
                    _run_matcher(split_dir, out_path)
                except ImportError as exc:
                    if base is None:
                        raise click.ClickException(f"the matcher is not available: {exc}") from None
                    click.echo(f"the matcher is not available ({exc}); baseline only", err=True)
                    click.echo(f"split {split}")
                    click.echo(format_report(base, title="baseline"))
                    return
                click.echo(f"matcher ran in {time.perf_counter() - started:.1f} s", err=True)
                metrics = evaluate(read_jsonl(out_path), truth_lines)
        click.echo(f"split {split}")
        click.echo(format_report(metrics, base, title="matcher"))
        click.echo("")
        click.echo("matcher:  " + summary_line(metrics))
        if base is not None:
            click.echo("baseline: " + summary_line(base))
        sys.stdout.flush()
