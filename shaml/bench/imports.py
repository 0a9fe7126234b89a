"""``shaml bench import``: registry import speed into PostgreSQL, beside a row-at-a-time baseline."""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg2
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from matching.csvfile import read_registry_csv
from matching.importer import ensure_source, import_csv
from matching.store import RegistryRow
from shaml.db import make_engine, session_factory, upgrade


def _admin(url: str):  # type: ignore[no-untyped-def]
    parsed = make_url(url)
    conn = psycopg2.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database or "postgres",
    )
    conn.autocommit = True
    return conn


def _naive_insert(url: str, csv_path: Path, limit: int) -> tuple[int, float]:
    """Baseline: one ORM object and one commit per row, as a first draft would do it."""
    factory = session_factory(make_engine(url))
    ensure_source(factory, "naive")
    started = time.perf_counter()
    count = 0
    with open(csv_path, "rb") as stream:
        for row in read_registry_csv(stream, default_source="naive"):
            if row.record is None:
                continue
            r = row.record
            with factory() as session, session.begin():
                existing = session.execute(
                    select(RegistryRow).where(
                        RegistryRow.source == "naive", RegistryRow.record_id == r.record_id
                    )
                ).scalar_one_or_none()
                if existing is None:
                    session.add(
                        RegistryRow(
                            source="naive",
                            record_id=r.record_id,
                            full_name=r.full_name,
                            first_name=r.first_name,
                            father_name=r.father_name,
                            family_name=r.family_name,
                            mother_name=r.mother_name,
                            birth_year=r.birth_year,
                            governorate=r.governorate,
                            prison=r.prison,
                            release_date=r.release_date,
                        )
                    )
            count += 1
            if count >= limit:
                break
    return count, time.perf_counter() - started


def run(
    records: int, postgres_admin_url: str, baseline_rows: int, echo: Callable[[str], None]
) -> None:
    """Generate ``records`` synthetic rows, import them into a throwaway database, print rows/s."""
    from matching.synth import write_registry_csv

    workdir = Path(tempfile.mkdtemp(prefix="shaml-bench-"))
    csv_path = workdir / "registry.csv"
    started = time.perf_counter()
    write_registry_csv(csv_path, records, seed=7)
    echo(
        f"generated {records:,} synthetic rows ({csv_path.stat().st_size / 1e6:.1f} MB) "
        f"in {time.perf_counter() - started:.1f} s"
    )

    name = f"shaml_bench_{uuid.uuid4().hex[:8]}"
    admin = _admin(postgres_admin_url)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    results: list[tuple[str, int, float]] = []
    try:
        upgrade(url)
        factory = session_factory(make_engine(url))
        first = import_csv(factory, csv_path, source="bench", batch_size=1000)
        results.append(("shaml import, new rows (batched upsert)", first.inserted, first.seconds))
        again = import_csv(factory, csv_path, source="bench", batch_size=1000)
        results.append(
            ("shaml import, same file again (no change)", again.unchanged, again.seconds)
        )
        with factory() as session:
            stored = session.execute(select(func.count()).select_from(RegistryRow)).scalar_one()
        count, seconds = _naive_insert(url, csv_path, baseline_rows)
        results.append(
            (f"baseline: one ORM insert + commit per row (first {count:,})", count, seconds)
        )
        sqlite_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        upgrade(sqlite_url)
        lite = import_csv(
            session_factory(make_engine(sqlite_url)), csv_path, source="bench", batch_size=1000
        )
        results.append(("shaml import into SQLite (demo store)", lite.inserted, lite.seconds))
    finally:
        with admin.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
    echo(f"rows in PostgreSQL after both imports: {stored:,} (expected {records:,})")
    echo("")
    echo(f"{'what':58} {'rows':>10} {'seconds':>9} {'rows/s':>10}")
    for label, rows, seconds in results:
        echo(f"{label:58} {rows:>10,} {seconds:>9.2f} {rows / seconds if seconds else 0:>10,.0f}")
    fast = results[0][1] / results[0][2]
    slow = results[2][1] / results[2][2]
    echo(
        f"\nbatched import is {fast / slow:.0f}x the row-at-a-time baseline; goal: ≥ 5,000 rows/s into PostgreSQL "
        f"({'met' if fast >= 5000 else 'NOT met'})"
    )
