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
from nlu.answers import ROLES, Reading, name_is_female, read_birth_year, refine_role
from nlu.keywords import is_refusal, yes_no
from nlu.text import REPLY_LANGUAGES, is_arabizi, menu_choice, reply_language, requested_language

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

#: Slots that carry a form's bookkeeping: the words typed, a reading waiting for a yes, the field list.
FORM_STATE_SLOTS = ("raw_answers", "pending_answer", "fix_field_asked")

#: The fields "no" at the confirmation offers to change, in the order of the numbered list.
SEARCH_FIELDS = ("person_name", "father_name", "mother_name", "birth_year", "governorate", "detention", "searcher_name", "relationship")
REGISTRATION_FIELDS = ("person_name", "father_name", "mother_name", "birth_year", "governorate", "callback_number", "share_policy")

Slots = dict[str, Any]


def _failed(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, response: str) -> Slots:
    """A kind re-ask; after three in a row, also offer a person."""
    misses = int(tracker.get_slot("failed_asks") or 0) + 1
    dispatcher.utter_message(response=response)
    if misses >= OFFER_HUMAN_AFTER:
        dispatcher.utter_message(response="utter_offer_human")
        misses = 0
    return {slot: None, "failed_asks": float(misses), "pending_answer": None}


def _ok(slot: str, value: Any) -> Slots:
    return {slot: value, "failed_asks": 0.0}


def _with_raw(tracker: Tracker, slot: str, reading: Reading, value: Any) -> Slots:
    """The raw_answers slot with this answer's words when they differ from the value kept."""
    raw = dict(tracker.get_slot("raw_answers") or {})
    if reading.raw and reading.raw != str(value):
        raw[slot] = reading.raw
    else:
        raw.pop(slot, None)
    return {"raw_answers": raw or None}


def _take(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, reading: Reading, invalid: str, value: Any = None) -> Slots:
    """Store a reading: sure ones at once, unsure ones after a yes to one short question.

    A refusal ("ما بدي احكي بهالموضوع") pauses kindly; a reading waiting for its yes is taken
    with "1"/"نعم", dropped with "2"/"لا" (the question is asked again), or replaced by a new answer.
    """
    text = reading.raw
    if conversation.latest_intent(tracker) == "stop":
        # "ما بدي رسائل" mid-form: asked first, never stored as an answer, never an opt-out.
        dispatcher.utter_message(response="utter_ask_stop_confirm")
        return {slot: None, "pending_answer": None}
    if is_refusal(text):
        dispatcher.utter_message(response="utter_form_paused")
        return {slot: None, "pending_answer": None}
    pending = tracker.get_slot("pending_answer")
    if isinstance(pending, dict) and pending.get("slot") == slot:
        answer = yes_no(text)
        if answer is True:
            kept = Reading(pending.get("value"), str(pending.get("raw") or ""))
            return _ok(slot, kept.value) | {"pending_answer": None} | _with_raw(tracker, slot, kept, kept.value)
        if answer is False:
            dispatcher.utter_message(response="utter_write_again")
            return {slot: None, "pending_answer": None}
    if reading.value is None:
        return _failed(dispatcher, tracker, slot, invalid)
    stored = reading.value if value is None else value
    if not reading.sure:
        dispatcher.utter_message(response="utter_confirm_value", value=str(stored))
        return {slot: None, "pending_answer": {"slot": slot, "value": stored, "raw": reading.raw}}
    return _ok(slot, stored) | {"pending_answer": None} | _with_raw(tracker, slot, reading, stored)


def _text(value: Any, tracker: Tracker) -> str:
    """The answer's words: the latest message when the slot holds it, else the value."""
    latest = conversation.latest_text(tracker)
    return latest if latest.strip() and str(value or "").strip() == latest.strip() else str(value or "")


