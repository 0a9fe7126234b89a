"""How searches and registrations look to the matcher: queries and records with typed ids. Pure."""

from __future__ import annotations

import datetime as dt
from typing import Any

from matching.records import Query, RegistryRecord

SEARCH = "search"
REGISTRATION = "registration"


def typed_id(kind: str, row_id: int) -> str:
    """``"search:12"`` or ``"registration:7"``: the id of a search or a registration in a matcher."""
    return f"{kind}:{row_id}"


def parse_typed_id(value: str) -> tuple[str, int] | None:
    """The (kind, id) of a typed id, or None for anything else (a registry row's ``source:record``)."""
    kind, _, rest = value.partition(":")
    if kind in (SEARCH, REGISTRATION) and rest.isascii() and rest.isdigit():  # not "²", which int() refuses
        return kind, int(rest)
    return None


def search_query(search: Any) -> Query:
    """A family's search as the matcher's query (the family's words, as typed)."""
    return Query(
        query_id=typed_id(SEARCH, search.id),
        name=search.full_name,
        father_name=search.father_name,
        mother_name=search.mother_name,
        birth_year=search.birth_year,
        governorate=search.governorate,
    )


def search_record(search: Any) -> RegistryRecord:
    """A search as a record, so a new registration or registry row can find the searches it may answer."""
    return RegistryRecord(
        record_id=typed_id(SEARCH, search.id),
        full_name=search.full_name,
        father_name=search.father_name,
        mother_name=search.mother_name,
        birth_year=search.birth_year,
        governorate=search.governorate,
        source=SEARCH,
    )


def registration_record(registration: Any) -> RegistryRecord:
    """An active registration as a record the families' searches are matched against."""
    return RegistryRecord(
        record_id=typed_id(REGISTRATION, registration.id),
        full_name=registration.full_name,
        father_name=registration.father_name,
        mother_name=registration.mother_name,
        birth_year=registration.birth_year,
        governorate=registration.governorate,
        source=REGISTRATION,
    )


def as_query(record: RegistryRecord, query_id: str) -> Query:
    """A registration or registry record turned into a query, to look up the searches it may answer."""
    return Query(
        query_id=query_id,
        name=record.full_name,
        father_name=record.father_name,
        mother_name=record.mother_name,
        birth_year=record.birth_year,
        governorate=record.governorate,
    )


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """A datetime with UTC attached when the database (SQLite) returned it naive."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value
