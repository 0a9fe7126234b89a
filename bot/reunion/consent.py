"""The two-sided consent flow: ask the released person, record the choice, tell the family only that.

Match statuses (``Match.status``) and who moves them:

- ``review``: the matcher was unsure, or a registry row's source forbids confirmation; an operator
  confirms (``confirmed``) or rejects (``rejected``, nothing is ever sent).
- ``confirmed``: the worker asks the released person (``awaiting_consent``), or for a registry row
  tells the family what the public list says (``notified``), or, for a list that may not be
  confirmed, hands the family's conversation to an operator (``operator``).
- ``awaiting_consent``: the released person answers 1, 2 or 3 (``shared``, ``safe_only``,
  ``declined``); no answer brings one reminder, then an operator.
- after an answer the worker sends each side exactly what was allowed and stamps ``notified_at``.
- a registrant nobody has vouched for yet (bot/reunion/trust.py) is asked without the searcher's
  name: 1 leads to ``relay`` (a relayed conversation, bot/reunion/relay.py; when the family
  recognises him the match goes back to ``confirmed`` and he is asked again, by name), 2 to
  ``vetting`` (an operator calls him first; nothing reaches the family), 3 to ``declined``.

A callback number reaches the family only with option 1 *and* when the matcher itself decided
``match``: after an operator confirmed a review-band match, the family's number goes to the released
person instead, and the family is told that it did.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.contacts import escalate
from bot.models import Contact, Match, Registration, SearchRequest
from bot.reunion import audit, relay, trust
from bot.reunion.config import ReunionConfig
from bot.reunion.messaging import reachable, send
from bot.reunion.records import aware
from bot.reunion.texts import NOBODY_NAMED, ROLES_ARABIZI, gathering_point
from matching.store import RegistryRow, RegistrySource, utcnow
from nlu.answers import ROLES, role_label
from nlu.lexicon import RELATIONSHIPS, governorate_label, relationship_label

log = logging.getLogger(__name__)

#: The released person's options and the match status each leads to.
CHOICES = {1: "shared", 2: "safe_only", 3: "declined"}
ANSWERED = frozenset(CHOICES.values())

_DIGITS = {**{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)}}
_WORDS = {
    1: ("نعم", "ايوه", "أيوه", "اي", "أي", "إي", "اكيد", "أكيد", "شارك", "شارك رقمي", "yes", "yeah", "share", "share my number", "naam", "na3am", "aywa", "eh",
        # Arabizi, as the Arabizi question words it ("1 sharek ra2mi")
        "ee", "eeh", "ah", "aiwa", "aywah", "akid", "akeed", "sharek", "share2", "sharek ra2mi", "sharek ra2me", "sharek rakmi"),
    2: ("بخير", "انا بخير", "أنا بخير", "بس بخير", "safe", "i'm safe", "im safe", "only safe", "tell them i'm safe",
        "bkhair", "bkher", "b5er", "b5air", "ana bkhair", "ana bkher", "ana b5er", "ana b5air", "mni7", "mne7", "ana mni7", "ana mne7",
        "2ellon enni bkhair", "2ellon enni bkhair bas", "2ulolon enni bkhair", "bas bkhair", "bas enni bkhair"),
    3: ("لا", "لأ", "لاء", "لا تخبرهم", "لا شي", "no", "nope", "nothing", "tell them nothing", "la", "la2",
        "laa", "la2a", "la2 shukran", "ma t2ellon shi", "ma t2ulolon shi", "wala shi", "la shi", "ma badi", "ma bdi"),
}


#: A number standing alone: Arabizi writes letters with digits ("la2" is no, "ra2mi" my number), and
#: those digits are letters, never a choice.
_NUMBER = re.compile(r"(?<![^\W\d_])\d+(?![^\W\d_])")


def _word_choice(text: str) -> int | None:
    return next((choice for choice, words in _WORDS.items() if text in words), None)


def parse_choice(text: str | None) -> int | None:
    """1, 2 or 3 from the released person's answer: a digit in any script, or a plain word
    (نعم / yes / eh → 1, بخير / safe / bkhair → 2, لا / no / la2 → 3). None when the answer is not one of them.
    """
    if not text:
        return None
    cleaned = re.sub(r"[\s\.\!\?؟،,]+", " ", text.translate(_DIGITS)).strip().casefold()
    if cleaned in ("1", "2", "3"):
        return int(cleaned)
    word = _word_choice(cleaned)
    if word is not None:
        return word
    # Digits in any script. The answer is a digit only when every number in it is that same
    # single digit ("1", "1 !", "1 1"); "1:20" or "1 or 2" is asked again, never read as a choice.
    numbers = set(_NUMBER.findall(cleaned))
    if not numbers:
        return None
    if len(numbers) != 1 or not numbers <= {"1", "2", "3"}:
        return None
    digit = int(numbers.pop())
    # The option's line typed back whole ("1 sharek ra2mi", "2 بخير") is that option; a digit beside
    # another option's words ("1 la2") is asked again.
    rest = _word_choice(_NUMBER.sub(" ", cleaned).strip())
    if rest is not None:
        return digit if rest == digit else None
    return digit if len(cleaned) <= 12 else None


@dataclass
class Parties:
    """The people around a registration match: the family's search and contact, the registration and its contact."""

    match: Match
    search: SearchRequest
    family: Contact
    registration: Registration | None
    detainee: Contact | None


