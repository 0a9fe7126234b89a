"""Least privilege in the console: who may read which conversation and registration, read audits,
and the masking of phone numbers for everyone until an allowed role reveals one (audited).

Roles: ``operator`` sees the conversations waiting in the queue or held by them, and the
registrations behind a match waiting for review; ``supervisor`` and ``admin`` see everything and may
reveal numbers. A conversation or registration an operator may not see answers 404, exactly like
one that does not exist, so ids cannot be probed.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Escalation, Match, Registration
from console import audit

#: Roles that see every conversation and registration and may reveal a number.
SEES_ALL = ("supervisor", "admin")
#: While a transcript polls, its reads are audited once per this many seconds per operator and contact.
POLL_AUDIT_SECONDS = 300

#: A phone number in free text: optional +, then 8 to 15 digits (Latin or Arabic-Indic) with spaces or dashes.
_NUMBER = re.compile(r"\+?[0-9\u0660-\u0669\u06f0-\u06f9](?:[ \-]?[0-9\u0660-\u0669\u06f0-\u06f9]){7,14}")


def sees_all(role: str | None) -> bool:
    """Whether this role reads every conversation and registration (and may reveal numbers)."""
    return role in SEES_ALL


def conversation_visible(db: Session, role: str, operator_id: int, contact_id: int) -> bool:
    """Supervisors and admins: any. An operator: a conversation waiting in the queue (unclaimed) or held by them."""
    if sees_all(role):
        return True
    esc = db.execute(
        select(Escalation).where(Escalation.contact_id == contact_id, Escalation.status != "resolved").limit(1)
    ).scalar_one_or_none()
    return esc is not None and (esc.operator_id is None or int(esc.operator_id) == operator_id)


def registration_visible(db: Session, role: str, registration_id: int) -> bool:
    """Supervisors and admins: any. An operator: only a registration an operator must act on: behind a
    match waiting for review or for an operator's call (vetting), or held for an operator."""
    if sees_all(role):
        return True
    registration = db.get(Registration, registration_id)
    if registration is None:
        return False
    if registration.status == "held":
        return True
    return db.execute(
        select(Match.id).where(Match.registration_id == registration_id, Match.status.in_(("review", "vetting"))).limit(1)
    ).first() is not None


def _hide(digits: str, keep_front: int) -> str:
    shown = digits[:keep_front] + "•" * (len(digits) - keep_front - 2) + digits[-2:]
    first = len(shown) % 3 + 3 if len(shown) % 3 else 3  # groups of three, the first takes the rest
    return " ".join([shown[:first]] + [shown[i:i + 3] for i in range(first, len(shown), 3)])


def mask_number(address: str | None) -> str:
    """``+963912345678`` as ``+963 9•• ••• •78``: country code, first and last two digits; the rest hidden.
    A local number (``0933 445 566``) keeps its first two and last two digits."""
    if not address:
        return "—"
    digits = "".join(str(int(ch)) for ch in address if ch.isdigit())
    if len(digits) < 8:
        return address  # a simulator id or a chat id, not a phone number
    if not address.lstrip().startswith("+"):
        return _hide(digits, 2)
    country = "963" if digits.startswith("963") else digits[:2]
    return "+" + country + " " + _hide(digits[len(country):], 1)


def mask_text(text: str | None) -> str:
    """``text`` with every phone number in it masked (a family's message, a "his number: …" notice)."""
    if not text:
        return text or ""
    return _NUMBER.sub(lambda m: mask_number(m.group(0)), text)


def note_transcript_read(deps: Any, db: Session, operator_id: int, contact_id: int, *, polling: bool) -> None:
    """Audit a transcript read in the caller's transaction. A page load always; a poll once per
    :data:`POLL_AUDIT_SECONDS` per operator and contact (a Redis key), so an open tab leaves a
    trace every few minutes rather than every three seconds."""
    if polling:
        key = f"{deps.redis_prefix}console:read:{operator_id}:{contact_id}"
        if not deps.redis.set(key, "1", nx=True, ex=POLL_AUDIT_SECONDS):
            return
    audit.record(db, "view_conversation", operator_id=operator_id, subject_type="contact", subject_id=contact_id,
                 detail={"poll": True} if polling else None)
