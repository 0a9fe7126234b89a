"""Registry CSV upload for the console: keep the file, propose a column mapping, import with it.

The preview maps each column of the file to a registry column (Arabic and common English headers
are recognised); the import rewrites the header through that mapping and feeds the file to
``matching.csvfile.read_registry_csv`` and ``matching.importer.import_rows``, so the error report
by line is the importer's own.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import sessionmaker

from matching.csvfile import (
    OVERLONG,
    OVERLONG_REASON,
    RAW_KEEP,
    BoundedLines,
    CsvRow,
    HeaderEncodingError,
    HeaderError,
    check_header,
    read_registry_csv,
    readable,
)
from matching.importer import ImportReport, import_rows
from matching.records import REGISTRY_COLUMNS

#: Largest upload accepted (bytes).
MAX_UPLOAD = 50 * 1024 * 1024
#: Rows shown in the preview.
PREVIEW_ROWS = 5
#: "Do not import this column."
IGNORE = ""
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
SOURCE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")

#: Headers seen on real lists, folded to lower case, and the registry column each means.
ALIASES = {
    "id": "record_id", "no": "record_id", "number": "record_id", "الرقم": "record_id", "رقم": "record_id",
    "name": "full_name", "fullname": "full_name", "full name": "full_name", "الاسم": "full_name",
    "الاسم الكامل": "full_name", "الاسم الثلاثي": "full_name",
    "first name": "first_name", "الاسم الأول": "first_name",
    "father": "father_name", "father name": "father_name", "اسم الأب": "father_name", "اسم الاب": "father_name",
    "family": "family_name", "surname": "family_name", "last name": "family_name", "الكنية": "family_name",
    "mother": "mother_name", "mother name": "mother_name", "اسم الأم": "mother_name", "اسم الام": "mother_name",
    "year": "birth_year", "birth year": "birth_year", "المواليد": "birth_year", "سنة الميلاد": "birth_year",
    "governorate": "governorate", "province": "governorate", "المحافظة": "governorate",
    "prison": "prison", "السجن": "prison", "release date": "release_date", "تاريخ الإفراج": "release_date",
    "source": "source", "المصدر": "source",
}


class UploadError(ValueError):
    """An upload or mapping that cannot be used; ``key`` names the operator's message, ``detail`` is precise."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(detail or key)
        self.key = key
        self.detail = detail


@dataclass(frozen=True)
class Preview:
    """The first rows of an upload and the proposed registry column for each of its columns."""

    token: str
    filename: str
    header: list[str]
    proposed: list[str]
    rows: list[list[str]]


def guess(column: str) -> str:
    """The registry column a file's header most likely means, or :data:`IGNORE`."""
    name = column.strip().lstrip("\ufeff").strip().lower().replace("_", " ")
    if name.replace(" ", "_") in REGISTRY_COLUMNS:
        return name.replace(" ", "_")
    return ALIASES.get(name, IGNORE)


def _path(upload_dir: Path, token: str) -> Path:
    if not _TOKEN.match(token):
        raise UploadError("err_upload_missing", "bad upload token")
    return upload_dir / f"{token}.csv"


