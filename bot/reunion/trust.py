"""Corroborated identity: who vouched that a registrant is the person, and which registrations wait for a person.

A verified callback number proves only that someone holds that phone (bot/reunion/verification.py).
Matching a released list proves that the person was released, not that the registrant is them:
an impostor copies a listed person's details. So a registration carries a separate state,
``corroboration``, set by one of:

- ``partner``: an association's or shelter's phone (``Contact.partner``) made the registration;
- ``operators``: two distinct operators spoke with the person (a call or a video call) and said so
  in the console (:func:`vet`);
- ``family``: in a relayed conversation the family said "it is him" (bot/reunion/relay.py).

Until then the registrant is told nothing that names a searcher, and no number is exchanged.
Registrations past the caps (per contact, per callback number) or describing a person another
phone already registered are ``held``: no code is sent and an operator decides.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import Contact, Match, Registration, RegistrationVetting
from bot.reunion import audit
from bot.reunion.config import ReunionConfig
from matching.store import utcnow
from nlu.text import normalise_for_matching

log = logging.getLogger(__name__)

#: The ways a registration can be corroborated.
CORROBORATIONS = ("partner", "operators", "family")
#: Distinct operators who must have spoken with the person.
OPERATORS_NEEDED = 2
#: Registration states that count against the caps.
LIVE = ("pending_verification", "held", "active")


class TrustError(ValueError):
    """A vetting that cannot be recorded; ``reason`` is precise English for logs and the console."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_corroborated(registration: Registration | None) -> bool:
    """Whether someone trusted vouched that the registrant is the person."""
    return registration is not None and registration.corroboration in CORROBORATIONS


def corroborate(session: Session, registration: Registration, how: str, *, operator_id: int | None = None) -> None:
    """Record that the registrant is the person (``how`` is one of :data:`CORROBORATIONS`); idempotent."""
    if how not in CORROBORATIONS:
        raise ValueError(f"unknown corroboration {how!r}")
    if registration.corroboration is not None:
        return
    registration.corroboration = how
    registration.corroborated_at = utcnow()
    # A match waiting for an operator's call goes back to the consent flow: he is asked by name now.
    for match in session.execute(
        select(Match).where(Match.registration_id == registration.id, Match.status == "vetting")
    ).scalars():
        match.status = "confirmed"
        match.consent_requested_at = None
        match.reminded_at = None
        match.notified_at = None
    audit.record(session, "registration_corroborated", subject_type="registration", subject_id=registration.id,
                 operator_id=operator_id, detail={"how": how})


def vet(session: Session, registration_id: int, operator_id: int, how: str = "call") -> int:
    """One operator says they spoke with the registrant; returns how many distinct operators did.

    The second distinct operator corroborates the registration. The same operator twice counts once.
    """
    if how not in ("call", "video"):
        raise TrustError(f"unknown way of speaking with the person {how!r}")
    registration = session.get(Registration, registration_id)
    if registration is None:
        raise TrustError(f"no registration {registration_id}")
    done = session.execute(
        select(RegistrationVetting.id).where(
            RegistrationVetting.registration_id == registration_id, RegistrationVetting.operator_id == operator_id
        )
    ).first()
    if done is None:
        session.add(RegistrationVetting(registration_id=registration_id, operator_id=operator_id, how=how, at=utcnow()))
        session.flush()
        audit.record(session, "registration_vetted", subject_type="registration", subject_id=registration_id,
                     operator_id=operator_id, detail={"how": how})
    count = vetters(session, registration_id)
    if count >= OPERATORS_NEEDED:
        corroborate(session, registration, "operators", operator_id=operator_id)
    return count


def vetters(session: Session, registration_id: int) -> int:
    """How many distinct operators said they spoke with the registrant."""
    return int(session.execute(
        select(func.count(func.distinct(RegistrationVetting.operator_id))).where(RegistrationVetting.registration_id == registration_id)
    ).scalar_one())


def _key(value: object) -> str:
    return normalise_for_matching(str(value)) if value not in (None, "") else ""


def hold_reason(session: Session, registration: Registration, config: ReunionConfig) -> str | None:
    """Why ``registration`` must wait for an operator before any code is sent, or None.

    - the contact already holds ``registrations_per_contact`` registrations;
    - the callback number is already named by ``registrations_per_callback`` registrations;
    - another phone already registered the same person (name, father, birth year).
    A partner's phone is exempt from the first cap (a shelter registers many people).
    """
    contact = session.get(Contact, registration.contact_id)
    others = select(Registration).where(Registration.id != registration.id, Registration.status.in_(LIVE))
    mine = session.execute(
        select(func.count(Registration.id)).where(
            Registration.id != registration.id, Registration.status.in_(LIVE), Registration.contact_id == registration.contact_id
        )
    ).scalar_one()
    if (contact is None or not contact.partner) and mine >= config.registrations_per_contact:
        return "too_many_for_contact"
    # Callback numbers and names are sealed (docs/privacy.md): they are compared here, not in SQL.
    live = session.execute(others).scalars().all()
    same_callback = sum(1 for other in live if other.callback_address == registration.callback_address)
    if same_callback >= config.registrations_per_callback:
        return "too_many_for_callback"
    name = _key(registration.full_name)
    for other in live:
        if other.contact_id == registration.contact_id:
            continue
        if (_key(other.full_name), _key(other.father_name), other.birth_year) == (name, _key(registration.father_name), registration.birth_year):
            return "same_person_elsewhere"
    return None
