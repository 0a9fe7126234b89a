"""The registry CSV reader (``matching.csvfile``), row validation (``matching.records``) and the
import into the database (``matching.importer``), fed arbitrary bytes.

The reader never raises on a data row (only :class:`HeaderError`, and only for the header); every
row comes back as a record or a line-numbered error; a good row among garbage lines is read intact
on its own line; cells that look like spreadsheet formulas are kept as literal text; and the
import stores each good record once (on SQLite and PostgreSQL) and each refused line as an error.
"""

from __future__ import annotations

import csv
import io
import uuid

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from matching.csvfile import FIELD_LIMIT, RAW_KEEP, CsvRow, HeaderError, read_registry_csv
from matching.importer import import_csv
from matching.records import REGISTRY_COLUMNS, RegistryRecord, RowError, record_from_row
from matching.store import ImportBatch, ImportRowError, RegistryRow
from tests.fuzz.strategies import NASTY

HEADER = "record_id,full_name,father_name,birth_year,governorate,release_date"
COLUMNS = HEADER.split(",")


def _read(data: bytes) -> list[CsvRow]:
    return list(read_registry_csv(io.BytesIO(data)))


def _check_rows(rows: list[CsvRow]) -> None:
    """What holds for every row the reader yields, whatever the input."""
    lines = [row.line for row in rows]
    assert lines == sorted(lines) and len(set(lines)) == len(lines) and all(line >= 2 for line in lines)
    for row in rows:
        assert (row.record is None) != (row.error is None)
        assert len(row.raw) <= RAW_KEEP
        # Printable in a report and storable in PostgreSQL: no lone surrogate, no NUL.
        row.raw.encode("utf-8")
        assert "\x00" not in row.raw
        if row.record is not None:
            for value in (row.record.record_id, row.record.full_name):
                value.encode("utf-8")
                assert "\x00" not in value


_bytes = st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from([b",", b'"', b"\n", b"\r\n", b"\r", b"\x00", b"\xff", b"\xef\xbb\xbf", b"1985", "م".encode()]), max_size=40).map(b"".join),
    st.text(alphabet=st.sampled_from(NASTY + ",\n\"abc"), max_size=80).map(lambda t: t.encode("utf-8", "surrogatepass")),
)


@settings(max_examples=150)
@given(_bytes)
@example(b"")
@example(b"\xff\xfe")
@example(b'record_id,full_name\n"unterminated')
def test_any_file_gives_rows_or_a_header_error(data):
    """Arbitrary bytes, with or without a valid header in front: well-formed rows, or HeaderError
    before the first row (never an error in the middle of the file, never another exception)."""
    for candidate in (data, HEADER.encode() + b"\n" + data):
        rows: list[CsvRow] = []
        try:
            for row in read_registry_csv(io.BytesIO(candidate)):
                rows.append(row)
        except HeaderError as exc:
            assert str(exc) and rows == []
            assert candidate is data  # a valid header is never refused
            continue
        _check_rows(rows)


#: Garbage that stays on its own line: no quote (which may open a field across lines) and no newline.
_garbage_line = st.one_of(
    st.binary(max_size=120).map(lambda b: b.replace(b'"', b"").replace(b"\n", b"").replace(b"\r", b"")),
    st.text(alphabet=st.sampled_from(NASTY.replace('"', "").replace("\n", "").replace("\r", "") + ",="), max_size=40).map(str.encode),
    st.sampled_from([b"x" * (FIELD_LIMIT + 10), b"a,b,c,d,e,f,g,h", b"r9,,,,,", b"r9,name,,19x5,,", b",,,,,", b"\x00,\x00"]),
)

#: Any cell text a spreadsheet saves as UTF-8. Left out: NUL and noncharacters (the reader refuses a
#: row holding them), and Ø-Û, the marks of Arabic garbled by a wrong encoding (refused too).
_cell = st.text(
    alphabet=st.characters(codec="utf-8", blacklist_characters="\x00\u00d8\u00d9\u00da\u00db", blacklist_categories=("Cs", "Cn")),
    max_size=30,
)
_formula = st.sampled_from(["=", "+", "-", "@", "=HYPERLINK(", "+1", "-2+3", "@SUM(A1)", "=1+1", "=cmd|' /C calc'!A0"])


@st.composite
def _good_rows(draw: st.DrawFn) -> dict[str, str]:
    """A valid registry row; names often start like a spreadsheet formula."""
    name = draw(_formula) + draw(_cell) if draw(st.booleans()) else draw(_cell)
    return {
        "record_id": draw(_formula | st.just("")) + draw(st.text(alphabet="abcdef0123456789-", min_size=1, max_size=8)),
        "full_name": name if name.strip() else "سامر",
        "father_name": draw(_formula) + draw(_cell) if draw(st.booleans()) else draw(_cell),
        "birth_year": draw(st.sampled_from(["", "1985", "١٩٨٥", "۱۹۹۰", " 1900 "])),
        "governorate": draw(_cell),
        "release_date": draw(st.sampled_from(["", "2024-12-08", "٢٠٢٤/١٢/٩"])),
    }


