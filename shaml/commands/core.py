"""Core commands: database migrations, registry import, settings and the doctor."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from shaml.settings import get_settings


def _factory():  # type: ignore[no-untyped-def]
    from shaml.db import make_engine, session_factory

    return session_factory(make_engine(get_settings().database_url))


def register(cli: click.Group, bench: click.Group) -> None:
    """Add the core commands to the CLI."""

    @cli.group()
    def db() -> None:
        """Database schema."""

    @db.command("upgrade")
    @click.option("--revision", default="head", show_default=True, help="Migration to reach.")
    def db_upgrade(revision: str) -> None:
        """Apply the database migrations (creates the SQLite file for the demo)."""
        from shaml.db import current_revision, make_engine, upgrade
        from shaml.settings import mask_url

        url = get_settings().database_url
        upgrade(url, revision)
        engine = make_engine(url)
        click.echo(f"database at {mask_url(url)} is at migration {current_revision(engine)}")
        engine.dispose()

    @cli.command("import")
    @click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--source", required=True, help="Name of the list, e.g. shelter-intake-tal.")
    @click.option("--batch-size", type=click.IntRange(1, 100_000), default=None, help="Rows per transaction.")
    def import_cmd(csv_file: Path, source: str, batch_size: int | None) -> None:
        """Import a registry CSV (the contract in DESIGN.md). Bad rows are kept and reported by line."""
        from tqdm import tqdm

        from matching.csvfile import HeaderError
        from matching.importer import import_csv

        source = source.strip()
        if not source or len(source) > 100:
            raise click.BadParameter("give a source name of 1 to 100 characters", param_hint="--source")
        size = csv_file.stat().st_size
        with tqdm(total=size, unit="B", unit_scale=True, desc="import", disable=size < 1_000_000) as bar:

            def progress(position: int) -> None:
                bar.n = min(size, position)
                bar.refresh()

            try:
                report = import_csv(
                    _factory(),
                    csv_file,
                    source=source,
                    batch_size=batch_size or get_settings().import_batch_size,
                    progress=progress,
                )
            except HeaderError as exc:
                raise click.ClickException(f"{csv_file}: {exc}") from None
            bar.n = size
            bar.refresh()
        click.echo(
            f"import batch {report.batch_id} from {csv_file.name} (source {report.source}): "
            f"{report.rows_read} rows read, {report.inserted} added, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.rejected} refused in {report.seconds:.1f} s"
        )
        for line, reason in report.errors:
            click.echo(f"  line {line}: {reason}")
        if report.rejected > len(report.errors):
            click.echo(f"  … and {report.rejected - len(report.errors)} more, stored in import batch {report.batch_id}")

    @bench.command("import")
    @click.option("--records", type=click.IntRange(1, 10_000_000), default=100_000, show_default=True)
    @click.option(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        show_default=True,
        help="Server to create a throwaway benchmark database on.",
    )
    @click.option("--baseline-rows", type=click.IntRange(1), default=2000, show_default=True)
    def bench_import(records: int, postgres: str, baseline_rows: int) -> None:
        """Import speed into PostgreSQL (rows/s), beside a row-at-a-time baseline in the same run."""
        from shaml.bench.imports import run

        run(records, postgres, baseline_rows, click.echo)

    @cli.command("settings")
    def settings_cmd() -> None:
        """Print the effective settings (secrets masked)."""
        for name, value in get_settings().describe():
            click.echo(f"{name:26} {value}")

    @cli.command()
    def doctor() -> None:
        """Say which services answer and what is misconfigured, in plain words."""
        from shaml.doctor import run_checks

        problems = 0
        for check in run_checks(get_settings()):
            mark = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}[check.status]
            click.echo(f"[{mark}] {check.name}: {check.detail}")
            problems += check.status == "fail"
        sys.exit(1 if problems else 0)