class _IdentityValidation(FormValidationAction):
    """The identifying questions shared by the search and the registration."""

    #: Whether an answer that says the searcher's role ("انا امو") fills the relationship too.
    takes_role = False

    @abstractmethod
    def name(self) -> str:  # pragma: no cover - abstract
        # Abstract, so rasa_sdk's executor skips this base when it registers every Action subclass.
        raise NotImplementedError

    def _role_events(self, tracker: Tracker, slot: str, reading: Reading, result: Slots) -> Slots:
        """"انا امو، اسمي سوسن" as the mother's name: the searcher is the mother, named سوسن."""
        role = reading.role
        if not self.takes_role or not role or result.get(slot) in (None, parsing.UNKNOWN):
            return result
        current = tracker.get_slot("relationship")
        if current in (None, "parent", "sibling", "child", "spouse") or current == role:
            result = result | {"relationship": role}
        mine = {"mother_name": "mother", "father_name": "father"}.get(slot)
        if mine == role and not tracker.get_slot("searcher_name"):
            result = result | {"searcher_name": result[slot]}
        return result

    def _name(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, **kw: Any) -> Slots:
        reading = parsing.read_name_answer(_text(value, tracker), **kw)
        result = _take(dispatcher, tracker, slot, reading, "utter_invalid_name")
        return self._role_events(tracker, slot, reading, result)

    def validate_person_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """The full name: at least two words in letters (a family name such as أبو زيد kept)."""
        return self._name("person_name", value, dispatcher, tracker, min_words=2, kunya_allowed=True)

    def validate_father_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """The father's name, or "don't know"."""
        return self._name("father_name", value, dispatcher, tracker, allow_unknown=True)

    def validate_mother_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """The mother's name, or "don't know"."""
        return self._name("mother_name", value, dispatcher, tracker, allow_unknown=True)

    def validate_birth_year(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """A year ("مواليد ٨٢", "around 1980") or an age in any digits, or "don't know"."""
        reading = read_birth_year(_text(value, tracker))
        stored = str(reading.value) if reading.value is not None else None
        return _take(dispatcher, tracker, "birth_year", reading, "utter_invalid_year", stored)

    def validate_governorate(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """One of the 14 governorates in either script, or "don't know"."""
        text = _text(value, tracker)
        reading = Reading(parsing.parse_governorate(text), " ".join(text.split()))
        return _take(dispatcher, tracker, "governorate", reading, "utter_invalid_governorate")


def _fix_choice(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, value: Any, fields: tuple[str, ...]) -> Slots | None:
    """The answer to "what should change?": that field emptied (the form asks it again), or None."""
    if not tracker.get_slot("fix_field_asked"):
        return None
    text = _text(value, tracker)
    choice = menu_choice(text)
    if choice is not None and 1 <= choice <= len(fields):
        return {fields[choice - 1]: None, slot: None, "fix_field_asked": False, "failed_asks": 0.0}
    if yes_no(text) is True:
        return _ok(slot, True) | {"fix_field_asked": False}
    return _failed(dispatcher, tracker, slot, "utter_invalid_field") | {slot: None}


class ValidateSearchForm(_IdentityValidation):
    """The family's search: identity, detention, the searcher, a confirmed summary and consent."""

    takes_role = True

    def name(self) -> str:
        """The action Rasa calls to validate search_form."""
        return "validate_search_form"

    def validate_detention(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """Where and when (optional): any words, or "skip"."""
        text = _text(value, tracker)
        if is_refusal(text):
            dispatcher.utter_message(response="utter_form_paused")
            return {"detention": None}
        answer = parsing.parse_detention(text)
        return _ok("detention", answer) if answer else _failed(dispatcher, tracker, "detention", "utter_invalid_text")

    def validate_searcher_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """The family member's own name; a woman's or man's given name makes "parent" mother or father."""
        # "أم يوسف" is how many mothers name themselves: a kunya is the searcher's name here.
        reading = parsing.read_name_answer(_text(value, tracker), kunya_is_name=True)
        result = _take(dispatcher, tracker, "searcher_name", reading, "utter_invalid_name")
        result = self._role_events(tracker, "searcher_name", reading, result)
        name = result.get("searcher_name")
        current = result.get("relationship", tracker.get_slot("relationship"))
        refined = refine_role(current, name_is_female(name)) if name else current
        if refined != current:
            result = result | {"relationship": refined}
        return result

    def validate_relationship(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """The searcher's role: mother, brother… (said either way round), or the words as written."""
        text = _text(value, tracker)
        if text in ROLES:
            return _ok("relationship", text)
        if is_refusal(text):
            dispatcher.utter_message(response="utter_form_paused")
            return {"relationship": None}
        female = name_is_female(tracker.get_slot("searcher_name"))
        relation = parsing.parse_relationship(text, searcher_female=female)
        return _ok("relationship", relation) if relation else _failed(dispatcher, tracker, "relationship", "utter_invalid_text")

    def validate_search_confirm(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """Yes keeps going; no asks which one detail to change, and only that one is asked again."""
        fixed = _fix_choice(dispatcher, tracker, "search_confirm", value, SEARCH_FIELDS)
        if fixed is not None:
            return fixed
        answer = parsing.parse_yes_no(_text(value, tracker), conversation.latest_intent(tracker))
        if answer is None:
            return _failed(dispatcher, tracker, "search_confirm", "utter_invalid_yes_no")
        if answer is False:
            return {"search_confirm": None, "fix_field_asked": True, "failed_asks": 0.0}
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
        """Yes stores the registration; no asks which one detail to change."""
        fixed = _fix_choice(dispatcher, tracker, "registration_confirm", value, REGISTRATION_FIELDS)
        if fixed is not None:
            return fixed
        answer = parsing.parse_yes_no(_text(value, tracker), conversation.latest_intent(tracker))
        if answer is None:
            return _failed(dispatcher, tracker, "registration_confirm", "utter_invalid_yes_no")
        if answer is False:
            return {"registration_confirm": None, "fix_field_asked": True, "failed_asks": 0.0}
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
        """Sends the summary in the reply language, or the numbered fields after a "no"."""
        language = conversation.language(tracker)
        if tracker.get_slot("fix_field_asked"):
            dispatcher.utter_message(response="utter_ask_which_field", fields=parsing.field_list(SEARCH_FIELDS, language))
            return []
        summary = parsing.search_summary(tracker.current_slot_values(), language, sms=bool(tracker.get_slot("sms")))
        dispatcher.utter_message(response="utter_search_summary", summary=summary)
        return []


class ActionAskRegistrationConfirm(Action):
    """Shows the registration's summary and asks whether it is right."""

    def name(self) -> str:
        """Rasa calls this to ask for registration_confirm."""
        return "action_ask_registration_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Sends the summary in the reply language, or the numbered fields after a "no"."""
        language = conversation.language(tracker)
        if tracker.get_slot("fix_field_asked"):
            dispatcher.utter_message(response="utter_ask_which_field", fields=parsing.field_list(REGISTRATION_FIELDS, language))
            return []
        summary = parsing.registration_summary(tracker.current_slot_values(), language, sms=bool(tracker.get_slot("sms")))
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
        current = tracker.get_slot("language")
        stored = conversation.message_metadata(tracker).get("language")
        current = current or (stored if stored in REPLY_LANGUAGES else None)
        # Inside a form the answers are names and places: only an explicit request changes the
        # language there ("English", "بالعربي", "arabizi"). Outside, the script of each message does.
        detected = requested_language(text) if in_form else reply_language(text, current)
        return {"language": detected or current or "ar"}

    def extract_arabizi_offered(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """Someone writing Arabizi is told once that we answer in Arabizi, and offered Arabic letters or English."""
        if tracker.get_slot("arabizi_offered") or tracker.get_slot("language") == "en":
            return {}
        if not is_arabizi(conversation.latest_text(tracker)):
            return {}
        dispatcher.utter_message(response="utter_arabizi_choice")
        return {"arabizi_offered": True}

    def validate_language(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """Remember a change of language on the contact, so the gateway passes it next time."""
        stored = conversation.message_metadata(tracker).get("language")
        contact = conversation.contact_id(tracker)
        if value in REPLY_LANGUAGES and value != stored and contact is not None:
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
