"""Hostile registry CSV files: formula cells, wrong encodings, NUL bytes, garbled Arabic, overlong lines.

Asserted: formula-like cells are stored as the literal text and no export (the import's error CSV,
the audit log CSV) hands a spreadsheet a cell that starts a formula; a file in UTF-16 (with or
without a byte order mark) or in a legacy code page is refused as a whole with a message naming
the problem, in Arabic and English on the console; a bad line inside a UTF-8 file (Windows-1256,
Latin-1, NUL bytes, Arabic garbled by a wrong decoding, a line over LINE_LIMIT) is refused by its
own line number with the rest imported; the import never crashes, and nothing stored holds a NUL
or text that is not the file's own Arabic.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from console.csvsafe import FORMULA_START
from matching.csvfile import (
    FIELD_LIMIT,
    LINE_LIMIT,
    HeaderEncodingError,
    HeaderError,
    read_registry_csv,
)
from matching.importer import import_csv
from matching.store import ImportRowError, RegistryRow
from tests.console.conftest import add_operator, csrf_of, logged_in, post

HEADER = "record_id,full_name,birth_year\n"
GOOD = "g1,محمد أحمد الخطيب,1985\n"
AFTER = "g2,سامر الحلبي,1990\n"
GARBLED = "محمد".encode().decode("cp1252", errors="replace").replace("\ufffd", "")  # 'Ù…Ø­Ù…Ø¯'
#: Formula-like names and ids a hostile list might hold; each is stored as the text after strip().
FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(1,2)", "\t=1+1", "\r=HYPERLINK(\"http://x\")",
            " =2+2", "\uff1d1+1"]


def _rows(data: bytes) -> list[tuple[int, str | None, str | None, str]]:
    """(line, record_id or None, error or None, raw) for every row the reader yields."""
    return [(r.line, r.record.record_id if r.record else None, r.error, r.raw)
            for r in read_registry_csv(io.BytesIO(data))]


# label, file bytes, the message fragment of the header refusal
REFUSED_FILES = [
    ("UTF-16 LE with BOM", (HEADER + GOOD).encode("utf-16"), "the file is UTF-16 (it starts with a UTF-16 byte order mark)"),
    ("UTF-16 BE with BOM", b"\xfe\xff" + (HEADER + GOOD).encode("utf-16-be"), "the file is UTF-16"),
    ("UTF-16 LE without BOM", (HEADER + GOOD).encode("utf-16-le"), "NUL bytes: the file is probably UTF-16 without a byte order mark"),
    ("UTF-16 BE without BOM", (HEADER + GOOD).encode("utf-16-be"), "NUL bytes: the file is probably UTF-16"),
    ("Windows-1256 Arabic header", "الرقم,الاسم\n1,محمد\n".encode("cp1256"), "the header is not valid UTF-8 (a Windows-1256"),
    ("a header line over LINE_LIMIT", b"record_id," + b"h" * (LINE_LIMIT + 10) + b"\n", "the header line is longer than 1,000,000"),
]


@pytest.mark.parametrize(("label", "data", "fragment"), REFUSED_FILES, ids=[c[0] for c in REFUSED_FILES])
def test_files_that_are_not_utf8_are_refused_whole_with_the_reason(label: str, data: bytes, fragment: str) -> None:
    """The header shows the file is not UTF-8 text: refused before any row, with a message naming it."""
    with pytest.raises(HeaderError) as info:
        _rows(data)
    assert fragment in str(info.value)
    if "LINE_LIMIT" not in label:
        assert isinstance(info.value, HeaderEncodingError)


# label, the bad line (bytes), the refusal's fragment
BAD_LINES = [
    ("Windows-1256 Arabic", "b1,أحمد الحلبي,1980\n".encode("cp1256"), "not valid UTF-8 text (a Windows-1256 or Latin-1 line?)"),
    ("Latin-1 accents", "b1,José Müller,1980\n".encode("latin-1"), "not valid UTF-8 text"),
    ("NUL bytes", b"b1,\xd9\x85\x00\x00,1980\n", "contains NUL bytes (a UTF-16 file, or binary data?)"),
    ("NUL in an unquoted id", b"b\x001,name,1980\n", "contains NUL bytes"),
    ("Arabic garbled by a cp1252 decoding", f"b1,{GARBLED},1980\n".encode(), "Arabic text garbled by a wrong encoding"),
    ("a line of 2,000,000 characters", b"b1," + b"x" * 2_000_000 + b",1980\n", "line longer than 1,000,000 characters"),
    ("an overlong line inside a quoted field", b'b1,"start\n' + b"y" * (LINE_LIMIT + 1) + b'\nend",1980\n',
     "line longer than 1,000,000 characters"),
    ("a field over FIELD_LIMIT", b"b1," + b"z" * (FIELD_LIMIT + 1) + b",1980\n", "unreadable CSV: field larger than field limit"),
]


@pytest.mark.parametrize(("label", "line", "fragment"), BAD_LINES, ids=[c[0] for c in BAD_LINES])
def test_a_bad_line_is_refused_by_its_number_and_the_rest_is_read(label: str, line: bytes, fragment: str) -> None:
    """Between two good UTF-8 rows, the bad line is refused at its own line number with a precise reason
    and a raw text that can be shown and stored (no NUL, no undecodable bytes); the row after it keeps
    its true line number."""
    lines_in_bad = line.count(b"\n")
    rows = _rows((HEADER + GOOD).encode() + line + AFTER.encode())
    assert rows[0][:3] == (2, "g1", None)
    assert rows[1][0] == 3 and rows[1][1] is None and fragment in (rows[1][2] or "")
    assert "\x00" not in rows[1][3] and len(rows[1][3]) <= 500
    rows[1][3].encode("utf-8")  # storable: no lone surrogates left
    assert rows[-1][:3] == (3 + lines_in_bad, "g2", None)


def test_mixed_file_imports_the_utf8_rows_and_refuses_the_others(factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A list pasted together from a UTF-8 file and a Windows-1256 one, with NUL bytes and a garbled
    name: the UTF-8 rows are stored exactly, every other row is refused by line, nothing crashes
    (PostgreSQL refuses NUL in text), and no stored name or refused raw text holds a NUL."""
    data = ((HEADER + GOOD).encode() + "c1,خالد عمر,1979\n".encode("cp1256") + b"n1,\xd8\xb3\x00\xd8\xb1,1980\n"
            + f"m1,{GARBLED},1981\n".encode() + AFTER.encode() + "c2,فاطمة,1990\n".encode("cp1256"))
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    report = import_csv(factory, path, source="mixed-list")
    assert (report.inserted, report.rejected) == (2, 4)
    assert [line for line, _ in report.errors] == [3, 4, 5, 7]
    with factory() as session:
        names = dict(session.execute(select(RegistryRow.record_id, RegistryRow.full_name)).all())
        raws = session.execute(select(ImportRowError.raw)).scalars().all()
    assert names == {"g1": "محمد أحمد الخطيب", "g2": "سامر الحلبي"}
    assert all("\x00" not in raw for raw in raws)


