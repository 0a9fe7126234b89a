"""Opening a family's standing search, with the limits against enumeration (daily cap, probes, cool-down)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.contacts import escalate
from bot.models import AuditEvent, Contact, SearchRequest
from bot.reunion import audit
from bot.reunion.config import ReunionConfig
from bot.reunion.records import aware
from bot.reunion.texts import render
from matching.store import utcnow
from nlu.text import ascii_digits, normalise_for_matching

log = logging.getLogger(__name__)

#: Two searches whose sought names are at least this similar (0-100) are for "nearly the same person".
NEAR_NAME = 85


@dataclass(frozen=True)
class SearchDetails:
    """What the family told about the person they look for, and about themselves."""

    full_name: str
    father_name: str | None = None
    mother_name: str | None = None
    birth_year: int | None = None
    governorate: str | None = None
    detention_place: str | None = None
    detention_date: str | None = None
    searcher_name: str | None = None
    relationship: str | None = None


@dataclass
class Opened:
    """The outcome of :func:`open_search`: ``status`` is recorded, duplicate, limit or cooldown."""

    status: str
    reply: str
    search: SearchRequest | None = None


def _norm(value: object) -> str:
    return normalise_for_matching(ascii_digits(str(value))) if value not in (None, "") else ""


def _fingerprint(s: SearchDetails | SearchRequest) -> tuple[str, ...]:
    return tuple(_norm(getattr(s, f)) for f in ("full_name", "father_name", "mother_name", "birth_year", "governorate"))


def near_identical(a: SearchDetails | SearchRequest, b: SearchDetails | SearchRequest) -> bool:
    """Nearly the same sought person: the names are close (typos, spelling) whatever the other details."""
    return fuzz.token_sort_ratio(_norm(a.full_name), _norm(b.full_name)) >= NEAR_NAME


def _refusals_today(session: Session, contact_id: int, since: dt.datetime) -> int:
    return int(
        session.execute(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "search_refused",
                AuditEvent.subject_type == "contact",
                AuditEvent.subject_id == str(contact_id),
                AuditEvent.at >= since,
            )
        ).scalar_one()
    )


def cool_down(session: Session, contact: Contact, config: ReunionConfig, why: str) -> None:
    """Refuse the contact's searches for ``cooldown_seconds`` and hand the conversation to a person."""
    contact.cooldown_until = utcnow() + dt.timedelta(seconds=config.cooldown_seconds)
    escalate(session, contact.id, "enumeration")
    audit.record(session, "cooldown", subject_type="contact", subject_id=contact.id, detail={"why": why})
    log.warning("contact %s cooled down for %d s: %s", contact.id, config.cooldown_seconds, why)


def admit(session: Session, contact_id: int, details: SearchDetails, config: ReunionConfig) -> Opened | None:
    """The limits alone: None when a new search may be recorded, else why not (with the reply).

    For callers that store the search themselves (the assistant's submit action).
    """
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise ValueError(f"no contact {contact_id}")
    language = contact.language or "ar"
    now = utcnow()
    if (aware(contact.cooldown_until) or now) > now:
        audit.record(session, "search_refused", subject_type="contact", subject_id=contact_id, detail={"why": "cooldown"})
        return Opened("cooldown", render("search_cooldown", language))
    day_ago = now - dt.timedelta(hours=24)
    mine = session.execute(
        select(SearchRequest).where(SearchRequest.contact_id == contact_id).order_by(SearchRequest.id)
    ).scalars().all()
    fingerprint = _fingerprint(details)
    for earlier in mine:
        if earlier.status == "open" and _fingerprint(earlier) == fingerprint:
            return Opened("duplicate", render("search_duplicate", language, name=earlier.full_name), earlier)
    today = [s for s in mine if (aware(s.created_at) or now) >= day_ago]
    if len(today) >= config.search_limit_per_day:
        refusals = _refusals_today(session, contact_id, day_ago)
        audit.record(session, "search_refused", subject_type="contact", subject_id=contact_id, detail={"why": "daily_limit"})
        if refusals + 1 >= 3:
            cool_down(session, contact, config, "kept searching past the daily limit")
            return Opened("cooldown", render("search_cooldown", language))
        return Opened("limit", render("search_limit", language, limit=config.search_limit_per_day))
    probes = [s for s in today if near_identical(s, details)]
    if len(probes) + 1 >= config.probe_limit:
        audit.record(session, "search_refused", subject_type="contact", subject_id=contact_id, detail={"why": "probing"})
        cool_down(session, contact, config, f"{len(probes) + 1} searches for nearly the same name with different details")
        return Opened("cooldown", render("search_cooldown", language))
    return None


def open_search(session: Session, contact_id: int, details: SearchDetails, config: ReunionConfig) -> Opened:
    """Record a standing search, unless a limit says no; the reply is in the contact's language.

    - the same search again is not a new one (``duplicate``);
    - past ``search_limit_per_day`` in 24 hours the search is refused kindly (``limit``), and
      insisting twice more cools the contact down;
    - ``probe_limit`` searches for nearly the same name with different details (someone trying
      mothers' names or years until one matches) cool the contact down (``cooldown``);
    - while cooled down, nothing is recorded and an operator has the conversation.
    The match worker matches a recorded search within seconds (its ``matched_at`` is empty).
    """
    refused = admit(session, contact_id, details, config)
    if refused is not None:
        return refused
    contact = session.get(Contact, contact_id)
    assert contact is not None
    language = contact.language or "ar"
    now = utcnow()
    search = SearchRequest(
        contact_id=contact_id,
        status="open",
        full_name=details.full_name.strip(),
        father_name=details.father_name,
        mother_name=details.mother_name,
        birth_year=details.birth_year,
        governorate=details.governorate,
        detention_place=details.detention_place,
        detention_date=details.detention_date,
        searcher_name=details.searcher_name,
        relationship=details.relationship,
        consent_at=now,
    )
    session.add(search)
    session.flush()
    audit.record(session, "search_opened", subject_type="search", subject_id=search.id)
    return Opened("recorded", render("search_recorded", language, name=search.full_name), search)
