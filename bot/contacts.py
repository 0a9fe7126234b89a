"""Contact state shared by the gateway and the assistant: addresses, opt-out, language, escalation."""

from __future__ import annotations

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.crypto import blind
from bot.models import CHANNELS, AuditEvent, Contact, Escalation
from matching.store import utcnow

#: Numbers written without a country code are read as Syrian.
DEFAULT_REGION = "SY"

#: Why a conversation was handed to a person (Escalation.reason).
ESCALATION_REASONS = (
    "requested",
    "failed_turns",
    "distress",
    "media",
    "review",
    "delivery_failed",
    "enumeration",
    "consent_timeout",
    "registration_held",  # a repeated or unusual registration (bot/reunion/trust.py)
    "corroboration",  # a registrant nobody vouched for yet asked us to tell a family they are safe
    "relay_money",  # a relayed message asked for money (bot/reunion/relay.py)
    "route_unavailable",
)


class AddressError(ValueError):
    """A phone number that cannot be read; ``reason`` is precise English for logs."""


def normalise_address(raw: str, region: str = DEFAULT_REGION) -> str:
    """A phone number in E.164 (``+963912345678``), from any common way of writing it.

    Accepts a ``whatsapp:`` prefix, spaces, dashes, a leading 00, and Arabic-Indic digits.
    Raises :class:`AddressError` when the text is not a valid number.
    """
    text = (raw or "").strip()
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:") :]
    text = text.translate({0x0660 + i: str(i) for i in range(10)} | {0x06F0 + i: str(i) for i in range(10)})
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text or len(text) > 40:
        raise AddressError("empty or overlong phone number")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise AddressError(f"not a phone number ({exc.error_type})") from None
    if not phonenumbers.is_valid_number(number):
        raise AddressError("not a valid phone number for its country")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def address_hash(address: str) -> str:
    """A stable keyed hash of an address for logs, Redis keys and the audit trail (never the number itself).

    HMAC-SHA256 under the blind-index key: without that key nobody can test the ~10^8 Syrian
    numbers against it, as anyone could against an unkeyed hash.
    """
    return blind("address-hash", address)


def get_or_create_contact(session: Session, channel: str, address: str) -> Contact:
    """The contact for (channel, E.164 address), created on first sight. ``address`` must be E.164.

    The ``sim`` channel accepts any short id instead of a phone number. The address is sealed in
    the database; the look-up goes through its blind index (``Contact.address == x`` does that).
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    contact = session.execute(
        select(Contact).where(Contact.channel == channel, Contact.address == address)
    ).scalar_one_or_none()
    if contact is None:
        contact = Contact(channel=channel, address=address, language="ar")
        session.add(contact)
        session.flush()
    return contact


def contact_for_number(session: Session, number: str) -> Contact:
    """Where to write to a phone number Shaml starts a conversation with: the person's own channel when
    known (they texted us, or their Telegram account verified this number), else a bare SMS contact
    that follows the route table (bot.gateway.routes)."""
    sms = session.execute(select(Contact).where(Contact.channel == "sms", Contact.address == number)).scalar_one_or_none()
    if sms is not None and sms.provider:
        return sms
    telegram = session.execute(
        select(Contact).where(Contact.channel == "telegram", Contact.verified_phone == number, Contact.erased_at.is_(None))
        .order_by(Contact.last_inbound_at.desc().nullslast()).limit(1)
    ).scalar_one_or_none()
    if telegram is not None and not telegram.opted_out:
        return telegram
    return sms if sms is not None else get_or_create_contact(session, "sms", number)


def set_language(session: Session, contact_id: int, language: str) -> None:
    """Remember the language a contact reads (``ar``, ``en`` or ``az``: Arabic in Latin letters)."""
    if language not in ("ar", "en", "az"):
        raise ValueError(f"unknown language {language!r}")
    contact = session.get(Contact, contact_id)
    if contact is not None:
        contact.language = language


def opt_out(session: Session, contact_id: int, *, actor: str = "system") -> None:
    """STOP: no message is sent to this contact again until it opts back in."""
    contact = session.get(Contact, contact_id)
    if contact is None or contact.opted_out:
        return
    contact.opted_out = True
    contact.opted_out_at = utcnow()
    session.add(AuditEvent(actor_kind=actor, action="opt_out", subject_type="contact", subject_id=str(contact_id)))


def opt_in(session: Session, contact_id: int, *, actor: str = "system") -> None:
    """START: messages resume."""
    contact = session.get(Contact, contact_id)
    if contact is None or not contact.opted_out:
        return
    contact.opted_out = False
    contact.opted_out_at = None
    session.add(AuditEvent(actor_kind=actor, action="opt_in", subject_type="contact", subject_id=str(contact_id)))


def escalate(session: Session, contact_id: int, reason: str, *, match_id: int | None = None) -> Escalation:
    """Hand the conversation to a person: the bot stays silent until an operator hands it back.

    An already open escalation is reused, so repeated triggers make one inbox entry.
    """
    if reason not in ESCALATION_REASONS:
        raise ValueError(f"unknown escalation reason {reason!r}")
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise ValueError(f"no contact {contact_id}")
    contact.escalated = True
    open_one = session.execute(
        select(Escalation).where(Escalation.contact_id == contact_id, Escalation.status != "resolved")
    ).scalar_one_or_none()
    if open_one is not None:
        return open_one
    escalation = Escalation(contact_id=contact_id, reason=reason, status="open", match_id=match_id)
    session.add(escalation)
    session.flush()
    session.add(
        AuditEvent(
            actor_kind="system",
            action="escalate",
            subject_type="contact",
            subject_id=str(contact_id),
            detail={"reason": reason, "escalation_id": escalation.id},
        )
    )
    return escalation


def hand_back(session: Session, contact_id: int, *, operator_id: int | None = None) -> None:
    """An operator returns the conversation to the bot and resolves its open escalation."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        return
    contact.escalated = False
    now = utcnow()
    for escalation in session.execute(
        select(Escalation).where(Escalation.contact_id == contact_id, Escalation.status != "resolved")
    ).scalars():
        escalation.status = "resolved"
        escalation.resolved_at = now
    session.add(
        AuditEvent(
            actor_kind="operator" if operator_id else "system",
            operator_id=operator_id,
            action="hand_back",
            subject_type="contact",
            subject_id=str(contact_id),
        )
    )