def parties(session: Session, match: Match) -> Parties:
    """Load both sides of ``match``."""
    search = session.get(SearchRequest, match.search_id)
    assert search is not None
    family = session.get(Contact, search.contact_id)
    assert family is not None
    registration = session.get(Registration, match.registration_id) if match.registration_id else None
    detainee = session.get(Contact, registration.contact_id) if registration is not None else None
    return Parties(match, search, family, registration, detainee)


def operator_confirmed(match: Match) -> bool:
    """True when the match went ahead only because an operator confirmed it (a review-band match)."""
    return match.decided_by is not None or match.decision != "match"


def _searcher(search: SearchRequest, language: str) -> tuple[str, str]:
    """The searcher's name and what they say the sought person is to them, as they gave it."""
    nobody, family = NOBODY_NAMED.get(language, NOBODY_NAMED["ar"])
    name = search.searcher_name or nobody
    relationship = search.relationship
    if relationship in ROLES:  # the searcher's role, told from the survivor's side: "your mother"
        relationship = ROLES_ARABIZI[relationship] if language == "az" else role_label(relationship, language, to_survivor=True)
    elif relationship in RELATIONSHIPS:  # searches stored before issue 17 kept the lexicon's key
        relationship = relationship_label(relationship, language)  # Arabizi readers get the Latin label
    return name, relationship or family


def awaiting_for(session: Session, contact_id: int) -> Match | None:
    """The match whose question the contact has to answer now (the oldest unanswered one), if any."""
    return session.execute(
        select(Match)
        .join(Registration, Registration.id == Match.registration_id)
        .where(Registration.contact_id == contact_id, Match.status == "awaiting_consent")
        .order_by(Match.consent_requested_at, Match.id)
        .limit(1)
    ).scalar_one_or_none()


def to_ask(session: Session) -> list[tuple[int, int]]:
    """Confirmed registration matches whose question may go out now, as (match id, released person's contact id).

    Both sides must be reachable (no STOP, not erased); a person is asked one question at a time.
    """
    rows = session.execute(
        select(Match).where(Match.status == "confirmed", Match.registration_id.is_not(None)).order_by(Match.id)
    ).scalars().all()
    ready: list[tuple[int, int]] = []
    busy: set[int] = set()
    for match in rows:
        p = parties(session, match)
        if p.detainee is None or not reachable(p.detainee) or not reachable(p.family) or p.detainee.escalated:
            continue
        if p.detainee.id in busy or awaiting_for(session, p.detainee.id) is not None or relay.open_thread_for(session, p.detainee.id):
            continue
        busy.add(p.detainee.id)
        ready.append((match.id, p.detainee.id))
    return ready


def ask(session: Session, match_id: int, *, reminder: bool = False, now: dt.datetime | None = None) -> int | None:
    """Queue the consent question (or its one reminder) to the released person; returns their contact id.

    Call after the Rasa conversation was put in context (the worker's prompter), in one transaction.
    """
    match = session.get(Match, match_id)
    if match is None or match.status not in ("confirmed", "awaiting_consent"):
        return None
    p = parties(session, match)
    assert p.detainee is not None
    language = p.detainee.language or "ar"
    if trust.is_corroborated(p.registration):
        searcher, relationship = _searcher(p.search, language)
        key = "consent_reminder" if reminder else "consent_request"
    else:
        # Nobody vouched that the registrant is the person: nothing names the searcher.
        searcher, relationship = "", ""
        key = "consent_reminder_anon" if reminder else "consent_request_anon"
    if send(session, p.detainee, key, kind="consent", searcher=searcher, relationship=relationship) is None:
        return None
    now = now or utcnow()
    if reminder:
        match.reminded_at = now
    else:
        match.status = "awaiting_consent"
        match.consent_requested_at = now
    audit.record(session, "consent_reminded" if reminder else "consent_requested", subject_type="match", subject_id=match.id)
    return p.detainee.id


class ConsentError(ValueError):
    """A consent answer that cannot be applied; ``reason`` is precise English for logs."""


