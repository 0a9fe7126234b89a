"""Streaming reader for registry CSV files: every row comes back as a record or a line-numbered error."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Generator
from dataclasses import dataclass
from typing import BinaryIO

from matching.records import REGISTRY_COLUMNS, RegistryRecord, RowError, record_from_row

#: Longest field accepted (characters). Longer fields are refused by line, without reading them whole.
FIELD_LIMIT = 10_000
#: Raw text kept per refused row, for the operator's error report.
RAW_KEEP = 500

_SURROGATE = re.compile("[\udc80-\udcff]")


class HeaderError(ValueError):
    """The file's header cannot be read as a registry CSV; nothing is imported."""


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data row of the file: ``line`` is its first physical line (the header is line 1)."""

    line: int
    record: RegistryRecord | None
    error: str | None
    raw: str


def _header(cells: list[str]) -> list[str]:
    names = [cell.strip().lstrip("\ufeff").strip().lower() for cell in cells]
    unknown = [n for n in names if n not in REGISTRY_COLUMNS]
    if unknown:
        raise HeaderError(
            f"unknown column(s) {', '.join(map(repr, unknown))}; expected some of: {', '.join(REGISTRY_COLUMNS)}"
        )
    if len(set(names)) != len(names):
        raise HeaderError("a column name appears twice in the header")
    if "record_id" not in names:
        raise HeaderError("the header has no record_id column")
    if not {"full_name", "first_name"} & set(names):
        raise HeaderError("the header needs a full_name or first_name column")
    return names


def read_registry_csv(stream: BinaryIO, *, default_source: str | None = None) -> Generator[CsvRow, None, None]:
    """Read a registry CSV from a binary stream, one row at a time, never the whole file.

    Bad rows (wrong column count, invalid UTF-8, bad year, empty name, oversized field) come back
    with ``error`` set and ``record`` None, so a caller can report them and go on.
    Raises :class:`HeaderError` when the header itself is unusable.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text, strict=False)
    previous_csv_limit = csv.field_size_limit(FIELD_LIMIT)
    try:
        try:
            first = next(reader)
        except StopIteration:
            raise HeaderError("the file is empty") from None
        except csv.Error as exc:
            raise HeaderError(f"the header cannot be read: {exc}") from None
        if any(_SURROGATE.search(cell) for cell in first):
            raise HeaderError("the header is not valid UTF-8 (save the file as UTF-8 CSV)")
        names = _header(first)
        last_line = reader.line_num
        while True:
            start = last_line + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                last_line = reader.line_num
                yield CsvRow(start, None, f"unreadable CSV: {exc}", "")
                continue
            last_line = reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue
            raw = ",".join(cells)[:RAW_KEEP]
            if any(_SURROGATE.search(cell) for cell in cells):
                clean = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                yield CsvRow(start, None, "not valid UTF-8 text (save the file as UTF-8)", clean)
                continue
            if len(cells) != len(names):
                yield CsvRow(start, None, f"has {len(cells)} fields; the header has {len(names)}", raw)
                continue
            try:
                record = record_from_row(dict(zip(names, cells, strict=True)), default_source=default_source)
            except RowError as exc:
                yield CsvRow(start, None, exc.reason, raw)
                continue
            yield CsvRow(start, record, None, raw)
    finally:
        csv.field_size_limit(previous_csv_limit)
        text.detach()