def test_formula_cells_are_stored_as_literal_text(factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Formula-like names and record ids go in as plain text (stripped like any value), never altered."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["record_id", "full_name"])
    for i, value in enumerate(FORMULAS):
        writer.writerow([f"f{i}", value])
        writer.writerow([value, f"اسم {i}"])
    path = tmp_path / "formulas.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    report = import_csv(factory, path, source="formula-list")
    assert report.rejected == 0
    with factory() as session:
        stored = dict(session.execute(select(RegistryRow.record_id, RegistryRow.full_name)).all())
    for i, value in enumerate(FORMULAS):
        assert stored[f"f{i}"] == value.strip()
        assert stored[value.strip()] == f"اسم {i}"


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_no_export_starts_a_formula(app, admin, factory) -> None:  # type: ignore[no-untyped-def]
    """The two CSV exports, the import's refused rows and the audit log, fed with formula text: every
    cell that would start a formula starts with an apostrophe instead, and the text is still there."""
    samir = logged_in(app, admin)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["record_id", "full_name", "birth_year"]]
                                                  + [[value, value, value] for value in FORMULAS])
    content = out.getvalue().encode()
    token = csrf_of(samir, "/console/registry/import")
    preview = samir.post("/console/registry/import/preview", data={"csrf": token, "source": "s1"},
                         files={"file": ("f.csv", content, "text/csv")})
    upload = preview.text.split('name="token" value="')[1].split('"')[0]
    done = post(samir, "/console/registry/import/run", {"token": upload, "source": "s1", "map_0": "record_id",
                                                        "map_1": "full_name", "map_2": "birth_year"},
                page="/console/registry/import")
    assert done.status_code == 303
    reason = "=cmd|' /C calc'!A0 checking a family's request"
    searched = post(samir, "/console/registry/search", {"name": "=1+1", "reason": reason}, page="/console/registry")
    assert searched.status_code == 200
    errors = samir.get(done.headers["location"] + "/errors.csv").text
    # The export needs a second admin's approval of samir's request (four eyes).
    assert post(samir, "/console/audit/export", page="/console/audit").status_code == 200
    add_operator(factory, "huda", "admin")
    assert post(logged_in(app, "huda"), "/console/audit/export", page="/console/audit").status_code == 200
    audit = samir.get("/console/audit.csv").text
    for export in (errors, audit):
        for row in _cells(export)[1:]:
            for cell in row:
                assert not cell.lstrip(" ").startswith(FORMULA_START), (row, cell)
    assert "'=cmd|' /C calc'!A0" in errors
    assert "=cmd|' /C calc'!A0 checking" in audit
    samir.close()