def sweep_uploads(upload_dir: Path, max_age_seconds: int, now: float | None = None) -> int:
    """Delete uploads older than ``max_age_seconds`` (previews nobody imported); returns how many.

    An upload holds a whole registry file; one left behind by a closed tab must not stay on disk.
    """
    import time

    if not upload_dir.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - max_age_seconds
    removed = 0
    for path in upload_dir.glob("*.csv"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def save_upload(upload_dir: Path, stream: BinaryIO, filename: str) -> Preview:
    """Store the upload under a random token and read its header and first rows."""
    upload_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    path = _path(upload_dir, token)
    size = 0
    with path.open("wb") as out:
        while chunk := stream.read(1 << 20):
            size += len(chunk)
            if size > MAX_UPLOAD:
                out.close()
                path.unlink(missing_ok=True)
                raise UploadError("err_upload_too_big", f"larger than {MAX_UPLOAD} bytes")
            out.write(chunk)
    if size == 0:
        path.unlink(missing_ok=True)
        raise UploadError("err_upload_empty", "the file is empty")
    try:
        return preview(upload_dir, token, filename)
    except UploadError:
        path.unlink(missing_ok=True)
        raise


def preview(upload_dir: Path, token: str, filename: str = "") -> Preview:
    """Header, proposed mapping and the first :data:`PREVIEW_ROWS` rows of a stored upload."""
    path = _path(upload_dir, token)
    if not path.exists():
        raise UploadError("err_upload_missing", "the upload expired or was already imported")
    with path.open("rb") as raw:
        # Lines are bounded (a 50 MB line is never held whole) and bytes that are not UTF-8 kept
        # recognisable, so a file in another encoding is named as such instead of shown garbled.
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        reader = csv.reader(BoundedLines(text))
        try:
            header = next(reader)
        except (StopIteration, csv.Error):
            raise UploadError("err_upload_header", "the header cannot be read") from None
        try:
            check_header(header)
        except HeaderEncodingError as exc:
            raise UploadError("err_upload_encoding", str(exc)) from None
        except HeaderError as exc:
            raise UploadError("err_upload_header", str(exc)) from None
        rows = []
        for _ in range(PREVIEW_ROWS):
            try:
                rows.append([readable(cell) for cell in next(reader)])
            except StopIteration:
                break
            except csv.Error:
                continue
        header = [readable(cell) for cell in header]
    if not header or all(not h.strip() for h in header):
        raise UploadError("err_upload_header", "the header is empty")
    return Preview(token=token, filename=filename, header=header, proposed=[guess(h) for h in header], rows=rows)


def check_mapping(header: list[str], mapping: list[str]) -> None:
    """A mapping needs record_id and a name column, each registry column at most once."""
    if len(mapping) != len(header):
        raise UploadError("err_mapping", "one choice per column is needed")
    chosen = [m for m in mapping if m != IGNORE]
    unknown = [m for m in chosen if m not in REGISTRY_COLUMNS]
    if unknown:
        raise UploadError("err_mapping", f"unknown registry column(s): {', '.join(unknown)}")
    if len(set(chosen)) != len(chosen):
        raise UploadError("err_mapping", "a registry column is chosen twice")
    if "record_id" not in chosen or not {"full_name", "first_name"} & set(chosen):
        raise UploadError("err_mapping", "record_id and full_name (or first_name) must be mapped")


#: Written in place of a row the mapping cannot carry (wrong field count, unreadable CSV, an
#: overlong line), so the reader refuses it; the report then gets the row's own reason and text
#: back (see :func:`_restore`).
_BAD = "\ufdd0shaml-refused-row"


def _mapped_lines(path: Path, mapping: list[str], bad: deque[tuple[str, str]]) -> Iterator[bytes]:
    """The file re-written through the mapping, row by row, one physical line count per row kept, so
    line numbers stay the file's own. A row that cannot be mapped is replaced by a marker spanning
    the same lines, and its (reason, text) queued in ``bad``."""
    keep = [i for i, m in enumerate(mapping) if m != IGNORE]
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        lines = BoundedLines(text)
        reader = csv.reader(lines, strict=False)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        first = True
        last_line = 0
        while True:
            refusal: tuple[str, str] | None = None  # (reason, raw text) of a row the mapping cannot carry
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                cells, refusal = [], (f"unreadable CSV: {exc}", "")
            if first:
                if refusal is None:  # an unreadable header line is skipped, as the preview did
                    writer.writerow([mapping[i] for i in keep])
                    first = False
            else:
                if refusal is None and any(OVERLONG in c for c in cells):
                    head = lines.heads.popleft() if lines.heads else ""
                    refusal = (OVERLONG_REASON, readable(head)[:RAW_KEEP])
                elif refusal is None and cells and len(cells) != len(mapping):
                    refusal = (f"has {len(cells)} fields; the header has {len(mapping)}",
                               readable(",".join(cells)[:RAW_KEEP]))
                if refusal is None:
                    writer.writerow([cells[i] for i in keep] if cells else [])
                else:
                    bad.append(refusal)
                    writer.writerow([_BAD + "\n" * (reader.line_num - last_line - 1)])
            last_line = reader.line_num
            yield buffer.getvalue().encode("utf-8", "surrogateescape")
            buffer.seek(0)
            buffer.truncate()


def _restore(rows: Iterator[CsvRow], bad: deque[tuple[str, str]]) -> Iterator[CsvRow]:
    """The reader's rows, with each marker row turned back into the file's own refusal."""
    for row in rows:
        if row.record is None and _BAD in row.raw and bad:
            reason, raw = bad.popleft()
            row = CsvRow(row.line, None, reason, raw)
        yield row


class _LineStream(io.RawIOBase):
    """A binary stream over an iterator of byte chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(b), len(self._pending))
        b[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def run_import(
    factory: sessionmaker, upload_dir: Path, token: str, mapping: list[str], *, source: str, filename: str, batch_size: int
) -> ImportReport:
    """Import a stored upload with ``mapping``; the upload is deleted afterwards, whatever happens."""
    if not SOURCE_NAME.match(source or ""):
        raise UploadError("err_source", "source must be 1-100 letters, digits, . _ or -")
    info = preview(upload_dir, token, filename)
    check_mapping(info.header, mapping)
    path = _path(upload_dir, token)
    try:
        bad: deque[tuple[str, str]] = deque()
        stream = io.BufferedReader(_LineStream(_mapped_lines(path, mapping, bad)))
        try:
            rows = _restore(read_registry_csv(stream, default_source=source), bad)
            return import_rows(factory, rows, source=source, filename=filename or "upload.csv", batch_size=batch_size)
        except HeaderError as exc:
            raise UploadError("err_upload_header", str(exc)) from None
    finally:
        path.unlink(missing_ok=True)
