"""Operators' decisions (called by the console): confirm or reject a match, verify a callback by hand."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.models import Match, Operator, Registration
from bot.reunion import audit
from matching.store import utcnow


class ReviewError(ValueError):
    """A decision that cannot be applied (unknown match, already decided…); ``reason`` is for logs and the console."""


def _operator(session: Session, operator_id: int) -> Operator:
    operator = session.get(Operator, operator_id)
    if operator is None or not operator.active:
        raise ReviewError(f"operator {operator_id} does not exist or is not active")
    return operator


def _pending(session: Session, match_id: int) -> Match:
    match = session.get(Match, match_id)
    if match is None:
        raise ReviewError(f"match {match_id} does not exist")
    if match.status != "review":
        raise ReviewError(f"match {match_id} is {match.status}; only matches in review can be decided")
    return match


def confirm(session: Session, match_id: int, operator_id: int, note: str | None = None) -> Match:
    """The operator says it is the same person: the flow continues (the released person is asked, or
    the family told what a public list allows) once the match worker runs, within seconds.

    A callback number is never released to the family on an operator's confirmation (DESIGN.md, Safety).
    """
    _operator(session, operator_id)
    match = _pending(session, match_id)
    match.status = "confirmed"
    match.decided_by = operator_id
    match.note = note
    match.updated_at = utcnow()
    audit.record(session, "match_confirmed", subject_type="match", subject_id=match.id, operator_id=operator_id,
                 detail={"note": bool(note)})
    return match


def reject(session: Session, match_id: int, operator_id: int, note: str | None = None) -> Match:
    """The operator says it is not the same person: nothing is ever sent about this pair."""
    _operator(session, operator_id)
    match = _pending(session, match_id)
    match.status = "rejected"
    match.decided_by = operator_id
    match.note = note
    match.updated_at = utcnow()
    audit.record(session, "match_rejected", subject_type="match", subject_id=match.id, operator_id=operator_id,
                 detail={"note": bool(note)})
    return match


def verify_by_hand(session: Session, registration_id: int, operator_id: int) -> Registration:
    """The operator confirmed the callback number another way (a call, in person): the registration
    becomes active, as if the code had come back.
    """
    from bot.reunion.verification import activate

    _operator(session, operator_id)
    registration = session.get(Registration, registration_id)
    if registration is None:
        raise ReviewError(f"registration {registration_id} does not exist")
    if registration.status == "withdrawn":
        raise ReviewError(f"registration {registration_id} was withdrawn")
    activate(session, registration, operator_id=operator_id)
    return registration
