"""Storing searches and registrations, matching a search, and reading a contact's status. No Rasa here.

The family is told only the decision's outcome. Candidates, names and every registry field stay
in the database (``matches`` rows for the consent flow and for operators), never in a reply.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.actions.deps import SearchesRegistry
from bot.actions.parsing import as_int, as_text, split_detention
from bot.contacts import escalate
from bot.models import AuditEvent, Contact, Match, Registration, SearchRequest
from bot.reunion.searches import SearchDetails
from matching.records import Query
from matching.store import RegistryRow, utcnow

log = logging.getLogger(__name__)

#: Candidates recorded for operators when a search lands in the review band.
REVIEW_CANDIDATES = 3


@dataclass(frozen=True)
class SearchOutcome:
    """What the family is told: ``decision`` (match, review, no_match) and whether to ask for more.

    ``ask_for`` names the missing fields that would separate namesakes (mother_name,
    birth_year); it is set only for a review the first time, before anyone is escalated.
    """

    search_id: int
    decision: str
    ask_for: tuple[str, ...] = ()
    match_id: int | None = None


def search_details(slots: Mapping[str, Any]) -> SearchDetails:
    """The search form's slots as the workflow's search details."""
    place, date = split_detention(slots.get("detention"))
    return SearchDetails(
        full_name=as_text(slots.get("person_name")) or "",
        father_name=as_text(slots.get("father_name")),
        mother_name=as_text(slots.get("mother_name")),
        birth_year=as_int(slots.get("birth_year")),
        governorate=as_text(slots.get("governorate")),
        detention_place=as_text(place),
        detention_date=as_text(date),
        searcher_name=as_text(slots.get("searcher_name")),
        relationship=as_text(slots.get("relationship")),
    )


def store_search(session: Session, contact_id: int, slots: Mapping[str, Any]) -> SearchRequest:
    """Store a family's search with their consent to keep it; returns the new open request."""
    search = SearchRequest(contact_id=contact_id, status="open", consent_at=utcnow(), **asdict(search_details(slots)))
    search.raw_answers = raw_answers(slots)
    if not search.full_name:
        raise ValueError("a search needs the sought person's name")
    session.add(search)
    session.flush()
    session.add(AuditEvent(actor_kind="system", action="search_created", subject_type="search", subject_id=str(search.id)))
    return search


def raw_answers(slots: Mapping[str, Any]) -> dict[str, str] | None:
    """The words typed for each answer whose stored value was read out of a sentence (None if none)."""
    raw = slots.get("raw_answers")
    if not isinstance(raw, dict):
        return None
    kept = {str(k): str(v)[:300] for k, v in raw.items() if isinstance(v, str) and v.strip()}
    return kept or None


def query_for(search: SearchRequest) -> Query:
    """The matcher's query for a stored search."""
    return Query(
        query_id=str(search.id),
        name=search.full_name,
        father_name=search.father_name,
        mother_name=search.mother_name,
        birth_year=search.birth_year,
        governorate=search.governorate,
    )


def registry_row_id(session: Session, matcher_record_id: str) -> int | None:
    """The ``registry_records.id`` for a matcher id ``"<source>:<record_id>"``, if the row is live."""
    source, sep, record_id = matcher_record_id.partition(":")
    if not sep:
        return None
    return session.execute(
        select(RegistryRow.id).where(
            RegistryRow.source == source,
            RegistryRow.record_id == record_id,
            RegistryRow.deleted_at.is_(None),
        )
    ).scalar_one_or_none()


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _record_match(session: Session, search_id: int, row_id: int, decision: str, status: str, candidate: Any) -> Match:
    existing = session.execute(
        select(Match).where(Match.search_id == search_id, Match.registry_record_id == row_id)
    ).scalar_one_or_none()
    match = existing or Match(search_id=search_id, registry_record_id=row_id)
    match.decision = decision
    match.status = status
    match.score = float(candidate.score)
    match.explanation = _json_safe(getattr(candidate, "explanation", None))
    if existing is None:
        session.add(match)
    session.flush()
    return match


def missing_separators(search: SearchRequest) -> tuple[str, ...]:
    """The fields that would tell namesakes apart and that the family has not given yet."""
    missing = []
    if not search.mother_name:
        missing.append("mother_name")
    if search.birth_year is None:
        missing.append("birth_year")
    return tuple(missing)


