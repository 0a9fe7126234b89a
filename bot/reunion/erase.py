"""``delete_data``: erase a contact's personal data in every table and in the Rasa tracker; keep a hashed trail.

Erasure runs in two steps, so the person still gets the confirmation:

1. :func:`request_erasure` (the ``delete_data`` action, during the Rasa turn) deletes the contact's
   searches, registrations and their matches at once, so nothing more can be matched or disclosed,
   and returns the confirmation that the gateway sends as the turn's reply.
2. :func:`finish_erasure` (the match worker, once that reply has left and no message of the contact
   is in flight) deletes the messages and escalations, erases the Rasa tracker (through Rasa's API,
   and its SQL rows when they share this database), and replaces the address by its hash.

The audit trail keeps ids, hashes and counts, never a name or a number.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import delete, inspect, select, text, update
from sqlalchemy.orm import Session

from bot.contacts import address_hash
from bot.models import (
    AuditEvent,
    Contact,
    Escalation,
    Match,
    Message,
    Registration,
    RelayThread,
    SearchRequest,
)
from bot.reunion import audit
from bot.reunion.records import aware
from bot.reunion.texts import render
from matching.store import utcnow

log = logging.getLogger(__name__)

#: Messages in these states are still being handled; erasure waits for them (up to :data:`MAX_WAIT`).
IN_FLIGHT = ("received", "processing", "queued", "sending")
#: After this long the erasure completes even if a message is stuck.
MAX_WAIT = dt.timedelta(minutes=10)


class TrackerEraser(Protocol):
    """Erases a conversation in Rasa (the sender id is the contact id as a string)."""

    def erase(self, sender_id: str) -> None:
        """Remove the conversation's events; raises on failure so the caller can retry."""
        ...


def _rowcount(result) -> int:  # type: ignore[no-untyped-def]
    return int(result.rowcount or 0)


def _delete(session: Session, stmt) -> int:  # type: ignore[no-untyped-def]
    return _rowcount(session.execute(stmt.execution_options(synchronize_session=False)))


