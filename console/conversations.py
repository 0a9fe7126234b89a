"""The operator inbox and takeover: list escalations, read transcripts, claim, assign, reply, hand back, resolve.

Each write is one transaction that also writes its audit event. Replies go through the gateway's
outbox (``bot.gateway.outbox.queue_message``), so they are sent, retried and tracked like the bot's.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.contacts import hand_back
from bot.gateway.context import GatewayConfig
from bot.gateway.outbox import queue_message, window_open
from bot.models import AuditEvent, Contact, Escalation, Message, Operator
from console import audit
from matching.store import utcnow

#: Longest operator reply accepted (characters); WhatsApp allows 4096, two SMS segments are far less.
MAX_REPLY = 1600
#: How an operator closes a case (the audit keeps the code, never free text).
OUTCOMES = ("answered", "referred", "no_reply", "abusive", "duplicate")
#: Messages shown in one transcript page.
TRANSCRIPT_LIMIT = 300


class ConversationError(Exception):
    """An action that cannot be done now; ``key`` names the message shown to the operator."""

    def __init__(self, key: str, status: int = 409) -> None:
        super().__init__(key)
        self.key = key
        self.status = status


@dataclass(frozen=True)
class InboxRow:
    """One open escalation as the inbox shows it."""

    escalation_id: int
    contact_id: int
    channel: str
    address: str
    language: str
    reason: str
    provider: str | None
    status: str
    waiting_minutes: int
    operator: str | None
    operator_id: int | None
    last_text: str | None
    unanswered: int


def inbox(db: Session) -> list[InboxRow]:
    """Open and claimed escalations, longest waiting first."""
    now = utcnow()
    rows = db.execute(
        select(Escalation, Contact, Operator)
        .join(Contact, Contact.id == Escalation.contact_id)
        .outerjoin(Operator, Operator.id == Escalation.operator_id)
        .where(Escalation.status != "resolved")
        .order_by(Escalation.created_at, Escalation.id)
    ).all()
    out = []
    for esc, contact, op in rows:
        last_in = db.execute(
            select(Message.body)
            .where(Message.contact_id == contact.id, Message.direction == "in")
            .order_by(Message.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        last_out_id = db.execute(
            select(func.max(Message.id)).where(Message.contact_id == contact.id, Message.author == "operator")
        ).scalar_one_or_none()
        unanswered = db.execute(
            select(func.count(Message.id)).where(
                Message.contact_id == contact.id,
                Message.direction == "in",
                Message.id > (last_out_id or 0),
                Message.created_at >= esc.created_at,
            )
        ).scalar_one()
        created = esc.created_at if esc.created_at.tzinfo else esc.created_at.replace(tzinfo=now.tzinfo)
        out.append(
            InboxRow(
                escalation_id=int(esc.id),
                contact_id=int(contact.id),
                channel=contact.channel,
                provider=contact.provider,
                address=contact.address,
                language=contact.language,
                reason=esc.reason,
                status=esc.status,
                waiting_minutes=max(0, int((now - created).total_seconds() // 60)),
                operator=(op.display_name or op.username) if op else None,
                operator_id=int(op.id) if op else None,
                last_text=(last_in or "")[:120] or None,
                unanswered=int(unanswered),
            )
        )
    return out


def open_escalation(db: Session, contact_id: int) -> Escalation | None:
    """The contact's escalation that is not resolved, if any."""
    return db.execute(
        select(Escalation).where(Escalation.contact_id == contact_id, Escalation.status != "resolved").limit(1)
    ).scalar_one_or_none()


def contact_or_none(db: Session, contact_id: int) -> Contact | None:
    """A contact that exists and was not erased."""
    contact = db.get(Contact, contact_id)
    if contact is None or contact.erased_at is not None:
        return None
    return contact


def transcript(db: Session, contact_id: int, after_id: int = 0) -> list[tuple[Message, str | None]]:
    """The conversation, oldest first (the latest :data:`TRANSCRIPT_LIMIT`), with operator names."""
    rows = db.execute(
        select(Message, Operator)
        .outerjoin(Operator, Operator.id == Message.operator_id)
        .where(Message.contact_id == contact_id, Message.id > after_id)
        .order_by(Message.id.desc())
        .limit(TRANSCRIPT_LIMIT)
    ).all()
    return [(m, (op.display_name or op.username) if op else None) for m, op in reversed(rows)]


def whatsapp_window(gateway: Any, contact: Contact) -> bool:
    """Whether free text may be sent now (always true off WhatsApp)."""
    # Without a gateway (a console on its own) the window rule still holds, with its default length.
    holder: Any = gateway or SimpleNamespace(config=GatewayConfig())
    return window_open(holder, contact)


