"""The assistant's custom actions: thin wrappers that read the tracker, call plain modules, and reply."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from bot.actions import conversation, deps, parsing, reunion, searches
from bot.actions.forms import FORM_SLOTS
from bot.contacts import escalate, opt_out
from bot.reunion.status import check_status
from nlu.keywords import has_distress, yes_no

log = logging.getLogger(__name__)

Events = list[dict[str, Any]]

#: Failed turns in a row (not understood, or out of scope) after which a person takes over.
ESCALATE_AFTER_FAILED_TURNS = 2

#: What the gateway can read in a reply's ``custom`` field (the database stays authoritative).
SIGNAL_ESCALATED = {"shaml": "escalated"}
SIGNAL_OPTED_OUT = {"shaml": "opted_out"}

_OUTCOME_RESPONSES = {
    "match": "utter_search_match",
    "review": "utter_search_review",
    "no_match": "utter_search_no_match",
}


def _reset_forms() -> Events:
    return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("failed_asks", 0.0)]


def _search_done() -> Events:
    """Every way out of the search actions sets need_details, which the rules after them read.

    Without it no rule would match the next step and the core fallback would run in a loop.
    """
    return _reset_forms() + [SlotSet("need_details", False), SlotSet("search_id", None)]


def _service_error(dispatcher: CollectingDispatcher, what: str, contact: int | None) -> Events:
    log.exception("%s failed for contact %s", what, contact)
    dispatcher.utter_message(response="utter_service_error")
    return []


def _hand_over(dispatcher: CollectingDispatcher, contact: int | None, reason: str) -> None:
    """Escalate in the database and tell the user a person will answer."""
    if contact is None:
        raise ValueError("no contact id in the conversation")
    with deps.new_session() as session, session.begin():
        escalate(session, contact, reason)
    dispatcher.utter_message(response="utter_distress" if reason == "distress" else "utter_escalated")
    dispatcher.utter_message(json_message=dict(SIGNAL_ESCALATED))


class ActionResetForms(Action):
    """Empties every form slot before a new search or registration starts."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_reset_forms"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        """Resets the slots; says nothing."""
        return _reset_forms() + [SlotSet("need_details", None), SlotSet("search_id", None)]


class ActionSubmitSearch(Action):
    """Stores the search (with consent), matches it at once, and replies by decision only."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_submit_search"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        """See the class docstring. Nothing about any candidate is ever sent."""
        slots = tracker.current_slot_values()
        if slots.get("search_consent") is not True:
            dispatcher.utter_message(response="utter_search_not_kept")
            return _search_done()
        contact = conversation.contact_id(tracker)
        try:
            if contact is None:
                raise ValueError("no contact id in the conversation")
            with deps.new_session() as session, session.begin():
                # Daily limit, probing, cool-down, or the same search again (bot/reunion/searches.py).
                refused = reunion.refusal(session, contact, slots)
                if refused is None:
                    search = searches.store_search(session, contact, slots)
                    outcome = searches.match_search(session, deps.get_matcher(), search, may_ask=True)
        except (SQLAlchemyError, ValueError, deps.NotConfigured):
            return _service_error(dispatcher, "storing a search", contact) + _search_done()
        if refused is not None:
            dispatcher.utter_message(text=refused)
            return _reset_forms() + [SlotSet("need_details", False), SlotSet("search_id", None)]
        if outcome.ask_for:
            dispatcher.utter_message(response="utter_need_details")
            # Only the asked detail is emptied; one that would not separate the candidates is
            # marked "don't know" so the form does not ask it (nothing about the candidates is said).
            keep = {
                slot: None if slot in outcome.ask_for else (slots.get(slot) or parsing.UNKNOWN)
                for slot in ("mother_name", "birth_year")
            }
            return _reset_forms() + [
                SlotSet("mother_name", keep["mother_name"]),
                SlotSet("birth_year", keep["birth_year"]),
                SlotSet("search_id", float(outcome.search_id)),
                SlotSet("need_details", True),
            ]
        dispatcher.utter_message(response=_OUTCOME_RESPONSES[outcome.decision])
        return _reset_forms() + [SlotSet("need_details", False), SlotSet("search_id", None)]


class ActionRematchSearch(Action):
    """Adds the mother's name or birth year to the stored search and matches again (asks only once)."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_rematch_search"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        """Replies by the new decision; a review now goes to a person."""
        contact = conversation.contact_id(tracker)
        search_id = tracker.get_slot("search_id")
        try:
            if search_id is None:
                raise ValueError("no search to complete")
            with deps.new_session() as session, session.begin():
                search = searches.update_search_details(session, int(search_id), tracker.current_slot_values())
                outcome = searches.match_search(session, deps.get_matcher(), search, may_ask=False)
        except (SQLAlchemyError, ValueError, LookupError, deps.NotConfigured):
            return _service_error(dispatcher, "re-matching a search", contact) + _search_done()
        dispatcher.utter_message(response=_OUTCOME_RESPONSES[outcome.decision])
        return _reset_forms() + [SlotSet("need_details", False), SlotSet("search_id", None)]