def record_choice(session: Session, contact_id: int, choice: int, match_id: int | None = None) -> Match:
    """Record the released person's answer (1, 2 or 3) to their pending question.

    ``match_id`` (from the Rasa slot) must be the contact's own question; without it the oldest
    pending question is answered. The family is told by the worker (:func:`notify`).
    """
    if choice not in CHOICES:
        raise ConsentError(f"choice {choice!r} is not 1, 2 or 3")
    match = session.get(Match, match_id) if match_id is not None else awaiting_for(session, contact_id)
    if match is None:
        raise ConsentError(f"contact {contact_id} has no pending consent question")
    registration = session.get(Registration, match.registration_id) if match.registration_id else None
    if registration is None or registration.contact_id != contact_id:
        raise ConsentError(f"match {match.id} is not a question to contact {contact_id}")
    if match.status in ANSWERED or match.status in ("relay", "vetting"):
        return match  # the same answer delivered twice
    if match.status != "awaiting_consent":
        raise ConsentError(f"match {match.id} is {match.status}, not awaiting consent")
    match.status = CHOICES[choice]
    if not trust.is_corroborated(registration):
        # 1 opens a relayed conversation (bot/reunion/relay.py), 2 waits for an operator's call.
        match.status = {1: "relay", 2: "vetting"}.get(choice, match.status)
        if choice == 2:
            escalate(session, contact_id, "corroboration", match_id=match.id)
    match.answered_at = utcnow()
    audit.record(session, "consent_choice", subject_type="match", subject_id=match.id, actor_kind="system",
                 detail={"choice": choice, "status": match.status, "decided_by": "detainee"})
    return match


def to_notify(session: Session, now: dt.datetime | None = None, list_delay_seconds: int = 0) -> list[int]:
    """Matches whose sides must now be told something: answered ones, and confirmed registry rows
    at least ``list_delay_seconds`` old (a list's news never comes with the reply to the search).
    """
    answered = select(Match.id).where(Match.status.in_((*ANSWERED, "vetting")), Match.notified_at.is_(None))
    # A registry row the matcher was sure of may also be stored as awaiting_consent by the assistant's
    # search action; for a list there is nobody to ask, so it is treated as confirmed.
    registry = select(Match.id).where(
        Match.status.in_(("confirmed", "awaiting_consent")), Match.registry_record_id.is_not(None)
    )
    if list_delay_seconds > 0:
        registry = registry.where(Match.updated_at <= (now or utcnow()) - dt.timedelta(seconds=list_delay_seconds))
    ids = set(session.execute(answered).scalars()) | set(session.execute(registry).scalars())
    return sorted(ids)


def phone_of(contact: Contact) -> str | None:
    """The phone number a person can be called on: a Telegram chat id is not one (only the number
    Telegram verified for the account is)."""
    if contact.channel == "telegram":
        return contact.verified_phone  # type: ignore[no-any-return]
    return contact.address  # type: ignore[no-any-return]


def notify(session: Session, match_id: int) -> list[int]:
    """Tell each side exactly what the decision allows, audit every disclosure; returns contacts written to."""
    match = session.get(Match, match_id)
    if match is None or match.notified_at is not None:
        return []
    if match.registry_record_id is not None:
        return _notify_registry(session, match)
    p = parties(session, match)
    if p.detainee is None or p.registration is None:
        return []
    woken: list[int] = []
    family_lang = p.family.language or "ar"
    detainee_lang = p.detainee.language or "ar"
    searcher, _ = _searcher(p.search, detainee_lang)
    name = p.search.full_name
    reviewed = operator_confirmed(match)
    if match.status in ("shared", "safe_only") and not reachable(p.family):
        # The family sent STOP (or asked for erasure): nothing goes either way until it sends START.
        return []
    if match.status == "shared":
        if reviewed:
            if send(session, p.family, "family_shared_reviewed", kind="disclosure", name=name):
                audit.disclosure(session, match_id=match.id, what="safe", to=p.family, decided_by="detainee", operator_id=match.decided_by)
                woken.append(p.family.id)
            if phone_of(p.family) is None:
                if send(session, p.detainee, "consent_done_share_no_number", kind="disclosure", searcher=searcher):
                    woken.append(p.detainee.id)
            elif send(session, p.detainee, "consent_done_share_reviewed", kind="disclosure", searcher=searcher, number=phone_of(p.family)):
                audit.disclosure(session, match_id=match.id, what="searcher_number", to=p.detainee, decided_by="detainee", operator_id=match.decided_by)
                woken.append(p.detainee.id)
        else:
            if send(session, p.family, "family_shared", kind="disclosure", name=name, number=p.registration.callback_address):
                audit.disclosure(session, match_id=match.id, what="callback_number", to=p.family, decided_by="detainee")
                woken.append(p.family.id)
            family_phone = phone_of(p.family)
            if family_phone is None:
                if send(session, p.detainee, "consent_done_share_no_number", kind="disclosure", searcher=searcher):
                    woken.append(p.detainee.id)
            elif send(session, p.detainee, "consent_done_share", kind="disclosure", searcher=searcher, number=family_phone):
                audit.disclosure(session, match_id=match.id, what="searcher_number", to=p.detainee, decided_by="detainee")
                woken.append(p.detainee.id)
        p.search.status = "matched"
    elif match.status == "safe_only":
        if send(session, p.family, "family_safe", kind="disclosure", name=name):
            audit.disclosure(session, match_id=match.id, what="safe", to=p.family, decided_by="detainee", operator_id=match.decided_by)
            woken.append(p.family.id)
        if send(session, p.detainee, "consent_done_safe", kind="reply"):
            woken.append(p.detainee.id)
        p.search.status = "matched"
    elif match.status == "vetting":
        # The family hears nothing until an operator has spoken with him (bot/reunion/trust.py).
        if send(session, p.detainee, "consent_done_vet", kind="reply"):
            woken.append(p.detainee.id)
    elif match.status == "declined":
        if send(session, p.detainee, "consent_done_nothing", kind="reply"):
            woken.append(p.detainee.id)
    else:
        return []
    match.notified_at = utcnow()
    log.info("match %s: %s; family language %s", match.id, match.status, family_lang)
    return woken