def match_search(
    session: Session, matcher: SearchesRegistry, search: SearchRequest, *, may_ask: bool
) -> SearchOutcome:
    """Run the matcher for a stored search and record what it found.

    - match: a ``Match`` row ``awaiting_consent`` for the best candidate (the consent flow
      takes it from there).
    - review: if ``may_ask`` and the mother's name or birth year is missing, nothing is
      recorded and the caller asks for them — only for the one the matcher names as deciding
      (``reasons["ask"]``) when it is one of them; otherwise ``Match`` rows with status ``review``
      and an escalation with reason ``review``.
    - no_match: nothing recorded; the search stays open.
    """
    result = matcher.search(query_for(search))
    decision = result.decision if result.decision in ("match", "review") else "no_match"
    mapped = []
    for candidate in result.candidates:
        row_id = registry_row_id(session, candidate.record_id)
        if row_id is not None:
            mapped.append((row_id, candidate))
    if decision != "no_match" and not mapped:
        log.warning("search %s: %s with no live registry row; left open", search.id, decision)
        decision = "no_match"
    if decision == "match":
        row_id, candidate = mapped[0]
        match = _record_match(session, search.id, row_id, "match", "awaiting_consent", candidate)
        search.status = "matched"
        return SearchOutcome(search.id, "match", match_id=match.id)
    if decision == "review":
        missing = missing_separators(search)
        deciding = result.reasons.get("ask")
        if deciding in missing:
            missing = (deciding,)  # the one detail that separates the candidates (matching/separate.py)
        if may_ask and missing:
            return SearchOutcome(search.id, "review", ask_for=missing)
        matches = [
            _record_match(session, search.id, row_id, "review", "review", candidate)
            for row_id, candidate in mapped[:REVIEW_CANDIDATES]
        ]
        escalate(session, search.contact_id, "review", match_id=matches[0].id)
        return SearchOutcome(search.id, "review", match_id=matches[0].id)
    return SearchOutcome(search.id, "no_match")


def update_search_details(session: Session, search_id: int, slots: Mapping[str, Any]) -> SearchRequest:
    """Add the mother's name or birth year the family gave after an ambiguous result."""
    search = session.get(SearchRequest, search_id)
    if search is None:
        raise LookupError(f"no search {search_id}")
    mother = as_text(slots.get("mother_name"))
    year = as_int(slots.get("birth_year"))
    if mother and not search.mother_name:
        search.mother_name = mother
    if year is not None and search.birth_year is None:
        search.birth_year = year
    session.flush()
    return search


def store_registration(session: Session, contact_id: int, slots: Mapping[str, Any]) -> Registration:
    """Store a released detainee's registration, waiting for the callback number's verification."""
    registration = Registration(
        contact_id=contact_id,
        status="pending_verification",
        full_name=as_text(slots.get("person_name")) or "",
        father_name=as_text(slots.get("father_name")),
        mother_name=as_text(slots.get("mother_name")),
        birth_year=as_int(slots.get("birth_year")),
        governorate=as_text(slots.get("governorate")),
        callback_address=str(slots.get("callback_number") or ""),
        share_policy=str(slots.get("share_policy") or "nobody"),
        raw_answers=raw_answers(slots),
    )
    if not registration.full_name or not registration.callback_address:
        raise ValueError("a registration needs a name and a callback number")
    session.add(registration)
    session.flush()
    session.add(
        AuditEvent(actor_kind="system", action="registration_created", subject_type="registration", subject_id=str(registration.id))
    )
    return registration


def contact_address(session: Session, contact_id: int) -> tuple[str | None, str | None]:
    """(channel, address) of a contact, to offer the sender's own number as the callback."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        return None, None
    return contact.channel, contact.address


def status_response(session: Session, contact_id: int) -> str:
    """The response that honestly answers "any news?" without revealing anything.

    The order: a search with a pending match or review, then an open search, then a
    registration, else "no request".
    """
    searches = session.execute(
        select(SearchRequest).where(SearchRequest.contact_id == contact_id, SearchRequest.status != "closed")
    ).scalars().all()
    if searches:
        ids = [s.id for s in searches]
        pending = session.execute(
            select(Match.id).where(
                Match.search_id.in_(ids), Match.status.in_(("review", "awaiting_consent", "confirmed"))
            )
        ).first()
        return "utter_status_pending" if pending else "utter_status_open"
    registration = session.execute(
        select(Registration)
        .where(Registration.contact_id == contact_id, Registration.status != "withdrawn")
        .order_by(Registration.id.desc())
    ).scalars().first()
    if registration is not None:
        if registration.status == "pending_verification":
            return "utter_status_registration_pending"
        return "utter_status_registration"
    return "utter_status_none"


def record_delete_request(session: Session, contact_id: int) -> None:
    """Record that the contact asked for their data to be erased (the erasure itself is issue 6's)."""
    session.add(AuditEvent(actor_kind="system", action="delete_requested", subject_type="contact", subject_id=str(contact_id)))