class ActionSubmitRegistration(Action):
    """Stores a confirmed registration, waiting for the callback number's verification code."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_submit_registration"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        """Stores and thanks; a registration that was not confirmed is not stored."""
        slots = tracker.current_slot_values()
        contact = conversation.contact_id(tracker)
        if slots.get("registration_confirm") is not True:
            return _reset_forms()
        try:
            if contact is None:
                raise ValueError("no contact id in the conversation")
            with deps.new_session() as session, session.begin():
                searches.store_registration(session, contact, slots)
        except (SQLAlchemyError, ValueError, deps.NotConfigured):
            return _service_error(dispatcher, "storing a registration", contact) + _reset_forms()
        dispatcher.utter_message(response="utter_registered")
        return _reset_forms()


class ActionEscalate(Action):
    """Hands the conversation to a person: on request, or with a caring reply on distress words."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_escalate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        """Escalates with reason ``distress`` or ``requested`` and says a person will answer."""
        reason = "distress" if has_distress(conversation.latest_text(tracker)) else "requested"
        contact = conversation.contact_id(tracker)
        try:
            _hand_over(dispatcher, contact, reason)
        except (SQLAlchemyError, ValueError, deps.NotConfigured):
            return _service_error(dispatcher, "escalating", contact)
        return []


class ActionFallback(Action):
    """A message not understood (or out of scope): a kind reply and the menu; the second in a row goes to a person."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        """See the class docstring."""
        contact = conversation.contact_id(tracker)
        if conversation.failed_turns_in_a_row(tracker) >= ESCALATE_AFTER_FAILED_TURNS:
            try:
                _hand_over(dispatcher, contact, "failed_turns")
            except (SQLAlchemyError, ValueError, deps.NotConfigured):
                _service_error(dispatcher, "escalating after failed turns", contact)
            return [FollowupAction("action_listen")]
        if conversation.latest_intent(tracker) == "out_of_scope":
            dispatcher.utter_message(response="utter_out_of_scope")
        else:
            dispatcher.utter_message(response="utter_fallback")
        dispatcher.utter_message(response="utter_menu")
        # Also Rasa's core fallback: wait for the user, never predict again after it.
        return [FollowupAction("action_listen")]


class ActionStop(Action):
    """Free-text opt-out ("ما بدي رسائل"): no message is sent after this one-line confirmation."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_stop"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        """Opts the contact out and confirms once."""
        contact = conversation.contact_id(tracker)
        try:
            if contact is None:
                raise ValueError("no contact id in the conversation")
            with deps.new_session() as session, session.begin():
                opt_out(session, contact)
        except (SQLAlchemyError, ValueError, deps.NotConfigured):
            return _service_error(dispatcher, "opting out", contact)
        dispatcher.utter_message(response="utter_stopped")
        dispatcher.utter_message(json_message=dict(SIGNAL_OPTED_OUT))
        return _reset_forms()


class ActionCheckStatus(Action):
    """An honest answer to "any news?" that reveals nothing about anyone."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_check_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        """Replies with what the contact was already told, per search (bot/reunion/status.py).

        A match under review, a question waiting for the released person, or their refusal all
        read like an open search, so a family cannot learn that someone was found and declined.
        """
        contact = conversation.contact_id(tracker)
        try:
            if contact is None:
                raise ValueError("no contact id in the conversation")
            with deps.new_session() as session:
                answer = check_status(session, contact)
        except (SQLAlchemyError, ValueError, deps.NotConfigured):
            return _service_error(dispatcher, "reading the status", contact)
        dispatcher.utter_message(text=answer)
        return []


class ActionDeleteData(Action):
    """Records a confirmed request to erase the contact's data; the erasure confirms separately."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_delete_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        """Records the request in the audit log and says what happens next.

        Erasure cannot be undone, so the answer to the question must be an explicit yes ("1",
        "نعم", "yes"): the model's ``affirm`` alone is not enough. The resilience bench found
        names classified as ``affirm`` (a father's name, a governorate) confirming an erasure that
        another name, misread as ``delete_data``, had asked about in the middle of a search.
        """
        if yes_no(str(tracker.latest_message.get("text") or "")) is not True:
            dispatcher.utter_message(response="utter_delete_cancelled")
            return []  # nothing erased; what the person had typed so far is kept
        contact = conversation.contact_id(tracker)
        try:
            if contact is None:
                raise ValueError("no contact id in the conversation")
            with deps.new_session() as session, session.begin():
                searches.record_delete_request(session, contact)
        except (SQLAlchemyError, ValueError, deps.NotConfigured):
            return _service_error(dispatcher, "recording a delete request", contact)
        dispatcher.utter_message(response="utter_delete_requested")
        return _reset_forms()


