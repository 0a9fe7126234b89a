"""Writing the audit trail of operator actions (``AuditEvent``); personal data goes in hashed, never plain."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.crypto import blind
from bot.models import AuditEvent
from bot.reunion import audit as workflow_audit


def digest(text: str) -> str:
    """A stable keyed hash of personal text (a searched name), so the trail shows repeats without the text.

    HMAC under the blind-index key: a list of common names cannot be hashed to find it.
    """
    return blind("audit-text", text.strip().casefold())


def record(
    session: Session,
    action: str,
    *,
    operator_id: int | None,
    subject_type: str | None = None,
    subject_id: object = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event in the caller's transaction (it commits with the action it records)."""
    return workflow_audit.record(
        session,
        action,
        operator_id=operator_id,
        subject_type=subject_type,
        subject_id=subject_id,
        actor_kind="operator" if operator_id is not None else "system",
        detail=detail,
    )
