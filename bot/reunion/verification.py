"""Registrations and the callback check: a code goes to the callback number; it activates when it comes back.

Only a hash of the code is stored. A code is six digits, used once, valid ``code_ttl_seconds``, and
unique among pending registrations, so it may come back from any phone (the volunteer's, the
survivor's own). The hash keeps the code out of sight of anyone reading the table; six digits
cannot resist an offline guess, which is why codes are single-use and expire.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.contacts import (
    AddressError,
    contact_for_number,
    escalate,
    get_or_create_contact,
    normalise_address,
)
from bot.gateway.outbox import queue_message
from bot.models import AuditEvent, Contact, Registration
from bot.reunion import audit, trust
from bot.reunion.config import ReunionConfig
from bot.reunion.texts import render
from matching.store import utcnow

log = logging.getLogger(__name__)

SHARE_POLICIES = ("share_number", "safe_only", "nobody")
_DIGITS = {**{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)}}
_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def code_hash(code: str) -> str:
    """The stored form of a code (SHA-256 under a fixed label)."""
    return hashlib.sha256(f"shaml-callback-code:{code}".encode()).hexdigest()


def find_code(text: str | None) -> str | None:
    """The six-digit code in a message, in any digits ("رمزي ٤٨٣٩٢٠" → "483920"), or None."""
    if not text:
        return None
    found = _CODE.findall(re.sub(r"[\s\-]", "", text.translate(_DIGITS)))
    return found[0] if len(found) == 1 else None


@dataclass
class Registered:
    """The outcome of :func:`register`: the pending registration and the reply for the registrant."""

    registration: Registration
    reply: str
    code_contact_id: int | None


class RegistrationError(ValueError):
    """A registration that cannot be recorded; ``reason`` is for logs, ``key`` names a text for the person."""

    def __init__(self, reason: str, key: str = "code_wrong") -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key


#: "This number" (the one the person writes from), in English, Arabic and Arabizi.
_SAME_NUMBER = frozenset({"same", "this", "نفس الرقم", "هذا الرقم", "رقمي", "nafs el ra2am", "nafs al ra2am", "ra2mi", "ra2me",
                          "hayda el ra2am", "hada el ra2am", "hayda ra2mi"})


def _callback(contact: Contact, raw: str | None) -> str:
    text = (raw or "").strip()
    if not text or text.casefold() in _SAME_NUMBER:
        if contact.channel == "telegram":  # a chat id is not a phone number: only the one Telegram verified
            if contact.verified_phone:
                return str(contact.verified_phone)
            raise AddressError("a Telegram chat has no phone number of its own; share the contact or type a number")
        return contact.address
    try:
        return normalise_address(text)
    except AddressError:
        if contact.channel == "sim" and re.fullmatch(r"[\w+\-]{1,32}", text):
            return text
        raise


def _new_code(session: Session) -> str:
    while True:
        code = f"{secrets.randbelow(1_000_000):06d}"
        clash = session.execute(
            select(Registration.id).where(
                Registration.status == "pending_verification", Registration.verification_code_hash == code_hash(code)
            )
        ).first()
        if clash is None:
            return code


def register(
    session: Session,
    contact_id: int,
    *,
    full_name: str,
    father_name: str | None = None,
    mother_name: str | None = None,
    birth_year: int | None = None,
    governorate: str | None = None,
    callback: str | None = None,
    share_policy: str = "nobody",
    config: ReunionConfig | None = None,
) -> Registered:
    """Record a released person's registration (pending) and send a code to the callback number.

    ``callback`` is the number as typed (empty or "same" means the sender's). Raises
    :class:`bot.contacts.AddressError` when it is not a phone number.
    """
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise ValueError(f"no contact {contact_id}")
    if share_policy not in SHARE_POLICIES:
        raise ValueError(f"unknown share policy {share_policy!r}")
    address = _callback(contact, callback)
    registration = Registration(
        contact_id=contact_id,
        status="pending_verification",
        full_name=full_name.strip(),
        father_name=father_name,
        mother_name=mother_name,
        birth_year=birth_year,
        governorate=governorate,
        callback_address=address,
        share_policy=share_policy,
    )
    session.add(registration)
    session.flush()
    audit.record(session, "registration_created", subject_type="registration", subject_id=registration.id)
    if hold(session, registration, contact, config or ReunionConfig()):
        return Registered(registration, render("registration_held", contact.language or "ar"), None)
    if verified_by_telegram(session, registration, contact):
        return Registered(registration, render("verified", contact.language or "ar"), None)
    code_contact = send_code(session, registration, contact)
    reply = render("verification_sent", contact.language or "ar", number=address)
    return Registered(registration, reply, code_contact)


def hold(session: Session, registration: Registration, registrant: Contact, config: ReunionConfig) -> bool:
    """Hold a repeated or unusual registration for an operator (no code is sent); True when held.

    A partner's registration is corroborated here (bot/reunion/trust.py); verification still
    proves only the callback number.
    """
    if registrant.partner:
        trust.corroborate(session, registration, "partner")
    reason = trust.hold_reason(session, registration, config)
    if reason is None:
        return False
    registration.status = "held"
    registration.hold_reason = reason
    escalate(session, registrant.id, "registration_held")
    audit.record(session, "registration_held", subject_type="registration", subject_id=registration.id, detail={"why": reason})
    log.warning("registration %s held for an operator: %s", registration.id, reason)
    return True


def verified_by_telegram(session: Session, registration: Registration, registrant: Contact) -> bool:
    """Activate without a code when the callback number is the one Telegram verified for the
    registrant's own account (they shared their own contact). This proves only that the number is
    theirs and reachable, nothing about who they are."""
    if registrant.channel != "telegram" or not registrant.verified_phone:
        return False
    if registration.callback_address != registrant.verified_phone:
        return False
    activate(session, registration, by="telegram_contact")
    return True


def send_code(session: Session, registration: Registration, registrant: Contact) -> int | None:
    """Issue a fresh code for ``registration`` and queue it to the callback number; returns that contact's id.

    The code goes on the registrant's own channel when the callback is the sender; another phone
    gets it by SMS (or on the simulator when the registrant uses the simulator).
    """
    code = _new_code(session)
    registration.verification_code_hash = code_hash(code)
    registration.verification_sent_at = utcnow()
    if registration.callback_address == registrant.address:
        target = registrant
    elif registrant.channel == "sim":
        target = get_or_create_contact(session, "sim", registration.callback_address)
    else:
        target = contact_for_number(session, registration.callback_address)
    if target.opted_out or target.erased_at is not None:
        escalate(session, registrant.id, "delivery_failed")
        return None
    queue_message(session, target.id, render("verification_code", registrant.language or "ar", code=code),
                  kind="verification", author="bot")
    return target.id


def send_missing_codes(session: Session, config: ReunionConfig | None = None) -> list[int]:
    """Send a code for each pending registration stored without one (e.g. by the assistant's own
    action); returns the contacts written to. A callback that is not a phone number goes to a person.
    """
    pending = session.execute(
        select(Registration).where(
            Registration.status == "pending_verification", Registration.verification_sent_at.is_(None)
        ).order_by(Registration.id)
    ).scalars().all()
    woken = []
    for registration in pending:
        registrant = session.get(Contact, registration.contact_id)
        if registrant is None:
            continue
        try:
            registration.callback_address = _callback(registrant, registration.callback_address)
        except AddressError as exc:
            registration.verification_sent_at = utcnow()
            escalate(session, registrant.id, "delivery_failed")
            log.warning("registration %s: callback is not a phone number (%s); escalated", registration.id, exc)
            continue
        if hold(session, registration, registrant, config or ReunionConfig()):
            registration.verification_sent_at = utcnow()
            queue_message(session, registrant.id, render("registration_held", registrant.language or "ar"),
                          kind="notice", author="bot")
            woken.append(registrant.id)
            continue
        if verified_by_telegram(session, registration, registrant):
            queue_message(session, registrant.id, render("verified", registrant.language or "ar"), kind="notice", author="bot")
            woken.append(registrant.id)
            continue
        target = send_code(session, registration, registrant)
        if target is not None:
            woken.append(target)
    return woken


@dataclass
class Redeemed:
    """The outcome of :func:`redeem`: ``status`` is verified, wrong, locked or not_a_code."""

    status: str
    reply: str | None
    registration: Registration | None = None
    woken: tuple[int, ...] = ()


def redeem(session: Session, contact_id: int, text: str, config: ReunionConfig) -> Redeemed:
    """A message that may carry a code, from any phone: activate the registration it belongs to.

    A wrong code counts against the sender's own pending registration; too many wrong codes hand
    the conversation to an operator (who can verify by hand).
    """
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise ValueError(f"no contact {contact_id}")
    language = contact.language or "ar"
    code = find_code(text)
    if code is None:
        return Redeemed("not_a_code", None)
    if _guesses(session, contact_id) >= config.code_guesses_per_hour:
        # Whatever this phone registered, or not: past the hourly limit no code from it is checked.
        audit.record(session, "code_refused", subject_type="contact", subject_id=contact_id)
        escalate(session, contact_id, "failed_turns")
        return Redeemed("locked", render("code_locked", language))
    since = utcnow() - dt.timedelta(seconds=config.code_ttl_seconds)
    registration = session.execute(
        select(Registration).where(
            Registration.status == "pending_verification",
            Registration.verification_code_hash == code_hash(code),
            Registration.verification_sent_at >= since,
        )
    ).scalar_one_or_none()
    if registration is None:
        own = session.execute(
            select(Registration)
            .where(Registration.contact_id == contact_id, Registration.status == "pending_verification")
            .order_by(Registration.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        audit.record(session, "code_wrong", subject_type="contact", subject_id=contact_id)
        if own is not None:
            own.verification_attempts = (own.verification_attempts or 0) + 1
            if own.verification_attempts >= config.code_max_attempts:
                escalate(session, contact_id, "failed_turns")
                return Redeemed("locked", render("code_locked", language), own)
        return Redeemed("wrong", render("code_wrong", language), own)
    activate(session, registration)
    registrant = session.get(Contact, registration.contact_id)
    woken: tuple[int, ...] = ()
    if registrant is not None and registrant.id != contact_id:
        # The code came back from another phone: tell the registrant too.
        queue_message(session, registrant.id, render("verified", registrant.language or "ar"), kind="notice", author="bot")
        woken = (registrant.id,)
        return Redeemed("verified", render("verified_elsewhere", language), registration, woken)
    return Redeemed("verified", render("verified", language), registration, woken)


def _guesses(session: Session, contact_id: int) -> int:
    """Wrong codes the contact sent in the last hour (audit ``code_wrong``)."""
    since = utcnow() - dt.timedelta(hours=1)
    return int(session.execute(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "code_wrong", AuditEvent.subject_type == "contact",
            AuditEvent.subject_id == str(contact_id), AuditEvent.at >= since,
        )
    ).scalar_one())


def activate(session: Session, registration: Registration, *, operator_id: int | None = None, by: str | None = None) -> None:
    """Make the registration active (the match worker picks it up within seconds); the code is spent."""
    if registration.status == "active":
        return
    now = utcnow()
    registration.status = "active"
    registration.callback_verified_at = now
    registration.verification_code_hash = None
    registration.verified_by = operator_id
    registration.updated_at = now
    audit.record(session, "registration_verified", subject_type="registration", subject_id=registration.id,
                 operator_id=operator_id, detail={"by": by or ("operator" if operator_id else "code")})
