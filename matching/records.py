"""The registry record and query contract (DESIGN.md, Matching) and row validation: pure, no I/O."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from matching.normalize import ascii_digits

#: Registry CSV columns, in the order of the contract.
REGISTRY_COLUMNS: tuple[str, ...] = (
    "record_id",
    "full_name",
    "first_name",
    "father_name",
    "family_name",
    "mother_name",
    "birth_year",
    "governorate",
    "prison",
    "release_date",
    "source",
)

#: Oldest and youngest plausible birth years for a detainee.
MIN_BIRTH_YEAR = 1900
MAX_FIELD_CHARS = 200

_YEAR_RE = re.compile(r"^\s*(\d{4})\s*$")
_DATE_RE = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*$")


class RowError(ValueError):
    """A registry row that cannot be accepted; ``reason`` is a precise English sentence for logs."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RegistryRecord:
    """One person on a released list, as the matcher sees it."""

    record_id: str
    full_name: str
    first_name: str | None = None
    father_name: str | None = None
    family_name: str | None = None
    mother_name: str | None = None
    birth_year: int | None = None
    governorate: str | None = None
    prison: str | None = None
    release_date: dt.date | None = None
    source: str | None = None

    @property
    def display_name(self) -> str:
        """The full name, or the parts joined when only parts were given."""
        return self.full_name


@dataclass(frozen=True, slots=True)
class Query:
    """What a family typed: ``name`` is free text in any script, the rest optional."""

    query_id: str
    name: str
    father_name: str | None = None
    mother_name: str | None = None
    birth_year: int | None = None
    governorate: str | None = None


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if len(text) > MAX_FIELD_CHARS:
        raise RowError(f"value longer than {MAX_FIELD_CHARS} characters")
    return text


def parse_year(value: object, *, today: dt.date | None = None) -> int | None:
    """Read a birth year written in any digits; empty gives None, nonsense raises RowError."""
    text = _clean(value)
    if text is None:
        return None
    match = _YEAR_RE.match(ascii_digits(text))
    if not match:
        raise RowError(f"birth_year {text!r} is not a four-digit year")
    year = int(match.group(1))
    latest = (today or dt.date.today()).year
    if not MIN_BIRTH_YEAR <= year <= latest:
        raise RowError(f"birth_year {year} is outside {MIN_BIRTH_YEAR}..{latest}")
    return year


def parse_date(value: object) -> dt.date | None:
    """Read a date as YYYY-MM-DD (also with / or . and any digits); empty gives None."""
    text = _clean(value)
    if text is None:
        return None
    match = _DATE_RE.match(ascii_digits(text))
    if not match:
        raise RowError(f"release_date {text!r} is not a date written YYYY-MM-DD")
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError as exc:
        raise RowError(f"release_date {text!r} is not a real date ({exc})") from None


def record_from_row(row: Mapping[str, object], *, default_source: str | None = None) -> RegistryRecord:
    """Validate one registry CSV row (a mapping of column to text) and build a record.

    ``full_name`` may be the only name filled in; when it is empty it is assembled from
    first, father and family name. Raises :class:`RowError` with a precise reason.
    """
    record_id = _clean(row.get("record_id"))
    if record_id is None:
        raise RowError("record_id is empty")
    first = _clean(row.get("first_name"))
    father = _clean(row.get("father_name"))
    family = _clean(row.get("family_name"))
    full = _clean(row.get("full_name"))
    if full is None:
        full = " ".join(part for part in (first, father, family) if part) or None
    if full is None:
        raise RowError("no name: full_name and first/father/family name are all empty")
    return RegistryRecord(
        record_id=record_id,
        full_name=full,
        first_name=first,
        father_name=father,
        family_name=family,
        mother_name=_clean(row.get("mother_name")),
        birth_year=parse_year(row.get("birth_year")),
        governorate=_clean(row.get("governorate")),
        prison=_clean(row.get("prison")),
        release_date=parse_date(row.get("release_date")),
        source=_clean(row.get("source")) or default_source,
    )
