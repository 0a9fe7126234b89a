"""Thin Rasa actions of the reunification workflow: the consent question and answer, and callback codes.

The logic lives in :mod:`bot.reunion`; these only read the tracker, call it, and reply.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from bot.actions import conversation, deps
from bot.actions.searches import search_details
from bot.contacts import escalate
from bot.reunion import consent, searches, verification
from bot.reunion.config import ReunionConfig
from bot.reunion.texts import render
from nlu.keywords import has_distress

log = logging.getLogger(__name__)

_config = ReunionConfig()


def configure(config: ReunionConfig) -> None:
    """Give these actions the workflow's limits (``shaml actions`` calls it; defaults otherwise)."""
    global _config
    _config = config


def refusal(session: Any, contact_id: int, slots: dict[str, Any]) -> str | None:
    """Why this search may not be recorded (daily limit, probing, cool-down, already open), as the
    reply to send; None when it may. Call in the submit action's transaction, before storing.
    """
    refused = searches.admit(session, contact_id, search_details(slots), _config)
    return None if refused is None else refused.reply


def _entity(tracker: Tracker, name: str) -> Any:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name:
            return entity.get("value")
    return None


class ActionOpenConsent(Action):
    """Run by the worker's external intent: remember which match the question is about."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_open_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Sets ``consent_match_id`` and clears any earlier answer; the question itself comes from the worker."""
        match_id = _entity(tracker, "match_id")
        return [SlotSet("consent_match_id", None if match_id is None else str(match_id)), SlotSet("consent_choice", None)]


class ActionAskConsentChoice(Action):
    """Asks again when an answer was not 1, 2 or 3 (the first question is sent by the worker)."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_ask_consent_choice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Replies "please reply 1, 2 or 3" unless this turn is the worker's trigger."""
        if conversation.latest_intent(tracker) not in ("EXTERNAL_consent_request", "request_human"):
            dispatcher.utter_message(text=render("consent_invalid", conversation.language(tracker)))
        return []


class ValidateConsentForm(FormValidationAction):
    """Reads 1, 2, 3 in any digits, or yes / safe / no in Arabic, Levantine or English."""

    def name(self) -> str:
        """Action name in the domain."""
        return "validate_consent_form"

    def validate_consent_choice(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The choice as "1", "2" or "3", or None to ask again; a request for a person goes to one."""
        choice = consent.parse_choice(None if slot_value is None else str(slot_value))
        if choice is None and conversation.latest_intent(tracker) == "request_human":
            contact = conversation.contact_id(tracker)
            try:
                if contact is not None:
                    with deps.new_session() as session, session.begin():
                        escalate(session, contact, "distress" if has_distress(conversation.latest_text(tracker)) else "requested")
            except (SQLAlchemyError, deps.NotConfigured):
                log.exception("could not hand contact %s to a person", contact)
            dispatcher.utter_message(response="utter_escalated")
        return {"consent_choice": None if choice is None else str(choice)}


class ActionRecordConsent(Action):
    """Records the released person's choice; the worker then tells each side what was allowed."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_record_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Stores the choice; replies only if it could not be stored (a person then takes over)."""
        contact = conversation.contact_id(tracker)
        raw_match = tracker.get_slot("consent_match_id")
        choice = consent.parse_choice(tracker.get_slot("consent_choice"))
        reset = [SlotSet("consent_choice", None), SlotSet("consent_match_id", None), ActiveLoop(None)]
        try:
            if contact is None or choice is None:
                raise consent.ConsentError("no contact or no choice in the conversation")
            with deps.new_session() as session, session.begin():
                consent.record_choice(session, contact, choice, int(raw_match) if raw_match else None)
        except consent.ConsentError as exc:
            log.warning("consent answer not recorded: %s", exc.reason if hasattr(exc, "reason") else exc)
            return reset
        except (SQLAlchemyError, ValueError, deps.NotConfigured):
            log.exception("consent answer of contact %s not recorded", contact)
            return reset + [FollowupAction("action_escalate")]
        return reset


class ActionVerifyCode(Action):
    """A message carrying a callback code, from any phone: activates the registration it belongs to."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_verify_code"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Replies verified, wrong or locked; a message with no code goes to the usual fallback."""
        text = conversation.latest_text(tracker)
        if verification.find_code(text) is None:
            return [FollowupAction("action_fallback")]
        contact = conversation.contact_id(tracker)
        try:
            if contact is None:
                raise ValueError("no contact id in the conversation")
            with deps.new_session() as session, session.begin():
                outcome = verification.redeem(session, contact, text, _config)
        except (SQLAlchemyError, ValueError, deps.NotConfigured):
            log.exception("code from contact %s not checked", contact)
            return [FollowupAction("action_escalate")]
        if outcome.reply:
            dispatcher.utter_message(text=outcome.reply)
        return []
