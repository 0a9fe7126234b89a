"""What an action knows about the conversation: contact id, channel and reply language, from Rasa's tracker."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from nlu.text import REPLY_LANGUAGES

#: Intents that mean "I could not be understood" for the failed-turn count.
FAILED_INTENTS = ("nlu_fallback", "out_of_scope")


def message_metadata(tracker: Tracker) -> dict[str, Any]:
    """The metadata the gateway sent with the latest message, else the session's, else {}.

    Rasa 3.6's REST channel stores the request's ``metadata`` on the user event and in
    ``latest_message["metadata"]``; ``session_started_metadata`` keeps the first one.
    """
    latest = (tracker.latest_message or {}).get("metadata") or {}
    if latest:
        return dict(latest)
    session = tracker.get_slot("session_started_metadata") or {}
    return dict(session) if isinstance(session, dict) else {}


def contact_id(tracker: Tracker) -> int | None:
    """The contact's database id: the conversation's sender id only (the gateway sends str(contact.id)).

    A ``contact_id`` in the message metadata is ignored: metadata is whatever the caller of Rasa's
    webhook put there, while the sender id names the tracker the whole conversation lives in, and
    only the gateway can post to Rasa's signed channel (bot/rasa_channel.py).
    """
    raw = tracker.sender_id
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def channel(tracker: Tracker) -> str | None:
    """The channel of the latest message: whatsapp, sms or sim (None when unknown)."""
    value = message_metadata(tracker).get("channel")
    return value if value in ("whatsapp", "sms", "sim") else None


def language(tracker: Tracker) -> str:
    """The reply language (ar, en or az for Arabizi): the ``language`` slot, else the gateway's, else Arabic."""
    value = tracker.get_slot("language") or message_metadata(tracker).get("language")
    return value if value in REPLY_LANGUAGES else "ar"


def latest_text(tracker: Tracker) -> str:
    """The latest user message's text ("" when there is none)."""
    return str((tracker.latest_message or {}).get("text") or "")


def latest_intent(tracker: Tracker) -> str | None:
    """The intent of the latest user message."""
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def failed_turns_in_a_row(tracker: Tracker) -> int:
    """How many of the latest user messages in a row were not understood (fallback or out of scope)."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent not in FAILED_INTENTS:
            break
        count += 1
    return count