def _upload(client: TestClient, content: bytes):  # type: ignore[no-untyped-def]
    token = csrf_of(client, "/console/registry/import")
    return client.post("/console/registry/import/preview", data={"csrf": token, "source": "s1"},
                       files={"file": ("list.csv", content, "text/csv")})


@pytest.mark.parametrize(("label", "data", "fragment"), REFUSED_FILES[:5], ids=[c[0] for c in REFUSED_FILES[:5]])
def test_console_refuses_a_file_in_another_encoding_in_both_languages(label, data, fragment, app, admin) -> None:  # type: ignore[no-untyped-def]
    """The console's preview names the encoding problem (Arabic by default, English when chosen) instead
    of showing a garbled header to map; nothing is kept."""
    samir = logged_in(app, admin)
    arabic = _upload(samir, data)
    assert arabic.status_code == 400
    assert "ترميز الملف ليس UTF-8" in arabic.text and fragment in arabic.text
    samir.cookies.set("shaml_lang", "en", path="/console")
    english = _upload(samir, data)
    assert english.status_code == 400 and "The file is not UTF-8" in english.text
    samir.close()


def test_console_import_reports_every_hostile_line_and_keeps_line_numbers(app, admin, factory) -> None:  # type: ignore[no-untyped-def]
    """Through the console's mapping: a field over FIELD_LIMIT, a 2,000,000-character line, NUL bytes and
    Windows-1256 text are each refused at their own line with a reason in Arabic; the good rows after
    them are imported. (A row the mapping could not read used to vanish from the report and shift the
    line numbers of every row after it.)"""
    samir = logged_in(app, admin)
    data = (("الرقم,الاسم,ملاحظة\n" + "a1,محمد,x\n").encode()
            + b"a2," + b"z" * (FIELD_LIMIT + 1) + b",x\n"
            + b"a3,\xd9\x85," + b"o" * 2_000_000 + b"\n"
            + b"a4,\xd9\x85\x00,x\n"
            + "a5,خالد,x\n".encode("cp1256")
            + "a6,سامر,x\n".encode())
    preview = _upload(samir, data)
    assert preview.status_code == 200
    upload = preview.text.split('name="token" value="')[1].split('"')[0]
    done = post(samir, "/console/registry/import/run", {"token": upload, "source": "s1", "filename": "list.csv",
                                                        "map_0": "record_id", "map_1": "full_name", "map_2": ""},
                page="/console/registry/import")
    assert done.status_code == 303, done.text[:500]
    with factory() as session:
        assert session.execute(select(RegistryRow.record_id).order_by(RegistryRow.record_id)).scalars().all() == ["a1", "a6"]
        refused = session.execute(select(ImportRowError.line, ImportRowError.reason, ImportRowError.raw)
                                  .order_by(ImportRowError.line)).all()
    assert [(line, reason.split(";")[0].split(":")[0]) for line, reason, _ in refused] == [
        (3, "unreadable CSV"), (4, "line longer than 1,000,000 characters"),
        (5, "contains NUL bytes (a UTF-16 file, or binary data?)"), (6, "not valid UTF-8 text (a Windows-1256 or Latin-1 line?)"),
    ]
    assert refused[1][2].startswith("a3,م,ooo")
    report = samir.get(done.headers["location"]).text
    for arabic in ("لا يمكن قراءة هذا السطر", "السطر أطول من مليون حرف", "في السطر بايتات NUL", "النص ليس بترميز UTF-8"):
        assert arabic in report
    samir.close()
