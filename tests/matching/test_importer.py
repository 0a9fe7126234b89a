"""Registry import into real PostgreSQL and SQLite: idempotent, per-batch atomic, bad rows kept by line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from matching.importer import import_csv
from matching.store import ImportBatch, ImportRowError, RegistryRow

HEADER = "record_id,full_name,father_name,mother_name,birth_year,governorate,prison,release_date,source\n"


def _write(path: Path, rows: list[str]) -> Path:
    path.write_bytes((HEADER + "".join(rows)).encode())
    return path


def _good_rows(n: int, start: int = 0) -> list[str]:
    return [f"r{i},محمد أحمد {i},أحمد,فاطمة,{1960 + i % 40},حمص,صيدنايا,2024-12-08,\n" for i in range(start, start + n)]


def _count(factory, source: str | None = None) -> int:
    with factory() as session:
        stmt = select(func.count()).select_from(RegistryRow)
        if source:
            stmt = stmt.where(RegistryRow.source == source)
        return session.execute(stmt).scalar_one()


def test_import_then_reimport_adds_nothing(factory, tmp_path):
    path = _write(tmp_path / "list.csv", _good_rows(25))
    first = import_csv(factory, path, source="tal", batch_size=10)
    assert (first.inserted, first.updated, first.unchanged, first.rejected) == (25, 0, 0, 0)
    second = import_csv(factory, path, source="tal", batch_size=10)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 25)
    assert _count(factory) == 25
    with factory() as session:
        batch = session.get(ImportBatch, second.batch_id)
        assert batch.status == "done" and batch.rows_unchanged == 25


def test_changed_rows_update_in_place(factory, tmp_path):
    import_csv(factory, _write(tmp_path / "a.csv", _good_rows(5)), source="tal")
    with factory() as session:
        before = session.execute(select(RegistryRow).where(RegistryRow.record_id == "r2")).scalar_one()
    changed = _good_rows(5)
    changed[2] = "r2,محمد أحمد الخطيب,أحمد,زينب,1971,دمشق,صيدنايا,2024-12-09,\n"
    report = import_csv(factory, _write(tmp_path / "b.csv", changed), source="tal")
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 4)
    with factory() as session:
        row = session.execute(select(RegistryRow).where(RegistryRow.record_id == "r2")).scalar_one()
    assert (row.id, row.full_name, row.mother_name, row.birth_year) == (before.id, "محمد أحمد الخطيب", "زينب", 1971)
    assert row.updated_at >= before.updated_at
    assert _count(factory) == 5


def test_same_record_id_in_two_sources_is_two_people(factory, tmp_path):
    path = _write(tmp_path / "a.csv", _good_rows(3))
    import_csv(factory, path, source="tal")
    import_csv(factory, path, source="minin")
    assert (_count(factory, "tal"), _count(factory, "minin")) == (3, 3)


def test_malformed_rows_are_kept_by_line_and_good_rows_imported(factory, tmp_path):
    rows = [
        "g1,سامر الحمصي,خالد,هدى,1980,حمص,,,\n",  # line 2
        "b1,سامر,خالد,هدى,19x0,حمص,,,\n",  # line 3: bad year
        "b2,,,,1980,,,,\n",  # line 4: empty name
        "b3,سامر,1980\n",  # line 5: wrong column count
    ]
    data = (HEADER + "".join(rows)).encode() + b"b4,\xc3\x28 bad,,,1980,,,,\n" + "g2,Omar Haddad,,,١٩٧٥,Aleppo,,,\n".encode()
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    report = import_csv(factory, path, source="tal", batch_size=2)
    assert (report.inserted, report.rejected, report.rows_read) == (2, 4, 6)
    assert [line for line, _ in report.errors] == [3, 4, 5, 6]
    with factory() as session:
        stored = session.execute(
            select(ImportRowError.line, ImportRowError.reason)
            .where(ImportRowError.batch_id == report.batch_id)
            .order_by(ImportRowError.line)
        ).all()
        year = session.execute(select(RegistryRow.birth_year).where(RegistryRow.record_id == "g2")).scalar_one()
    assert [line for line, _ in stored] == [3, 4, 5, 6]
    assert "birth_year" in stored[0][1] and "no name" in stored[1][1]
    assert "fields" in stored[2][1] and "UTF-8" in stored[3][1]
    assert year == 1975


def test_repeated_record_id_keeps_the_later_row(factory, tmp_path):
    rows = ["x,سامر,,,1980,,,,\n", "x,سامر الحمصي,,,1981,,,,\n"]
    report = import_csv(factory, _write(tmp_path / "dup.csv", rows), source="tal")
    assert (report.inserted, report.rejected) == (1, 1)
    assert report.errors == [(2, "record_id 'x' appears again on line 3; that row is kept")]
    with factory() as session:
        assert session.execute(select(RegistryRow.birth_year)).scalar_one() == 1981


class Crash(RuntimeError):
    pass


def test_a_crash_keeps_committed_batches_and_a_rerun_duplicates_nothing(factory, tmp_path):
    path = _write(tmp_path / "big.csv", _good_rows(50))
    calls = 0

    def crash_after_two_batches(_position: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Crash("power cut")

    with pytest.raises(Crash):
        import_csv(factory, path, source="tal", batch_size=10, progress=crash_after_two_batches)
    assert _count(factory) == 20  # two whole batches, nothing half-written
    with factory() as session:
        failed = session.execute(select(ImportBatch).order_by(ImportBatch.id)).scalars().first()
        assert failed.status == "failed" and "power cut" in failed.failure
    report = import_csv(factory, path, source="tal", batch_size=10)
    assert (report.inserted, report.unchanged) == (30, 20)
    assert _count(factory) == 50
