"""Match rows: one per (search, registration) or (search, registry row), created idempotently."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.models import Match
from bot.reunion.audit import record
from matching.engine import Candidate, MatchResult
from matching.store import RegistryRow, RegistrySource, utcnow

log = logging.getLogger(__name__)

REGISTRATION = "registration"
REGISTRY = "registry"


@dataclass(frozen=True)
class Target:
    """What a search matched: an active registration or a registry row, by primary key."""

    kind: str  # registration | registry
    id: int


def group_of(result: MatchResult) -> list[Candidate]:
    """The candidates the decision is about: the best one and those the matcher took for the same
    person (a registration and a list row describing one person), i.e. every candidate ranked above
    the rival. Empty for ``no_match``.
    """
    if result.decision == "no_match" or not result.candidates:
        return []
    rival = result.reasons.get("rival")
    group = []
    for candidate in result.candidates:
        if rival is not None and candidate.record_id == rival:
            break
        group.append(candidate)
    return group


def has_details(search: object) -> bool:
    """Whether a search carried more than the sought name: a father's or mother's name, or a birth year."""
    return any(getattr(search, f, None) not in (None, "") for f in ("father_name", "mother_name", "birth_year"))


def source_allows_confirmation(session: Session, registry_row_id: int) -> bool:
    """Whether the list a registry row came from may be confirmed to a family."""
    allowed = session.execute(
        select(RegistrySource.allow_public_confirmation)
        .join(RegistryRow, RegistryRow.source == RegistrySource.name)
        .where(RegistryRow.id == registry_row_id)
    ).scalar_one_or_none()
    return bool(allowed)


def initial_status(session: Session, target: Target, decision: str) -> str:
    """``confirmed`` when the flow may go on by itself, else ``review`` (an operator decides).

    A registry row from a list whose source does not allow confirmation always needs an operator.
    """
    if decision != "match":
        return "review"
    if target.kind == REGISTRY and not source_allows_confirmation(session, target.id):
        return "review"
    return "confirmed"


def _insert_ignore(session: Session, values: dict[str, Any], conflict: list[str]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on either database; True when this call inserted the row."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = session.execute(insert(Match).values(**values).on_conflict_do_nothing(index_elements=conflict))
    return result.rowcount == 1


def upsert_match(session: Session, search_id: int, target: Target, candidate: Candidate, decision: str) -> tuple[Match, bool]:
    """The match row for (search, target): created once, whatever the concurrency; returns (row, created).

    A row still waiting for review is refreshed with the newest score; when the matcher is now sure
    (``match``) and no operator has decided, it moves on by itself. Rows past review never move back.
    """
    column = Match.registration_id if target.kind == REGISTRATION else Match.registry_record_id
    key = "registration_id" if target.kind == REGISTRATION else "registry_record_id"
    status = initial_status(session, target, decision)
    now = utcnow()
    existing = session.execute(select(Match).where(Match.search_id == search_id, column == target.id)).scalar_one_or_none()
    if existing is None:
        created = _insert_ignore(
            session,
            {
                "search_id": search_id,
                key: target.id,
                "decision": decision,
                "status": status,
                "score": float(candidate.score),
                "explanation": candidate.explanation,
                "created_at": now,
                "updated_at": now,
            },
            ["search_id", key],
        )
        match = session.execute(select(Match).where(Match.search_id == search_id, column == target.id)).scalar_one()
        if created:
            record(session, "match_found", subject_type="match", subject_id=match.id,
                   detail={"search_id": search_id, "target": target.kind, "decision": decision,
                           "status": match.status, "score": round(float(candidate.score), 4)})
        return match, created
    if existing.status == "review" and existing.decided_by is None:
        existing.score = float(candidate.score)
        existing.explanation = candidate.explanation
        if status == "confirmed":
            existing.decision = decision
            existing.status = "confirmed"
            record(session, "match_upgraded", subject_type="match", subject_id=existing.id,
                   detail={"decision": decision, "score": round(float(candidate.score), 4)})
    return existing, False