def _notify_registry(session: Session, match: Match) -> list[int]:
    if match.status not in ("confirmed", "awaiting_consent"):
        return []
    search = session.get(SearchRequest, match.search_id)
    assert search is not None
    family = session.get(Contact, search.contact_id)
    assert family is not None
    row = session.get(RegistryRow, match.registry_record_id)
    source = session.get(RegistrySource, row.source) if row is not None else None
    if row is None or source is None or not source.allow_public_confirmation:
        # The list may not be confirmed: a person decides what, if anything, to tell the family.
        match.status = "operator"
        escalate(session, family.id, "review", match_id=match.id)
        audit.record(session, "match_to_operator", subject_type="match", subject_id=match.id,
                     detail={"why": "source does not allow confirmation"})
        return []
    if not reachable(family):
        return []
    language = family.language or "ar"
    date = row.release_date.isoformat() if row.release_date else (source.created_at.date().isoformat() if source.created_at else "")
    # Only the governorate the family gave: the list's own would tell them something they did not know.
    governorate = search.governorate or ""
    if governorate:
        sent = send(session, family, "family_released_list", kind="disclosure", name=search.full_name,
                    source=source.label or source.name, date=date, governorate=governorate_label(governorate, language),
                    place=gathering_point(governorate, language))
    else:
        sent = send(session, family, "family_released_list_plain", kind="disclosure", name=search.full_name,
                    source=source.label or source.name, date=date)
    if sent is None:
        return []
    audit.disclosure(session, match_id=match.id, what="released_list", to=family, decided_by="source_policy", operator_id=match.decided_by)
    match.status = "notified"
    match.notified_at = utcnow()
    return [family.id]


def due_reminders(session: Session, config: ReunionConfig, now: dt.datetime | None = None) -> list[tuple[int, int]]:
    """Questions unanswered for ``consent_reminder_seconds`` with no reminder yet: (match id, contact id)."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(seconds=config.consent_reminder_seconds)
    rows = session.execute(
        select(Match).where(Match.status == "awaiting_consent", Match.reminded_at.is_(None))
    ).scalars().all()
    due = []
    for match in rows:
        if (aware(match.consent_requested_at) or now) > cutoff:
            continue
        p = parties(session, match)
        if p.detainee is not None and reachable(p.detainee):
            due.append((match.id, p.detainee.id))
    return due


def escalate_timeouts(session: Session, config: ReunionConfig, now: dt.datetime | None = None) -> list[int]:
    """Questions still unanswered ``consent_timeout_seconds`` after the reminder go to an operator."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(seconds=config.consent_timeout_seconds)
    rows = session.execute(
        select(Match).where(
            Match.status == "awaiting_consent", Match.reminded_at.is_not(None), Match.consent_escalated_at.is_(None)
        )
    ).scalars().all()
    done = []
    for match in rows:
        if (aware(match.reminded_at) or now) > cutoff:
            continue
        p = parties(session, match)
        if p.detainee is None:
            continue
        escalate(session, p.detainee.id, "consent_timeout", match_id=match.id)
        match.consent_escalated_at = now
        audit.record(session, "consent_timeout", subject_type="match", subject_id=match.id)
        done.append(match.id)
    return done
