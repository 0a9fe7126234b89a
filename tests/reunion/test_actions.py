"""The reunion actions with a CollectingDispatcher and saved tracker states, on the real databases."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import sessionmaker

from bot.actions import deps
from bot.actions.reunion import (
    ActionAskConsentChoice,
    ActionOpenConsent,
    ActionRecordConsent,
    ActionVerifyCode,
    ValidateConsentForm,
)
from bot.models import Match, Registration
from bot.reunion.verification import register
from matching.engine import Matcher
from tests.reunion.conftest import PERSON, code_sent_to, contact, registered, search


@pytest.fixture
def wired(factory: sessionmaker) -> Iterator[sessionmaker]:
    """deps configured with the test database."""
    deps.configure(factory, Matcher())
    yield factory
    deps.reset()


def tracker(contact_id: int, text: str = "", *, intent: str = "affirm", slots: dict[str, Any] | None = None,
            entities: list[dict[str, Any]] | None = None, language: str = "ar") -> Tracker:
    """A tracker whose latest message came through the gateway with its metadata."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or [],
              "metadata": {"channel": "sms", "contact_id": contact_id, "language": language}}
    return Tracker(str(contact_id), {"language": language, **(slots or {})}, latest, [], False, None,
                   {"name": "consent_form"}, "action_listen")


def run(action, t: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return events, dispatcher.messages


def test_open_consent_takes_the_match_from_the_external_intent(wired):
    events, said = run(ActionOpenConsent(), tracker(5, intent="EXTERNAL_consent_request", entities=[{"entity": "match_id", "value": "12"}]))
    assert events == [SlotSet("consent_match_id", "12"), SlotSet("consent_choice", None)] and said == []


def test_the_question_is_not_repeated_on_the_trigger_but_is_on_a_bad_answer(wired):
    _, said = run(ActionAskConsentChoice(), tracker(5, intent="EXTERNAL_consent_request"))
    assert said == []
    _, said = run(ActionAskConsentChoice(), tracker(5, "ممكن بعدين", intent="out_of_scope", language="en"))
    assert [m["text"] for m in said] == ["Please reply 1, 2 or 3."]


@pytest.mark.parametrize(("text", "slot"), [("١", "1"), ("2", "2"), ("لا", "3"), ("نعم", "1"), ("maybe", None)])
def test_validate_consent_choice(wired, text, slot):
    result = ValidateConsentForm().validate_consent_choice(text, CollectingDispatcher(), tracker(5, text), {})
    assert result == {"consent_choice": slot}


def test_record_consent_stores_the_choice_of_the_right_person(factory, wired, worker, config):
    family = contact(factory, "+963944000801")
    detainee = contact(factory, "+963955000802")
    stranger = contact(factory, "+963955000803")
    search(factory, family, config)
    registered(factory, detainee, config)
    worker.step()
    with factory() as session:
        match_id = session.query(Match).one().id
    # Someone else's conversation cannot answer this question.
    events, _ = run(ActionRecordConsent(), tracker(stranger, "1", slots={"consent_choice": "1", "consent_match_id": str(match_id)}))
    assert ActiveLoop(None) in events
    with factory() as session:
        assert session.get(Match, match_id).status == "awaiting_consent"
    events, said = run(ActionRecordConsent(), tracker(detainee, "1", slots={"consent_choice": "1", "consent_match_id": str(match_id)}))
    assert said == [] and SlotSet("consent_match_id", None) in events
    with factory() as session:
        assert session.get(Match, match_id).status == "shared"


def test_verify_code_from_another_phone(factory, wired, config):
    detainee = contact(factory, "+963955000811")
    with factory() as session, session.begin():
        done = register(session, detainee, callback="+963944222333", **PERSON)
    volunteer = done.code_contact_id
    assert volunteer is not None
    code = code_sent_to(factory, volunteer)
    _, said = run(ActionVerifyCode(), tracker(volunteer, f"الكود {code}", intent="enter_code"))
    assert said[0]["text"] == "شكراً، تم تأكيد الرمز."
    with factory() as session:
        assert session.get(Registration, done.registration.id).status == "active"
    _, said = run(ActionVerifyCode(), tracker(volunteer, code, intent="enter_code"))
    assert said[0]["text"].startswith("هذا الرمز غير صحيح")  # a code works once


def test_verify_code_without_a_code_falls_back(wired):
    events, said = run(ActionVerifyCode(), tracker(5, "شو في جديد", intent="enter_code"))
    assert events == [FollowupAction("action_fallback")] and said == []


def test_refusal_before_the_assistant_stores_a_sixth_search(factory, wired, config):
    from bot.actions.reunion import refusal

    family = contact(factory, "+963944000901")
    names = ["رامي حسين عمر", "سمير خالد النجار", "ياسر محمود العلي", "هيثم جميل الخطيب", "وليد سعيد الحمصي", "ماهر عادل الشامي"]
    for name in names[:5]:
        search(factory, family, config, full_name=name, father_name=None)
    slots = {"person_name": names[5], "father_name": "-", "mother_name": "سعاد", "birth_year": "1970", "detention": "-"}
    with factory() as session, session.begin():
        assert refusal(session, family, slots) is not None and "حد البحث اليومي" in refusal(session, family, slots)
    other = contact(factory, "+963944000902")
    with factory() as session, session.begin():
        assert refusal(session, other, slots) is None


def test_the_workers_external_intent_does_not_change_the_language(wired):
    from bot.actions.forms import ValidateSlotMappings

    t = tracker(5, "EXTERNAL: EXTERNAL_consent_request", intent="EXTERNAL_consent_request")
    assert ValidateSlotMappings().extract_language(CollectingDispatcher(), t, {}) == {}


def test_three_is_an_answer_but_asking_for_a_person_goes_to_one(factory, wired):
    from bot.models import Contact

    person = contact(factory, "+963955000911")
    result = ValidateConsentForm().validate_consent_choice("3", CollectingDispatcher(), tracker(person, "3", intent="request_human"), {})
    assert result == {"consent_choice": "3"}
    dispatcher = CollectingDispatcher()
    t = tracker(person, "بدي احكي مع حدا", intent="request_human")
    assert ValidateConsentForm().validate_consent_choice("بدي احكي مع حدا", dispatcher, t, {}) == {"consent_choice": None}
    assert [m["response"] for m in dispatcher.messages] == ["utter_escalated"]
    with factory() as session:
        assert session.get(Contact, person).escalated
    _, said = run(ActionAskConsentChoice(), t)
    assert said == []


def test_the_assistants_submit_action_refuses_the_sixth_search(factory, wired):
    from bot.actions.actions import ActionSubmitSearch
    from bot.models import SearchRequest

    family = contact(factory, "+963944000921")
    names = ["رامي حسين عمر", "سمير خالد النجار", "ياسر محمود العلي", "هيثم جميل الخطيب", "وليد سعيد الحمصي", "ماهر عادل الشامي"]
    said = []
    for name in names:
        slots = {"person_name": name, "father_name": "-", "mother_name": "سعاد", "birth_year": "1970", "governorate": "حلب",
                 "detention": "-", "searcher_name": "سامر", "relationship": "brother", "search_confirm": True, "search_consent": True}
        _, said = run(ActionSubmitSearch(), tracker(family, "نعم", slots=slots))
    assert [m.get("text") for m in said] == ["وصلت إلى حد البحث اليومي (5). بحوثك السابقة ما زالت مفتوحة. حاول غداً أو اطلب الحديث مع شخص."]
    with factory() as session:
        assert session.query(SearchRequest).count() == 5
