"""The audit trail of the workflow: every disclosure and decision, with personal data only as hashes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.contacts import address_hash
from bot.models import AuditEvent, Contact

#: What a disclosure told: a callback number, that the person is safe, or a released-list entry.
DISCLOSURES = ("callback_number", "searcher_number", "safe", "released_list")


def record(
    session: Session,
    action: str,
    *,
    subject_type: str | None = None,
    subject_id: object = None,
    operator_id: int | None = None,
    actor_kind: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event. ``actor_kind`` defaults to operator when an operator acted, else system."""
    event = AuditEvent(
        actor_kind=actor_kind or ("operator" if operator_id else "system"),
        operator_id=operator_id,
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        detail=detail,
    )
    session.add(event)
    return event


def disclosure(
    session: Session,
    *,
    match_id: int,
    what: str,
    to: Contact,
    decided_by: str,
    operator_id: int | None = None,
) -> AuditEvent:
    """Record a disclosure: what was told, to whom (hashed address), on which match, and who decided.

    ``decided_by`` names the decision behind it: ``detainee`` (their consent choice), ``source_policy``
    (a public list), with the matcher's or an operator's confirmation in ``operator_id``.
    """
    if what not in DISCLOSURES:
        raise ValueError(f"unknown disclosure {what!r}")
    return record(
        session,
        "disclose",
        subject_type="match",
        subject_id=match_id,
        operator_id=operator_id,
        actor_kind="system",
        detail={
            "what": what,
            "to_contact": to.id,
            "to_address": address_hash(to.address),
            "decided_by": decided_by,
            "confirmed_by": f"operator:{operator_id}" if operator_id else "matcher",
        },
    )
