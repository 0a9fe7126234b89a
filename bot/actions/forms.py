"""Form validation: one ``validate_<slot>`` per answer, kind re-asks, and a person offered after three misses."""

from __future__ import annotations

import logging
from abc import abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction, ValidationAction
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from bot.actions import conversation, deps, parsing
from bot.actions.searches import contact_address
from bot.contacts import set_language
from nlu.text import detect_language, requested_language

log = logging.getLogger(__name__)

#: Failed re-asks in a row after which a person is offered.
OFFER_HUMAN_AFTER = 3

#: Every slot the forms fill; reset when a new search or registration starts.
FORM_SLOTS = (
    "person_name",
    "father_name",
    "mother_name",
    "birth_year",
    "governorate",
    "detention",
    "searcher_name",
    "relationship",
    "search_confirm",
    "search_consent",
    "callback_number",
    "share_policy",
    "registration_confirm",
)

Slots = dict[str, Any]


def _failed(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, response: str) -> Slots:
    """A kind re-ask; after three in a row, also offer a person."""
    misses = int(tracker.get_slot("failed_asks") or 0) + 1
    dispatcher.utter_message(response=response)
    if misses >= OFFER_HUMAN_AFTER:
        dispatcher.utter_message(response="utter_offer_human")
        misses = 0
    return {slot: None, "failed_asks": float(misses)}


def _ok(slot: str, value: Any) -> Slots:
    return {slot: value, "failed_asks": 0.0}


