"""The relayed first contact: a family and a registrant write to each other through Shaml, numbers hidden.

A registrant nobody has vouched for yet (bot/reunion/trust.py) who answers 1 to the anonymous
question gets a relay instead of a number exchange. While a thread is open, every message either
side writes (keywords such as STOP aside, and unless an operator holds the conversation) is passed
to the other side by the gateway (bot/gateway/router.py), with:

- phone numbers, links and e-mail addresses masked, so nobody's contact leaks before consent;
- "Shaml never asks for money" on every relayed message;
- any message that asks for money, a transfer or a fee (bot/reunion/money.py) held for an operator:
  never forwarded as is; the other side is warned, and the sender's conversation goes to a person.

The family ends it by writing "it is him" (هو هو, HUWE HUWE): the registration is corroborated by the family and
the registrant is asked the named consent question again, so numbers are exchanged only if he still
agrees. Either side may close it (اغلاق / CLOSE / SAKKER). A command is answered in the language it
was typed in (an Arabizi reader who types CLOSE still gets Arabizi, as with STOP).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.gateway.keywords import normalise
from bot.models import Contact, Match, Registration, RelayThread, SearchRequest
from bot.reunion import audit, trust
from bot.reunion.messaging import reachable, send
from bot.reunion.money import asks_for_money
from bot.reunion.texts import render
from matching.store import utcnow

log = logging.getLogger(__name__)

#: What the family writes when they recognise him (after normalisation), and the language to answer in.
RECOGNISED: dict[str, str] = {
    **dict.fromkeys(("هو هو", "انه هو", "نعم هو", "اي هو", "ايوه هو", "هو نفسه", "هي هي", "نعم هي", "انها هي"), "ar"),
    **dict.fromkeys(("it is him", "its him", "it s him", "yes it is him", "yes its him", "it is her", "its her",
                     "yes it is her"), "en"),
    # Arabizi: the Arabizi text says HUWE HUWE; the usual spellings of "it's him/her" in Latin letters
    **dict.fromkeys(("huwe huwe", "huwa huwa", "howe howe", "huwwe huwwe", "howwe howwe", "hwe hwe", "houwe houwe",
                     "eh huwe", "ah huwe", "aywa huwe", "huwe nafso", "hiye hiye", "hiya hiya", "hiyye hiyye",
                     "heye heye", "hye hye", "eh hiye", "ah hiye", "hiye nafsa"), "az"),
}
#: What either side writes to end the conversation ("end" and "stop" are opt-out keywords already),
#: and the language to answer in. The Arabizi text says SAKKER ("close", سكّر).
CLOSE: dict[str, str] = {
    **dict.fromkeys(("اغلاق", "انهاء", "انهاء المحادثه", "اغلاق المحادثه"), "ar"),
    **dict.fromkeys(("close", "close chat", "end chat"), "en"),
    **dict.fromkeys(("sakker", "sakkir", "saker", "sakker el m7adase", "sakker el m7adatha", "sakker el mo7adase",
                     "sakker el mo7adatha", "sakker el chat", "skker"), "az"),
}
#: Longest message sent (two UCS-2 SMS segments).
MAX_CHARS = 134
#: Longest message sent when it is all GSM-7 (an Arabizi or English frame around Latin text): two
#: segments of 153 septets; a character of the extension table takes two.
MAX_SEPTETS = 306
_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

_PHONE = re.compile(r"(?:\+|00)?\d[\d\s\-().]{5,}\d")
_LINK = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.]+|\b\S+\.(?:com|net|org|me|io|ly|link)\b\S*|t\.me/\S+")
_DIGITS = {**{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)}}


@dataclass
class Turn:
    """What the gateway does with one message of a relay: replies to the sender, messages to the other side."""

    replies: list[tuple[str, str]] = field(default_factory=list)  # (body, kind) to the sender
    forward: list[tuple[int, str, str]] = field(default_factory=list)  # (contact id, body, kind)
    escalate: str | None = None


def mask(text: str) -> str:
    """``text`` with phone numbers, links and e-mail addresses replaced by "•••" (digits of any script)."""
    ascii_text = text.translate(_DIGITS)
    masked = _LINK.sub("•••", ascii_text)
    return _PHONE.sub("•••", masked)


def _septets(text: str) -> int | None:
    """GSM-7 septets ``text`` takes, or None when it needs UCS-2."""
    count = 0
    for char in text:
        if char in _GSM7:
            count += 1
        elif char in _GSM7_EXTENSION:
            count += 2
        else:
            return None
    return count


def _fit(key: str, language: str, text: str) -> str:
    """The relayed text cut so the whole message fits two SMS segments: :data:`MAX_SEPTETS` when the
    whole message is GSM-7 (Latin text in an Arabizi or English frame), else :data:`MAX_CHARS`."""
    frame = render(key, language, text="")
    frame_septets, text_septets = _septets(frame), _septets(text)
    if frame_septets is not None and text_septets is not None:
        room = MAX_SEPTETS - frame_septets
        if text_septets > room:
            kept, used = [], 0
            for char in text:
                used += _septets(char) or 0
                if used > room - 3:
                    break
                kept.append(char)
            text = "".join(kept).rstrip() + "..."
        return render(key, language, text=text)
    room = MAX_CHARS - len(frame)
    if len(text) > room:
        text = text[: max(room - 1, 0)].rstrip() + "…"
    return render(key, language, text=text)


def open_thread_for(session: Session, contact_id: int) -> RelayThread | None:
    """The contact's open relay thread, as family or registrant, if any."""
    return session.execute(
        select(RelayThread).where(
            RelayThread.status == "open",
            or_(RelayThread.family_contact_id == contact_id, RelayThread.registrant_contact_id == contact_id),
        ).order_by(RelayThread.id).limit(1)
    ).scalar_one_or_none()