def request_erasure(session: Session, contact_id: int) -> str:
    """Step 1: delete the contact's searches, registrations and matches now; return the confirmation text."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise ValueError(f"no contact {contact_id}")
    language = contact.language or "ar"
    forgotten = forget_numbers(session, contact)
    search_ids = select(SearchRequest.id).where(SearchRequest.contact_id == contact_id)
    registration_ids = select(Registration.id).where(Registration.contact_id == contact_id)
    match_filter = Match.search_id.in_(search_ids) | Match.registration_id.in_(registration_ids)
    match_ids = list(session.execute(select(Match.id).where(match_filter)).scalars())
    if match_ids:
        _delete(session, update(Escalation).where(Escalation.match_id.in_(match_ids)).values(match_id=None))
    counts = {
        "matches": _delete(session, delete(Match).where(match_filter)),
        "search_requests": _delete(session, delete(SearchRequest).where(SearchRequest.contact_id == contact_id)),
        "registrations": _delete(session, delete(Registration).where(Registration.contact_id == contact_id)),
    }
    audit.record(session, "delete_data_requested", subject_type="contact", subject_id=contact_id,
                 detail={"address": address_hash(contact.address), "counts": {**counts, **forgotten}})
    session.expire_all()
    return render("deleted", language)


#: Audit actions that mean "this contact asked for erasure": ours, and the assistant's own action's.
REQUESTED = ("delete_data_requested", "delete_requested")


def pending_erasures(session: Session) -> list[int]:
    """Contacts that asked for erasure whose second step has not run yet."""
    requested = select(AuditEvent.subject_id).where(
        AuditEvent.action.in_(REQUESTED), AuditEvent.subject_type == "contact"
    )
    ids = {int(s) for s in session.execute(requested).scalars() if s and s.isdigit()}
    if not ids:
        return []
    waiting = session.execute(select(Contact.id).where(Contact.id.in_(ids), Contact.erased_at.is_(None))).scalars()
    return sorted(waiting)


def ready_to_finish(session: Session, contact_id: int, now: dt.datetime | None = None) -> bool:
    """Whether no message of the contact is in flight (or the request is older than :data:`MAX_WAIT`)."""
    now = now or utcnow()
    asked = session.execute(
        select(AuditEvent.at).where(
            AuditEvent.action.in_(REQUESTED),
            AuditEvent.subject_type == "contact",
            AuditEvent.subject_id == str(contact_id),
        ).order_by(AuditEvent.at.desc()).limit(1)
    ).scalar_one_or_none()
    if asked is not None and now - (aware(asked) or now) > MAX_WAIT:
        return True
    busy = session.execute(
        select(Message.id).where(Message.contact_id == contact_id, Message.status.in_(IN_FLIGHT)).limit(1)
    ).first()
    return busy is None


@dataclass
class Erased:
    """What :func:`finish_erasure` removed, by table, and the address hash kept in the audit trail."""

    counts: dict[str, int]
    address_hash: str


def finish_erasure(session: Session, contact_id: int) -> Erased:
    """Step 2: delete what is left of the contact (messages, escalations, SQL tracker rows, address).

    Anything it wrote since step 1 goes too. The contact row remains as an erased stub, so the
    audit trail's ids still resolve; the address is replaced by ``erased:<hash>:<id>``, so the same
    phone writing again is a new contact.
    """
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise ValueError(f"no contact {contact_id}")
    hashed = address_hash(contact.address)
    counts: dict[str, int] = {}
    # Searches, registrations and matches: already gone after step 1, unless the request came from
    # the assistant's own action (audit ``delete_requested``) or the contact wrote again in between.
    counts.update(forget_numbers(session, contact))
    counts.update(_requests(session, contact_id))
    _delete(session, update(Message).where(Message.reply_to_id.in_(select(Message.id).where(Message.contact_id == contact_id))).values(reply_to_id=None))
    counts["messages"] = _delete(session, delete(Message).where(Message.contact_id == contact_id))
    counts["escalations"] = _delete(session, delete(Escalation).where(Escalation.contact_id == contact_id))
    counts["rasa_events"] = _erase_sql_tracker(session, str(contact_id))
    contact = session.get(Contact, contact_id)
    assert contact is not None
    contact.address = f"erased:{hashed}:{contact_id}"
    contact.erased_at = utcnow()
    contact.escalated = False
    contact.cooldown_until = None
    audit.record(session, "delete_data", subject_type="contact", subject_id=contact_id,
                 detail={"address": hashed, "counts": counts})
    return Erased(counts, hashed)


MASK = "•••"


def forget_numbers(session: Session, contact: Contact) -> dict[str, int]:
    """Remove the contact's numbers from what others were sent, and the contacts made only to receive its codes.

    - every message of a family matched with one of its registrations, or of a relayed conversation
      it took part in, that carries the contact's own number or one of its callback numbers (a
      family's "his number: …", a survivor's "their number: …") has the number replaced by
      :data:`MASK`;
    - a contact created only to receive a verification code for one of its registrations (it never
      wrote to us and has nothing of its own) is deleted with its messages.
    """
    registrations = session.execute(select(Registration).where(Registration.contact_id == contact.id)).scalars().all()
    numbers = {contact.address} | {r.callback_address for r in registrations if r.callback_address}
    numbers = {n for n in numbers if n and not n.startswith("erased:") and len(n) >= 6}
    scrubbed = 0
    # Bodies are sealed (docs/privacy.md), so SQL cannot search them: the conversations that can hold
    # the person's numbers are read instead, those of the families matched with one of the person's
    # registrations and of every relayed conversation the person took part in.
    registration_ids = [r.id for r in registrations]
    linked: set[int] = set()
    if registration_ids:
        linked |= set(session.execute(
            select(SearchRequest.contact_id).join(Match, Match.search_id == SearchRequest.id)
            .where(Match.registration_id.in_(registration_ids))
        ).scalars())
    for family_id, registrant_id in session.execute(
        select(RelayThread.family_contact_id, RelayThread.registrant_contact_id).where(
            (RelayThread.family_contact_id == contact.id) | (RelayThread.registrant_contact_id == contact.id))
    ):
        linked |= {family_id, registrant_id}
    linked.discard(contact.id)
    if numbers and linked:
        for message in session.execute(select(Message).where(Message.contact_id.in_(sorted(linked)))).scalars():
            body = message.body or ""
            cleaned = body
            for number in sorted(numbers):
                cleaned = cleaned.replace(number, MASK)
            if cleaned != body:
                message.body = cleaned
                scrubbed += 1
    code_contacts = 0
    for number in sorted({r.callback_address for r in registrations} - {contact.address}):
        for other in session.execute(select(Contact).where(Contact.address == number, Contact.id != contact.id)).scalars().all():
            if _only_received_codes(session, other.id):
                _delete(session, delete(Message).where(Message.contact_id == other.id))
                _delete(session, delete(Escalation).where(Escalation.contact_id == other.id))
                session.delete(other)
                code_contacts += 1
    session.flush()
    return {"messages_scrubbed": scrubbed, "code_contacts": code_contacts}


def _only_received_codes(session: Session, contact_id: int) -> bool:
    """Whether the contact never wrote to us, holds nothing, and was sent only verification codes."""
    wrote = session.execute(select(Message.id).where(Message.contact_id == contact_id, Message.direction == "in").limit(1)).first()
    other_kinds = session.execute(
        select(Message.id).where(Message.contact_id == contact_id, Message.direction == "out", Message.kind != "verification").limit(1)
    ).first()
    holds = session.execute(select(SearchRequest.id).where(SearchRequest.contact_id == contact_id).limit(1)).first() or \
        session.execute(select(Registration.id).where(Registration.contact_id == contact_id).limit(1)).first()
    return wrote is None and other_kinds is None and holds is None


def _requests(session: Session, contact_id: int) -> dict[str, int]:
    search_ids = select(SearchRequest.id).where(SearchRequest.contact_id == contact_id)
    registration_ids = select(Registration.id).where(Registration.contact_id == contact_id)
    match_filter = Match.search_id.in_(search_ids) | Match.registration_id.in_(registration_ids)
    match_ids = list(session.execute(select(Match.id).where(match_filter)).scalars())
    if match_ids:
        _delete(session, update(Escalation).where(Escalation.match_id.in_(match_ids)).values(match_id=None))
    return {
        "matches": _delete(session, delete(Match).where(match_filter)),
        "search_requests": _delete(session, delete(SearchRequest).where(SearchRequest.contact_id == contact_id)),
        "registrations": _delete(session, delete(Registration).where(Registration.contact_id == contact_id)),
    }


def _erase_sql_tracker(session: Session, sender_id: str) -> int:
    """Delete Rasa's SQL tracker rows for the sender when Rasa's ``events`` table is in this database."""
    inspector = inspect(session.connection())
    if not inspector.has_table("events"):
        return 0
    if "sender_id" not in {c["name"] for c in inspector.get_columns("events")}:
        return 0
    return _rowcount(session.execute(text("DELETE FROM events WHERE sender_id = :sender"), {"sender": sender_id}))
