"""The registry CSV reader: every bad row is reported by its line, and nothing else is lost."""

from __future__ import annotations

import io

import pytest

from matching.csvfile import FIELD_LIMIT, HeaderError, read_registry_csv

HEADER = "record_id,full_name,father_name,mother_name,birth_year,governorate,release_date\n"

# label, data row(s), expected (line, error fragment or None, record_id or None)
CASES = [
    ("arabic name, Arabic-Indic year", "r1,محمد أحمد الخطيب,أحمد,فاطمة,١٩٨٥,حمص,٢٠٢٤-١٢-٠٨\n", (2, None, "r1")),
    ("persian digits", "r2,Ahmad Khatib,,,۱۹۷۰,Homs,\n", (2, None, "r2")),
    ("empty name", "r3,,,,1980,,\n", (2, "no name", None)),
    ("bad year", "r4,سامر,,,19a0,,\n", (2, "birth_year '19a0'", None)),
    ("future year", "r5,سامر,,,2990,,\n", (2, "outside", None)),
    ("too many fields", "r6,سامر,,,1980,,,extra\n", (2, "has 8 fields; the header has 7", None)),
    ("too few fields", "r7,سامر\n", (2, "has 2 fields", None)),
    ("bad date", "r8,سامر,,,1980,,2024-13-40\n", (2, "not a real date", None)),
    ("empty record id", ",سامر,,,1980,,\n", (2, "record_id is empty", None)),
]


def _read(data: bytes):
    return list(read_registry_csv(io.BytesIO(data)))


@pytest.mark.parametrize(("label", "row", "expected"), CASES, ids=[c[0] for c in CASES])
def test_row_cases(label, row, expected):
    rows = _read((HEADER + row).encode())
    assert len(rows) == 1
    line, fragment, record_id = expected
    assert rows[0].line == line
    if fragment is None:
        assert rows[0].error is None and rows[0].record is not None
        assert rows[0].record.record_id == record_id
    else:
        assert rows[0].record is None
        assert fragment in (rows[0].error or "")


def test_years_in_any_digits_are_read():
    rows = _read((HEADER + "a,سامر,,,١٩٨٥,,\nb,Samer,,,۱۹۹۰,,\n").encode())
    assert [r.record.birth_year for r in rows if r.record] == [1985, 1990]


def test_bad_encoding_is_one_bad_row_and_the_rest_is_read():
    data = HEADER.encode() + b"a,\xff\xfe broken,,,1980,,\n" + "b,سامر,,,1980,,\n".encode()
    rows = _read(data)
    assert [(r.line, r.error is None) for r in rows] == [(2, False), (3, True)]
    assert "UTF-8" in (rows[0].error or "")


def test_line_numbers_follow_multiline_fields_and_blank_lines():
    data = (HEADER + 'a,"سامر\nالخطيب",,,1980,,\n\nb,,,,1980,,\nc,Omar,,,1980,,\n').encode()
    rows = _read(data)
    assert [(r.line, r.record.record_id if r.record else None) for r in rows] == [(2, "a"), (5, None), (6, "c")]


def test_byte_order_mark_and_header_case_are_accepted():
    rows = _read(("\ufeffRecord_ID, Full_Name\nx,سامر\n").encode())
    assert rows[0].record is not None and rows[0].record.full_name == "سامر"


def test_oversized_field_is_refused_by_line_and_reading_goes_on():
    data = (HEADER + f"a,{'م' * (FIELD_LIMIT + 5)},,,1980,,\nb,سامر,,,1980,,\n").encode()
    rows = _read(data)
    assert rows[0].record is None and rows[0].line == 2
    assert rows[-1].record is not None and rows[-1].record.record_id == "b"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"id,name\n", "unknown column"),
        (b"full_name,birth_year\n", "no record_id"),
        (b"record_id,birth_year\n", "full_name or first_name"),
        (b"record_id,full_name,full_name\n", "twice"),
        (b"record_id,\xff\n", "UTF-8"),
    ],
)
def test_unusable_headers_are_refused(data, fragment):
    with pytest.raises(HeaderError) as info:
        _read(data)
    assert fragment in str(info.value)