def to_open(session: Session) -> list[int]:
    """Matches whose registrant chose the relay and whose thread is not open yet (one thread per person at a time)."""
    rows = session.execute(select(Match).where(Match.status == "relay").order_by(Match.id)).scalars().all()
    ready = []
    for match in rows:
        if session.execute(select(RelayThread.id).where(RelayThread.match_id == match.id)).first() is None:
            ready.append(match.id)
    return ready


def open_thread(session: Session, match_id: int) -> list[int]:
    """Open the relay for ``match_id`` and tell both sides how it works; returns the contacts written to."""
    match = session.get(Match, match_id)
    if match is None or match.status != "relay":
        return []
    search = session.get(SearchRequest, match.search_id)
    registration = session.get(Registration, match.registration_id) if match.registration_id else None
    if search is None or registration is None:
        return []
    family = session.get(Contact, search.contact_id)
    registrant = session.get(Contact, registration.contact_id)
    if not reachable(family) or not reachable(registrant):
        return []
    assert family is not None and registrant is not None
    if open_thread_for(session, family.id) or open_thread_for(session, registrant.id):
        return []  # one conversation at a time; this one opens when the other closes
    session.add(RelayThread(match_id=match.id, family_contact_id=family.id, registrant_contact_id=registrant.id,
                            status="open", opened_at=utcnow()))
    # The family learns only the name the registrant gave (which their own search named), never a number.
    send(session, family, "relay_open_family", kind="disclosure", name=registration.full_name)
    send(session, family, "relay_howto_family", kind="notice")
    send(session, registrant, "relay_open_registrant", kind="notice")
    audit.record(session, "relay_opened", subject_type="match", subject_id=match.id)
    return [family.id, registrant.id]


def handle(session: Session, contact_id: int, body: str) -> Turn | None:
    """One inbound message of a contact in an open relay; None when the contact has none (ask Rasa)."""
    thread = open_thread_for(session, contact_id)
    if thread is None:
        return None
    contact = session.get(Contact, contact_id)
    assert contact is not None
    language = contact.language or "ar"
    from_family = thread.family_contact_id == contact_id
    other = session.get(Contact, thread.registrant_contact_id if from_family else thread.family_contact_id)
    said = normalise(body)
    if said in CLOSE:
        return _close(session, thread, contact, other, _answer_language(CLOSE[said], language))
    if from_family and said in RECOGNISED:
        return _recognised(session, thread, _answer_language(RECOGNISED[said], language))
    if asks_for_money(body):
        thread.held += 1
        audit.record(session, "relay_held", subject_type="match", subject_id=thread.match_id,
                     detail={"from": "family" if from_family else "registrant"})
        log.warning("relay of match %s: a message asking for money held for an operator", thread.match_id)
        turn = Turn(replies=[(render("relay_held_sender", language), "notice")], escalate="relay_money")
        if reachable(other):
            assert other is not None
            turn.forward.append((other.id, render("relay_held_recipient", other.language or "ar"), "notice"))
        return turn
    if not reachable(other):
        return Turn(replies=[(render("relay_closed", language), "notice")])
    assert other is not None
    thread.relayed += 1
    return Turn(forward=[(other.id, _fit("relayed", other.language or "ar", mask(body.strip())), "notice")])


def _recognised(session: Session, thread: RelayThread, language: str) -> Turn:
    match = session.get(Match, thread.match_id)
    registration = session.get(Registration, match.registration_id) if match and match.registration_id else None
    thread.status = "recognised"
    thread.closed_at = utcnow()
    if match is not None and registration is not None:
        trust.corroborate(session, registration, "family")
        # Back to the consent flow: he is asked again, by name now, whether to exchange numbers.
        match.status = "confirmed"
        match.consent_requested_at = None
        match.reminded_at = None
    audit.record(session, "relay_recognised", subject_type="match", subject_id=thread.match_id)
    return Turn(replies=[(render("relay_recognised", language), "notice")])


def _answer_language(typed: str, reader: str) -> str:
    """The language to answer a command in: the one it was typed in, except that someone who reads
    Arabizi and types the English word is answered in Arabizi (bot.gateway.keywords.reply_language)."""
    return "az" if typed == "en" and reader == "az" else typed


def _close(session: Session, thread: RelayThread, contact: Contact, other: Contact | None, language: str) -> Turn:
    thread.status = "closed"
    thread.closed_at = utcnow()
    match = session.get(Match, thread.match_id)
    if match is not None and match.status == "relay":
        match.status = "declined" if thread.registrant_contact_id == contact.id else "closed"
        match.notified_at = utcnow()
    audit.record(session, "relay_closed", subject_type="match", subject_id=thread.match_id)
    turn = Turn(replies=[(render("relay_closed", language), "notice")])
    if reachable(other):
        assert other is not None
        turn.forward.append((other.id, render("relay_closed", other.language or "ar"), "notice"))
    return turn