class _IdentityValidation(FormValidationAction):
    """The identifying questions shared by the search and the registration."""

    @abstractmethod
    def name(self) -> str:  # pragma: no cover - abstract
        # Abstract, so rasa_sdk's executor skips this base when it registers every Action subclass.
        raise NotImplementedError

    def validate_person_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """The full name: at least two words in letters."""
        name = parsing.parse_name(str(value or ""), min_words=2)
        return _ok("person_name", name) if name else _failed(dispatcher, tracker, "person_name", "utter_invalid_name")

    def validate_father_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """The father's name, or "don't know"."""
        name = parsing.parse_name(str(value or ""), allow_unknown=True)
        return _ok("father_name", name) if name else _failed(dispatcher, tracker, "father_name", "utter_invalid_name")

    def validate_mother_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """The mother's name, or "don't know"."""
        name = parsing.parse_name(str(value or ""), allow_unknown=True)
        return _ok("mother_name", name) if name else _failed(dispatcher, tracker, "mother_name", "utter_invalid_name")

    def validate_birth_year(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """A year or an age in any digits, or "don't know"."""
        year = parsing.parse_birth_year(str(value or ""))
        if year is None:
            return _failed(dispatcher, tracker, "birth_year", "utter_invalid_year")
        return _ok("birth_year", str(year))

    def validate_governorate(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """One of the 14 governorates in either script, or "don't know"."""
        governorate = parsing.parse_governorate(str(value or ""))
        if governorate is None:
            return _failed(dispatcher, tracker, "governorate", "utter_invalid_governorate")
        return _ok("governorate", governorate)


class ValidateSearchForm(_IdentityValidation):
    """The family's search: identity, detention, the searcher, a confirmed summary and consent."""

    def name(self) -> str:
        """The action Rasa calls to validate search_form."""
        return "validate_search_form"

    def validate_detention(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """Where and when (optional): any words, or "skip"."""
        answer = parsing.parse_detention(str(value or ""))
        return _ok("detention", answer) if answer else _failed(dispatcher, tracker, "detention", "utter_invalid_text")

    def validate_searcher_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """The family member's own name."""
        name = parsing.parse_name(str(value or ""))
        return _ok("searcher_name", name) if name else _failed(dispatcher, tracker, "searcher_name", "utter_invalid_name")

    def validate_relationship(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """Brother, mother, wife… (from the lexicon, or the words as written)."""
        relation = parsing.parse_relationship(str(value or ""))
        return _ok("relationship", relation) if relation else _failed(dispatcher, tracker, "relationship", "utter_invalid_text")

    def validate_search_confirm(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """Yes keeps going; no starts the questions again."""
        answer = parsing.parse_yes_no(str(value or ""), conversation.latest_intent(tracker))
        if answer is None:
            return _failed(dispatcher, tracker, "search_confirm", "utter_invalid_yes_no")
        if answer is False:
            dispatcher.utter_message(response="utter_search_restart")
            return {slot: None for slot in FORM_SLOTS} | {"failed_asks": 0.0}
        return _ok("search_confirm", True)

    def validate_search_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """Consent to keep the request: yes or no both end the form; no stores nothing."""
        answer = parsing.parse_yes_no(str(value or ""), conversation.latest_intent(tracker))
        if answer is None:
            return _failed(dispatcher, tracker, "search_consent", "utter_invalid_yes_no")
        return _ok("search_consent", answer)


class ValidateRegistrationForm(_IdentityValidation):
    """A released detainee's registration: identity, callback number, share policy, confirmation."""

    def name(self) -> str:
        """The action Rasa calls to validate registration_form."""
        return "validate_registration_form"

    def validate_callback_number(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """1 for the sender's own number, or a number typed in any common way."""
        own = None
        contact = conversation.contact_id(tracker)
        if contact is not None:
            try:
                with deps.new_session() as session:
                    channel, address = contact_address(session, contact)
                own = address if channel in ("whatsapp", "sms") else None
            except (SQLAlchemyError, deps.NotConfigured):
                log.exception("could not read contact %s for its callback number", contact)
        number = parsing.parse_callback(str(value or ""), own)
        return _ok("callback_number", number) if number else _failed(dispatcher, tracker, "callback_number", "utter_invalid_phone")

    def validate_share_policy(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """1 share my number, 2 tell them I'm safe, 3 tell nobody."""
        policy = parsing.parse_share_policy(str(value or ""))
        return _ok("share_policy", policy) if policy else _failed(dispatcher, tracker, "share_policy", "utter_invalid_share_policy")

    def validate_registration_confirm(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """Yes stores the registration; no starts the questions again."""
        answer = parsing.parse_yes_no(str(value or ""), conversation.latest_intent(tracker))
        if answer is None:
            return _failed(dispatcher, tracker, "registration_confirm", "utter_invalid_yes_no")
        if answer is False:
            dispatcher.utter_message(response="utter_search_restart")
            return {slot: None for slot in FORM_SLOTS} | {"failed_asks": 0.0}
        return _ok("registration_confirm", True)


class ValidateSearchDetailsForm(_IdentityValidation):
    """The mother's name or birth year asked for after an ambiguous result."""

    def name(self) -> str:
        """The action Rasa calls to validate search_details_form."""
        return "validate_search_details_form"


class ActionAskSearchConfirm(Action):
    """Shows the search's summary and asks whether it is right."""

    def name(self) -> str:
        """Rasa calls this to ask for search_confirm."""
        return "action_ask_search_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Sends the summary in the reply language."""
        summary = parsing.search_summary(tracker.current_slot_values(), conversation.language(tracker))
        dispatcher.utter_message(response="utter_search_summary", summary=summary)
        return []


class ActionAskRegistrationConfirm(Action):
    """Shows the registration's summary and asks whether it is right."""

    def name(self) -> str:
        """Rasa calls this to ask for registration_confirm."""
        return "action_ask_registration_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Sends the summary in the reply language."""
        summary = parsing.registration_summary(tracker.current_slot_values(), conversation.language(tracker))
        dispatcher.utter_message(response="utter_registration_summary", summary=summary)
        return []


class ValidateSlotMappings(ValidationAction):
    """Runs after every user message: the reply language and whether this is SMS."""

    def extract_language(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """Switch language when the user asks, or (outside a form) writes in the other language."""
        text = conversation.latest_text(tracker)
        if text.startswith("EXTERNAL: "):
            # An intent the match worker triggered (Rasa's text for it is "EXTERNAL: <intent>"),
            # not the person's words: it says nothing about their language.
            return {}
        in_form = bool((tracker.active_loop or {}).get("name"))
        detected = requested_language(text) if in_form else detect_language(text)
        current = tracker.get_slot("language")
        stored = conversation.message_metadata(tracker).get("language")
        value = detected or current or (stored if stored in ("ar", "en") else "ar")
        return {"language": value}

    def validate_language(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """Remember a change of language on the contact, so the gateway passes it next time."""
        stored = conversation.message_metadata(tracker).get("language")
        contact = conversation.contact_id(tracker)
        if value in ("ar", "en") and value != stored and contact is not None:
            try:
                with deps.new_session() as session, session.begin():
                    set_language(session, contact, value)
            except (SQLAlchemyError, deps.NotConfigured):
                log.exception("could not store the language of contact %s", contact)
        return {"language": value}

    def extract_sms(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """True on SMS, where replies use the short variants."""
        channel = conversation.channel(tracker)
        if channel is None:
            return {}
        return {"sms": channel == "sms"}