def _csv_line(row: dict[str, str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([row[c] for c in COLUMNS])
    return out.getvalue().encode("utf-8")


@settings(max_examples=150)
@given(st.lists(_garbage_line, max_size=5), _good_rows(), st.lists(_garbage_line, max_size=5))
@example([b"x" * (FIELD_LIMIT + 10)], {"record_id": "=1", "full_name": "=HYPERLINK(\"x\")", "father_name": "@SUM(A1)",
                                       "birth_year": "١٩٨٥", "governorate": "-2+3", "release_date": ""}, [b"\xff\xfe"])
@example([b"\x00,\x00"], {"record_id": "a", "full_name": "+963", "father_name": "", "birth_year": "", "governorate": "",
                          "release_date": ""}, [])
def test_a_good_row_among_garbage_is_read_whole_on_its_line(before, good, after):
    """A valid row between lines of garbage (bad UTF-8, NUL, wrong field counts, oversized fields,
    formula-looking cells) comes back once, on its own line number, equal to the row as validated;
    formula-looking cells are kept as literal text."""
    lines = [*before, _csv_line(good).rstrip(b"\r\n"), *after]
    data = HEADER.encode() + b"\n" + b"\n".join(lines) + b"\n"
    rows = _read(data)
    _check_rows(rows)
    good_line = 2 + len(before)
    at_line = [row for row in rows if row.line == good_line]
    assert len(at_line) == 1, (good_line, rows)
    expected = record_from_row(dict(good))
    assert at_line[0].record == expected
    assert at_line[0].record.full_name == good["full_name"].strip()
    if good["father_name"].strip():
        assert at_line[0].record.father_name == good["father_name"].strip()


@settings(max_examples=150)
@given(st.lists(st.fixed_dictionaries({c: _cell for c in COLUMNS}), max_size=6))
def test_csv_written_by_a_writer_is_read_back_row_by_row(rows):
    """Any rows a CSV writer wrote (quotes, commas, newlines in cells) are read back in order, each
    exactly as record_from_row validates it, with the line number it starts on; blank rows skipped."""
    data = HEADER.encode() + b"\n"
    expected: list[tuple[int, RegistryRecord | None, str | None]] = []
    line = 2
    for row in rows:
        encoded = _csv_line(row)
        if any(cell.strip() for cell in row.values()):
            try:
                expected.append((line, record_from_row(row), None))
            except RowError as exc:
                expected.append((line, None, exc.reason))
        data += encoded
        line += encoded.count(b"\n") - encoded.count(b"\r\n") + encoded.count(b"\r")
    got = _read(data)
    _check_rows(got)
    assert [(r.line, r.record, r.error) for r in got] == expected


@settings(max_examples=150)
@given(st.dictionaries(st.sampled_from(REGISTRY_COLUMNS), st.one_of(st.text(max_size=220), st.none(), st.integers())))
@example({"record_id": "a", "full_name": "x", "birth_year": "²"})
@example({"record_id": "a", "full_name": "x", "release_date": "2024-02-30"})
def test_record_from_row_gives_a_record_or_row_error(row):
    """Any mapping of column to value gives a record with a record_id and a name, or RowError."""
    try:
        record = record_from_row(row)
    except RowError as exc:
        assert exc.reason
        return
    assert record.record_id and record.full_name
    assert all(len(v) <= 200 for v in (record.record_id, record.full_name) if v)


# -- the import, on SQLite and PostgreSQL ---------------------------------------------------------


_import_line = st.one_of(_good_rows().map(lambda r: _csv_line(r).rstrip(b"\r\n")), _garbage_line)


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_import_line, max_size=8), st.integers(1, 4))
def test_import_stores_each_good_record_once_and_each_refused_line(factory, tmp_path, lines, batch_size):
    """Importing arbitrary lines stores every good record (the last one per record_id) with its
    fields as read, formulas literal, and one stored error per refused row; the batch ends done."""
    source = f"fuzz-{uuid.uuid4().hex[:12]}"
    path = tmp_path / f"{source}.csv"
    path.write_bytes(HEADER.encode() + b"\n" + b"\n".join(lines) + b"\n")
    with path.open("rb") as stream:
        read = list(read_registry_csv(stream, default_source=source))
    report = import_csv(factory, path, source=source, batch_size=batch_size)
    latest = {row.record.record_id: row.record for row in read if row.record is not None}
    refused = [row for row in read if row.record is None]
    repeats = sum(1 for row in read if row.record is not None) - len(latest)
    assert report.rows_read == len(read)
    assert report.inserted == len(latest)
    # A repeated record_id is refused inside one batch, and upserts over the earlier one across batches.
    assert report.rejected - len(refused) + report.updated + report.unchanged == repeats
    with factory() as session:
        batch = session.get(ImportBatch, report.batch_id)
        assert batch is not None and batch.status == "done"
        stored = session.execute(select(RegistryRow).where(RegistryRow.source == source)).scalars().all()
        assert {r.record_id: (r.full_name, r.father_name, r.birth_year, r.governorate) for r in stored} == {
            rid: (rec.full_name, rec.father_name, rec.birth_year, rec.governorate) for rid, rec in latest.items()
        }
        errors = session.execute(
            select(func.count()).select_from(ImportRowError).where(ImportRowError.batch_id == report.batch_id)
        ).scalar_one()
        assert errors == report.rejected