def claim(db: Session, contact_id: int, operator_id: int) -> Escalation:
    """Take a conversation: it becomes this operator's. A conversation someone else holds is refused."""
    esc = open_escalation(db, contact_id)
    if esc is None:
        raise ConversationError("err_not_escalated")
    if esc.operator_id is None:
        # One conditional UPDATE, so two operators pressing at the same moment cannot both win.
        taken = db.execute(
            update(Escalation)
            .where(Escalation.id == esc.id, Escalation.operator_id.is_(None))
            .values(operator_id=operator_id, status="claimed", claimed_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        db.refresh(esc)
        if taken:
            audit.record(db, "claim", operator_id=operator_id, subject_type="contact", subject_id=contact_id,
                         detail={"escalation_id": int(esc.id)})
    if esc.operator_id is None or int(esc.operator_id) != operator_id:
        raise ConversationError("err_claimed_by_other")
    return esc


def assign(db: Session, contact_id: int, to_operator_id: int, by_operator_id: int) -> Escalation:
    """Give a conversation to a named, active operator (an admin's shift-lead action)."""
    esc = open_escalation(db, contact_id)
    if esc is None:
        raise ConversationError("err_not_escalated")
    target = db.get(Operator, to_operator_id)
    if target is None or not target.active:
        raise ConversationError("err_no_such_operator", status=400)
    previous = esc.operator_id
    esc.operator_id = to_operator_id
    esc.status = "claimed"
    esc.claimed_at = esc.claimed_at or utcnow()
    audit.record(db, "assign", operator_id=by_operator_id, subject_type="contact", subject_id=contact_id,
                 detail={"escalation_id": int(esc.id), "to": to_operator_id, "from": previous})
    return esc


def _held_by(db: Session, contact_id: int, operator_id: int) -> Escalation:
    esc = open_escalation(db, contact_id)
    if esc is None:
        raise ConversationError("err_not_escalated")
    if esc.operator_id is None or int(esc.operator_id) != operator_id:
        raise ConversationError("err_claim_first")
    return esc


def _queued(result: Message | list[Message]) -> list[Message]:
    """The outbox returns the queued rows (a long body becomes several messages)."""
    return list(result) if isinstance(result, list) else [result]


def reply(db: Session, contact_id: int, operator_id: int, body: str) -> Message:
    """Queue the operator's message in the outbox. Only the operator holding the conversation may reply."""
    text = (body or "").strip()
    if not text:
        raise ConversationError("err_empty_reply", status=400)
    if len(text) > MAX_REPLY:
        raise ConversationError("err_reply_too_long", status=400)
    contact = contact_or_none(db, contact_id)
    if contact is None:
        raise ConversationError("err_not_found", status=404)
    if contact.opted_out:
        raise ConversationError("err_opted_out")
    _held_by(db, contact_id, operator_id)
    messages = _queued(queue_message(db, contact_id, text, kind="operator", author="operator", operator_id=operator_id))
    audit.record(db, "reply", operator_id=operator_id, subject_type="contact", subject_id=contact_id,
                 detail={"message_ids": [int(m.id) for m in messages], "chars": len(text)})
    return messages[0]


def send_template(db: Session, contact_id: int, operator_id: int, template_sid: str) -> Message:
    """Queue the approved WhatsApp template that invites the user to write again (closed window)."""
    if not template_sid:
        raise ConversationError("err_no_template", status=400)
    contact = contact_or_none(db, contact_id)
    if contact is None:
        raise ConversationError("err_not_found", status=404)
    if contact.opted_out:
        raise ConversationError("err_opted_out")
    _held_by(db, contact_id, operator_id)
    message = _queued(queue_message(db, contact_id, "", kind="template", author="operator", operator_id=operator_id,
                                     template_sid=template_sid))[0]
    audit.record(db, "send_template", operator_id=operator_id, subject_type="contact", subject_id=contact_id,
                 detail={"message_id": int(message.id)})
    return message


def _respect_claim(db: Session, contact_id: int, operator_id: int, overrides: bool, action: str) -> None:
    """Only the holder closes or hands back a claimed conversation. A supervisor or admin may override;
    the holder is then told (an audit event addressed to them, shown in their inbox)."""
    esc = open_escalation(db, contact_id)
    if esc is None or esc.operator_id is None or int(esc.operator_id) == operator_id:
        return
    if not overrides:
        raise ConversationError("err_held_by_other")
    audit.record(db, "claim_overridden", operator_id=operator_id, subject_type="operator", subject_id=int(esc.operator_id),
                 detail={"contact_id": contact_id, "action": action})


def override_notices(db: Session, operator_id: int, days: int = 7) -> list[int]:
    """Conversations this operator held that a supervisor or admin closed or handed back (latest first)."""
    import datetime as dt

    since = utcnow() - dt.timedelta(days=days)
    details = db.execute(
        select(AuditEvent.detail).where(AuditEvent.action == "claim_overridden", AuditEvent.subject_type == "operator",
                                        AuditEvent.subject_id == str(operator_id), AuditEvent.at >= since)
        .order_by(AuditEvent.id.desc()).limit(20)
    ).scalars().all()
    return [int((d or {}).get("contact_id", 0)) for d in details]


def give_back(db: Session, contact_id: int, operator_id: int, *, overrides: bool = False) -> None:
    """Hand the conversation back to the bot: its next message goes to Rasa again. Another holder's
    conversation only with ``overrides`` (supervisors and admins), and the holder is told."""
    if open_escalation(db, contact_id) is None and not getattr(db.get(Contact, contact_id), "escalated", False):
        raise ConversationError("err_not_escalated")
    _respect_claim(db, contact_id, operator_id, overrides, "hand_back")
    hand_back(db, contact_id, operator_id=operator_id)


def resolve(db: Session, contact_id: int, operator_id: int, outcome: str, *, overrides: bool = False) -> None:
    """Close the case with an outcome from :data:`OUTCOMES`; the bot answers the contact's next message.

    The outcome is a code, not free text, so the audit trail never holds a name typed in a note.
    Another holder's conversation only with ``overrides``, and the holder is told.
    """
    if outcome not in OUTCOMES:
        raise ConversationError("err_bad_outcome", status=400)
    if open_escalation(db, contact_id) is None:
        raise ConversationError("err_not_escalated")
    _respect_claim(db, contact_id, operator_id, overrides, "resolve")
    hand_back(db, contact_id, operator_id=operator_id)
    audit.record(db, "resolve", operator_id=operator_id, subject_type="contact", subject_id=contact_id,
                 detail={"outcome": outcome})
