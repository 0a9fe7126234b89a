"""Four eyes: confirming a match, verifying a callback by hand and exporting the audit log need two accounts.

The first operator's press records a request (an audit event ``approval_requested``); a different
account's press on the same thing carries it out and records ``approval_granted`` naming both. The
audit trail is the state: a request is pending until granted or until it is a day old.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import AuditEvent
from console import audit
from matching.store import utcnow

#: What needs a second person: a match confirmation, a callback verified by hand, an audit export.
KINDS = ("confirm_match", "verify_callback", "export_audit")
#: How long a request waits for its second person.
REQUEST_TTL = dt.timedelta(hours=24)


class SamePerson(Exception):
    """The account that asked cannot also approve."""


def pending(db: Session, kind: str, subject: str) -> AuditEvent | None:
    """The open request for ``kind`` on ``subject`` (newest), or None."""
    since = utcnow() - REQUEST_TTL
    requests = db.execute(
        select(AuditEvent).where(AuditEvent.action == "approval_requested", AuditEvent.subject_type == kind,
                                 AuditEvent.subject_id == subject, AuditEvent.at >= since)
        .order_by(AuditEvent.id.desc())
    ).scalars().all()
    if not requests:
        return None
    done = db.execute(
        select(AuditEvent.detail).where(AuditEvent.action.in_(("approval_granted", "approval_used")),
                                        AuditEvent.subject_type == kind, AuditEvent.subject_id == subject)
    ).scalars().all()
    used = {int((d or {}).get("request_id", 0)) for d in done}
    for request in requests:
        if int(request.id) not in used:
            return request
    return None


def request_or_approve(db: Session, kind: str, subject: object, operator_id: int) -> AuditEvent | None:
    """The first press records a request and returns None; a different account's press returns the
    request it approves (the caller then acts, in the same transaction). Raises :class:`SamePerson`
    when the requester presses again."""
    key = str(subject)
    request = pending(db, kind, key)
    if request is None:
        audit.record(db, "approval_requested", operator_id=operator_id, subject_type=kind, subject_id=key)
        return None
    if int(request.operator_id or 0) == operator_id:
        raise SamePerson(kind)
    audit.record(db, "approval_granted", operator_id=operator_id, subject_type=kind, subject_id=key,
                 detail={"request_id": int(request.id), "requested_by": int(request.operator_id or 0)})
    return request


def granted_to(db: Session, kind: str, subject: str, operator_id: int) -> AuditEvent | None:
    """An approval granted (by someone else) on this operator's own request, not used yet, within the TTL."""
    since = utcnow() - REQUEST_TTL
    grants = db.execute(
        select(AuditEvent).where(AuditEvent.action == "approval_granted", AuditEvent.subject_type == kind,
                                 AuditEvent.subject_id == subject, AuditEvent.at >= since)
        .order_by(AuditEvent.id.desc())
    ).scalars().all()
    used = {int((d or {}).get("grant_id", 0)) for d in db.execute(
        select(AuditEvent.detail).where(AuditEvent.action == "approval_used", AuditEvent.subject_type == kind)
    ).scalars().all()}
    for grant in grants:
        if int((grant.detail or {}).get("requested_by", 0)) == operator_id and int(grant.id) not in used:
            return grant
    return None


def use(db: Session, kind: str, subject: str, grant: AuditEvent, operator_id: int) -> None:
    """Spend a grant (an export happens once per approval)."""
    audit.record(db, "approval_used", operator_id=operator_id, subject_type=kind, subject_id=subject,
                 detail={"grant_id": int(grant.id), "request_id": int((grant.detail or {}).get("request_id", 0))})
