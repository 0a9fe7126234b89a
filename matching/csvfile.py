"""Streaming reader for registry CSV files: every row comes back as a record or a line-numbered error.

Hostile files stay harmless: no line is ever held longer than :data:`LINE_LIMIT` characters (a
longer one is read past in pieces and its row refused), NUL bytes and text that is not UTF-8 are
refused by line, and a file in UTF-16 or another encoding is refused by its header with a message
saying so. Formula-like cells (``=cmd|...``) are ordinary text here; exports neutralise them.
"""

from __future__ import annotations

import csv
import io
import re
from collections import deque
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from matching.records import REGISTRY_COLUMNS, RegistryRecord, RowError, record_from_row

#: Longest field accepted (characters). Longer fields are refused by line, without reading them whole.
FIELD_LIMIT = 10_000
#: Raw text kept per refused row, for the operator's error report.
RAW_KEEP = 500
#: Longest physical line read (characters). A longer line is read past in pieces, never held whole,
#: and its row refused; no valid row comes near it (11 quoted columns of FIELD_LIMIT characters).
LINE_LIMIT = 1_000_000
#: Piece size (characters) for reading past an overlong line.
_SKIP_PIECE = 1 << 20
#: Why a row with a line over LINE_LIMIT is refused.
OVERLONG_REASON = f"line longer than {LINE_LIMIT:,} characters; skipped without reading it whole"

#: What the csv reader sees instead of a skipped overlong line, and instead of a NUL character
#: (which the csv module refuses or passes on depending on the Python version, and PostgreSQL
#: cannot store). Both start with a noncharacter; a row holding either is refused by line.
OVERLONG = "\ufdd1shaml-overlong-line"
NUL_MARK = "\ufdd2"

_SURROGATE = re.compile("[\udc80-\udcff]")
#: Lead bytes of Arabic letters in UTF-8 (0xD8-0xDB) read as Windows-1252 or Latin-1: Ø Ù Ú Û.
_ARABIC_LEAD_AS_LATIN = re.compile("[\u00d8-\u00db]")
_ARABIC = re.compile("[\u0600-\u06ff]")


class HeaderError(ValueError):
    """The file's header cannot be read as a registry CSV; nothing is imported."""


class HeaderEncodingError(HeaderError):
    """The file is not UTF-8 (UTF-16, NUL bytes, a legacy code page): refused as a whole."""


class BoundedLines:
    """The physical lines of a text stream (opened with ``newline=""``) for ``csv.reader``, none
    longer than ``limit`` characters, so memory stays bounded whatever the file holds.

    A longer line is read past in pieces and replaced by :data:`OVERLONG` (its first
    :data:`RAW_KEEP` characters wait in ``heads`` for the error report); NUL becomes :data:`NUL_MARK`.
    Each physical line still yields exactly one line, so the reader's line numbers stay the file's.
    """

    def __init__(self, text: TextIO, limit: int = LINE_LIMIT) -> None:
        self.text = text
        self.limit = limit
        self.heads: deque[str] = deque()
        self._after_cr = False

    def __iter__(self) -> BoundedLines:
        return self

    def __next__(self) -> str:
        line = self.text.readline(self.limit + 1)
        if self._after_cr:
            self._after_cr = False
            if line == "\n":  # the \n of a \r\n split where a skipped line's last piece ended
                line = self.text.readline(self.limit + 1)
        if not line:
            raise StopIteration
        if len(line) > self.limit and not line.endswith(("\n", "\r")):
            self.heads.append(line[:RAW_KEEP])
            while not line.endswith(("\n", "\r")):
                line = self.text.readline(_SKIP_PIECE)
                if not line:
                    break
            self._after_cr = line.endswith("\r")
            return OVERLONG + "\n"
        if "\x00" in line:
            line = line.replace("\x00", NUL_MARK)
        return line


def readable(text: str) -> str:
    """Text read with ``surrogateescape`` and the markers above, as a person can read and a database
    can store it: undecodable bytes, NUL and markers become U+FFFD."""
    if _SURROGATE.search(text):
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text.replace(OVERLONG, "\ufffd").replace(NUL_MARK, "\ufffd")


def check_header(cells: Sequence[str]) -> None:
    """Refuse a header that shows the file cannot be read as UTF-8 text, saying what it looks like.

    Raises :class:`HeaderEncodingError` (UTF-16 with or without a byte order mark, NUL bytes, a
    legacy code page) or :class:`HeaderError` (a header line over :data:`LINE_LIMIT`).
    """
    joined = ",".join(cells)
    if OVERLONG in joined:
        raise HeaderError(f"the header line is longer than {LINE_LIMIT:,} characters")
    if joined.startswith(("\udcff\udcfe", "\udcfe\udcff")):
        raise HeaderEncodingError(
            "the file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8 CSV"
        )
    if NUL_MARK in joined:
        raise HeaderEncodingError(
            "the header contains NUL bytes: the file is probably UTF-16 without a byte order mark; "
            "save it as UTF-8 CSV"
        )
    if _SURROGATE.search(joined):
        raise HeaderEncodingError(
            "the header is not valid UTF-8 (a Windows-1256 or Latin-1 file?); save the file as UTF-8 CSV"
        )


def garbled_arabic(text: str) -> bool:
    """True when ``text`` is Arabic in UTF-8 that was once read as Windows-1252 or Latin-1 and saved
    again, e.g. ``Ù…Ø­Ù…Ø¯`` for ``محمد``: importing it would store a name nobody can find."""
    if not _ARABIC_LEAD_AS_LATIN.search(text):
        return False
    try:
        data = bytes(ord(c) if ord(c) < 256 else c.encode("cp1252")[0] for c in text)
        return _ARABIC.search(data.decode("utf-8")) is not None
    except UnicodeError:
        return False


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
    lines = BoundedLines(text)
    reader = csv.reader(lines, strict=False)
    previous_csv_limit = csv.field_size_limit(FIELD_LIMIT)
    try:
        try:
            first = next(reader)
        except StopIteration:
            raise HeaderError("the file is empty") from None
        except csv.Error as exc:
            raise HeaderError(f"the header cannot be read: {exc}") from None
        check_header(first)
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
            joined = ",".join(cells)
            if OVERLONG in joined:
                heads = [lines.heads.popleft() for _ in range(joined.count(OVERLONG)) if lines.heads]
                yield CsvRow(start, None, OVERLONG_REASON, readable(heads[0] if heads else "")[:RAW_KEEP])
                continue
            raw = joined[:RAW_KEEP]
            if NUL_MARK in joined:
                yield CsvRow(start, None, "contains NUL bytes (a UTF-16 file, or binary data?); save the file as UTF-8",
                             readable(raw))
                continue
            if _SURROGATE.search(joined):
                yield CsvRow(start, None, "not valid UTF-8 text (a Windows-1256 or Latin-1 line?); save the file as UTF-8",
                             readable(raw))
                continue
            if _ARABIC_LEAD_AS_LATIN.search(joined) and any(garbled_arabic(cell) for cell in cells):
                reason = "Arabic text garbled by a wrong encoding (UTF-8 read as Windows-1252 or Latin-1); fix the file's encoding"
                yield CsvRow(start, None, reason, raw)
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
