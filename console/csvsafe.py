"""CSV export that a spreadsheet cannot execute: no cell starts a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

#: A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: object) -> str:
    """The cell as text, with a leading apostrophe when it would otherwise start a formula."""
    text = "" if value is None else str(value)
    stripped = text.lstrip(" ")
    if stripped.startswith(FORMULA_START):
        return "'" + text
    return text


def rows_csv(rows: Iterable[Iterable[object]]) -> str:
    """CSV lines for ``rows``, every cell made safe (for streaming after :func:`to_csv`'s header)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def to_csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """A whole CSV document (UTF-8 with BOM, so spreadsheet programs read Arabic correctly)."""
    return "\ufeff" + rows_csv([header]) + rows_csv(rows)
