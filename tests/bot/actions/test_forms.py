"""Form validation: every answer read or kindly re-asked, a person offered after three misses, language kept."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import (
    ActionAskRegistrationConfirm,
    ActionAskSearchConfirm,
    ValidateRegistrationForm,
    ValidateSearchForm,
    ValidateSlotMappings,
)
from bot.models import Contact
from tests.bot.actions.conftest import make_tracker, responses, run, slot_events

# (slot, what the person typed, value kept or None for a kind re-ask)
SEARCH_CASES = [
    ("person_name", "محمد أحمد العلي", "محمد أحمد العلي"),
    ("person_name", "Mo7ammad 3ali", "Mo7ammad 3ali"),
    ("person_name", "محمد", None),  # one word is not a full name
    ("person_name", "12345", None),
    ("person_name", "؟؟؟!!!", None),
    ("person_name", "نعم", None),
    ("father_name", "ما بعرف", "-"),
    ("father_name", "أحمد", "أحمد"),
    ("mother_name", "فاطمة الزهراء", "فاطمة الزهراء"),
    ("mother_name", "don't know", "-"),
    ("birth_year", "مواليد ١٩٨٥", "1985"),
    ("birth_year", "1985", "1985"),
    ("birth_year", "born in ۱۹۹۰", "1990"),
    ("birth_year", "ما بعرف", "-"),
    ("birth_year", "banana", None),
    ("birth_year", "2030", None),
    ("governorate", "من حمص", "حمص"),
    ("governorate", "Deir ez-Zor", "دير الزور"),
    ("governorate", "dar3a", "درعا"),
    ("governorate", "ريف الشام", "ريف دمشق"),
    ("governorate", "القمر", None),
    ("detention", "تخطي", "-"),
    ("detention", "فرع فلسطين 2014", "فرع فلسطين 2014"),
    ("detention", "!!!", None),
    ("searcher_name", "Umm Youssef", "Umm Youssef"),
    ("relationship", "أخوه", "brother"),
    ("relationship", "my son", "parent"),  # the searcher's role: "my son" makes them a parent
    ("relationship", "جاره", "جاره"),
    ("search_confirm", "١", True),
    ("search_confirm", "ايه صح", True),
    ("search_confirm", "كرتونة", None),
    ("search_consent", "yes", True),
    ("search_consent", "2", False),
]


def _validate(action, slot, value, tracker, domain):
    dispatcher = CollectingDispatcher()
    result = getattr(action, f"validate_{slot}")(value, dispatcher, tracker, domain)
    return dispatcher.messages, result


@pytest.mark.parametrize(("slot", "typed", "expected"), SEARCH_CASES)
def test_search_answers(domain, slot, typed, expected):
    messages, result = _validate(ValidateSearchForm(), slot, typed, make_tracker(7, typed, "out_of_scope"), domain)
    assert result[slot] == expected
    if expected is None:
        assert responses(messages) and responses(messages)[0].startswith("utter_invalid_")
        assert result["failed_asks"] == 1.0
    else:
        assert messages == [] and result["failed_asks"] == 0.0


def test_a_person_is_offered_after_three_failed_re_asks(domain):
    action = ValidateSearchForm()
    tracker = make_tracker(7, "xx", "out_of_scope", slots={"failed_asks": 2.0})
    messages, result = _validate(action, "birth_year", "xx", tracker, domain)
    assert responses(messages) == ["utter_invalid_year", "utter_offer_human"]
    assert result == {"birth_year": None, "failed_asks": 0.0, "pending_answer": None}


def test_no_to_the_summary_asks_what_to_change_and_re_asks_only_that(domain):
    full = {"person_name": "خالد العلي", "father_name": "أحمد", "mother_name": "سوسن", "birth_year": "1982",
            "governorate": "حمص", "detention": "-", "searcher_name": "سوسن", "relationship": "mother"}
    messages, result = _validate(ValidateSearchForm(), "search_confirm", "لا", make_tracker(7, "لا", "deny", slots=full), domain)
    assert messages == [] and result == {"search_confirm": None, "fix_field_asked": True, "failed_asks": 0.0}
    # The question: the numbered fields, not the summary and not the nine questions again.
    tracker = make_tracker(7, "لا", "deny", slots=full | {"fix_field_asked": True})
    messages, _events = run(ActionAskSearchConfirm(), tracker, domain)
    assert messages[0]["response"] == "utter_ask_which_field"
    assert messages[0]["fields"].splitlines()[:3] == ["1 الاسم", "2 اسم الأب", "3 اسم الأم"]
    # "3" (also the menu's "talk to a person") picks the mother's name: only that slot is emptied.
    messages, result = _validate(ValidateSearchForm(), "search_confirm", "3", make_tracker(7, "3", "request_human", slots=full | {"fix_field_asked": True}), domain)
    assert result == {"mother_name": None, "search_confirm": None, "fix_field_asked": False, "failed_asks": 0.0}
    assert messages == []


def test_a_field_number_out_of_range_is_asked_again(domain):
    tracker = make_tracker(7, "9", "out_of_scope", slots={"fix_field_asked": True})
    messages, result = _validate(ValidateSearchForm(), "search_confirm", "9", tracker, domain)
    assert responses(messages) == ["utter_invalid_field"] and result["search_confirm"] is None


def test_the_homs_mother_answers_are_read(domain):
    """The answers of issue 17's demo, each read into the value the search needs."""
    action = ValidateSearchForm()
    _m, result = _validate(action, "father_name", "ابوه عبدالقادر الله يرحمو", make_tracker(7, "ابوه عبدالقادر الله يرحمو", "out_of_scope"), domain)
    assert result["father_name"] == "عبدالقادر"
    assert result["raw_answers"] == {"father_name": "ابوه عبدالقادر الله يرحمو"}  # kept for operators
    tracker = make_tracker(7, "انا امو، اسمي سوسن", "out_of_scope", slots={"relationship": "parent"})
    _m, result = _validate(action, "mother_name", "انا امو، اسمي سوسن", tracker, domain)
    assert (result["mother_name"], result["relationship"], result["searcher_name"]) == ("سوسن", "mother", "سوسن")
    _m, result = _validate(action, "birth_year", "مواليد ٨٢", make_tracker(7, "مواليد ٨٢", "out_of_scope"), domain)
    assert result["birth_year"] == "1982"
    _m, result = _validate(action, "relationship", "ana emmo", make_tracker(7, "ana emmo", "out_of_scope"), domain)
    assert result["relationship"] == "mother"


def test_an_unsure_reading_is_confirmed_in_one_question(domain):
    action = ValidateSearchForm()
    messages, result = _validate(action, "father_name", "ابو محمد", make_tracker(7, "ابو محمد", "out_of_scope"), domain)
    assert messages == [{"response": "utter_confirm_value", "value": "ابو محمد"} | {k: v for k, v in messages[0].items() if k not in ("response", "value")}]
    assert result["father_name"] is None and result["pending_answer"]["value"] == "ابو محمد"
    pending = {"pending_answer": result["pending_answer"]}
    _m, yes = _validate(action, "father_name", "1", make_tracker(7, "1", "search_person", slots=pending), domain)
    assert yes["father_name"] == "ابو محمد" and yes["pending_answer"] is None
    messages, no = _validate(action, "father_name", "لا", make_tracker(7, "لا", "deny", slots=pending), domain)
    assert no == {"father_name": None, "pending_answer": None} and responses(messages) == ["utter_write_again"]
    _m, other = _validate(action, "father_name", "عبدالقادر", make_tracker(7, "عبدالقادر", "out_of_scope", slots=pending), domain)
    assert other["father_name"] == "عبدالقادر"


def test_a_refusal_mid_form_pauses_kindly_without_counting_a_miss(domain):
    tracker = make_tracker(7, "ما بدي احكي بهالموضوع", "deny", slots={"failed_asks": 2.0})
    messages, result = _validate(ValidateSearchForm(), "mother_name", "ما بدي احكي بهالموضوع", tracker, domain)
    assert responses(messages) == ["utter_form_paused"]
    assert result == {"mother_name": None, "pending_answer": None}  # no "failed_asks": no escalation for it


def test_a_free_text_stop_mid_form_asks_and_stores_nothing(domain):
    tracker = make_tracker(7, "ما بدي رسائل", "stop")
    messages, result = _validate(ValidateSearchForm(), "father_name", "ما بدي رسائل", tracker, domain)
    assert responses(messages) == ["utter_ask_stop_confirm"] and result["father_name"] is None


def test_the_form_runs_with_the_real_domain(domain):
    """FormValidationAction.run validates the slot the form just filled, as Rasa calls it."""
    tracker = make_tracker(7, "مواليد ١٩٨٥", "out_of_scope", active_loop="search_form", slots={"requested_slot": "birth_year"})
    tracker.events.append({"event": "slot", "name": "birth_year", "value": "مواليد ١٩٨٥"})
    tracker.slots["birth_year"] = "مواليد ١٩٨٥"
    messages, events = run(ValidateSearchForm(), tracker, domain)
    assert slot_events(events)["birth_year"] == "1985"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1", "+963944123456"),  # the sender's own WhatsApp number
        ("نعم", "+963944123456"),
        ("0933 123 456", "+963933123456"),
        ("٠٩٣٣١٢٣٤٥٦", "+963933123456"),
        ("+90 532 123 45 67", "+905321234567"),
        ("00961 3 123 456", "+9613123456"),
        ("+962 79 123 4567", "+962791234567"),
        ("+49 1512 3456789", "+4915123456789"),
        ("12", None),
        ("رقم اخي", None),
    ],
)
def test_callback_numbers(wired, contact, domain, typed, expected):
    messages, result = _validate(ValidateRegistrationForm(), "callback_number", typed, make_tracker(contact.id, typed, "affirm"), domain)
    assert result["callback_number"] == expected
    assert (responses(messages) == ["utter_invalid_phone"]) == (expected is None)


def test_the_simulator_has_no_number_to_default_to(wired, factory, domain):
    from bot.contacts import get_or_create_contact

    with factory() as session, session.begin():
        sim = get_or_create_contact(session, "sim", "phone-a")
    _, result = _validate(ValidateRegistrationForm(), "callback_number", "1", make_tracker(sim.id, "1", "affirm", metadata={"channel": "sim"}), domain)
    assert result["callback_number"] is None


@pytest.mark.parametrize(("typed", "policy"), [("1", "share_number"), ("٢", "safe_only"), ("3", "nobody"), ("tell them I'm safe", "safe_only"), ("لا تخبر حدا", "nobody"), ("5", None), ("موز", None)])
def test_share_policy(domain, typed, policy):
    _, result = _validate(ValidateRegistrationForm(), "share_policy", typed, make_tracker(7, typed, "affirm"), domain)
    assert result["share_policy"] == policy


def test_summaries_show_what_the_person_typed_in_their_language(domain):
    slots = {"person_name": "Youssef Al-Homsi", "father_name": "-", "mother_name": "Suad", "birth_year": "1979",
             "governorate": "حمص", "searcher_name": "Rania", "relationship": "sister", "detention": "-"}
    messages, _ = run(ActionAskSearchConfirm(), make_tracker(7, "Rania", "out_of_scope", slots=slots, language="en"), domain)
    summary = messages[0]["summary"]
    assert messages[0]["response"] == "utter_search_summary"
    assert "Youssef Al-Homsi" in summary and "Governorate: Homs" in summary and "Father: not known" in summary
    assert "You: Rania (sister)" in summary
    reg = {**slots, "callback_number": "+905321234567", "share_policy": "nobody"}
    messages, _ = run(ActionAskRegistrationConfirm(), make_tracker(7, "3", "out_of_scope", slots=reg), domain)
    assert "المحافظة: حمص" in messages[0]["summary"] and "لا تخبر أحداً" in messages[0]["summary"]


def _mappings(tracker, domain):
    return asyncio.run(ValidateSlotMappings().run(CollectingDispatcher(), tracker, domain))


def test_language_follows_what_the_user_writes_and_is_stored(wired, contact, domain):
    events = _mappings(make_tracker(contact.id, "hello, I need help", "greet", slots={"language": "ar"}), domain)
    assert slot_events(events)["language"] == "en"
    with wired() as session:
        assert session.get(Contact, contact.id).language == "en"


def test_language_keeps_the_stored_preference_when_the_message_gives_no_sign(wired, contact, domain):
    tracker = make_tracker(contact.id, "١", "search_person", slots={"language": None}, language="en")
    assert slot_events(_mappings(tracker, domain))["language"] == "en"


def test_a_name_typed_in_arabic_inside_a_form_does_not_switch_an_english_reader(wired, contact, domain):
    tracker = make_tracker(contact.id, "فاطمة", "out_of_scope", slots={"language": "en"}, active_loop="search_form", language="en")
    assert slot_events(_mappings(tracker, domain))["language"] == "en"
    tracker = make_tracker(contact.id, "بالعربي لو سمحت", "help", slots={"language": "en"}, active_loop="search_form", language="en")
    assert slot_events(_mappings(tracker, domain))["language"] == "ar"


def test_arabizi_gets_arabizi_replies_and_sms_uses_short_replies(wired, contact, domain):
    tracker = make_tracker(contact.id, "bdi dawer 3a a5i", "search_person", slots={"language": "en"}, metadata={"channel": "sms"}, language="en")
    slots = slot_events(_mappings(tracker, domain))
    assert slots["language"] == "az" and slots["sms"] is True
    with wired() as session:
        assert session.get(Contact, contact.id).language == "az"  # the gateway answers STOP in Arabizi too


def test_an_arabizi_conversation_keeps_its_script(wired, contact, domain):
    """English words inside Arabizi ("thanks", "ok", a Latin name in a form) do not switch to English;
    a whole English sentence or a request for a language does."""
    for text, loop, expected in [("thanks", None, "az"), ("ok", None, "az"), ("Ahmad Kassem", "search_form", "az"),
                                 ("1", None, "az"), ("I would like to continue in English", None, "en"),
                                 ("بدي دور على اخي", None, "ar"), ("3arabi law sama7t", None, "ar")]:
        tracker = make_tracker(contact.id, text, "out_of_scope", slots={"language": "az"}, active_loop=loop, language="az")
        assert slot_events(_mappings(tracker, domain))["language"] == expected, text


def test_an_arabizi_writer_is_offered_english_once(domain):
    action = ValidateSlotMappings()
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(7, "ana emmo, baddi dawer 3a ibni", "search_person")
    assert action.extract_arabizi_offered(dispatcher, tracker, domain) == {"arabizi_offered": True}
    assert responses(dispatcher.messages) == ["utter_arabizi_choice"]
    again = CollectingDispatcher()
    offered = make_tracker(7, "shu sar", "check_status", slots={"arabizi_offered": True})
    assert action.extract_arabizi_offered(again, offered, domain) == {} and again.messages == []
    arabic = CollectingDispatcher()
    assert action.extract_arabizi_offered(arabic, make_tracker(7, "بدي دور على ابني", "search_person"), domain) == {}


def test_the_search_starts_knowing_the_searcher_is_a_parent(domain):
    from bot.actions.actions import ActionResetForms

    _messages, events = run(ActionResetForms(), make_tracker(7, "بدي دور على ابني", "search_person"), domain)
    assert slot_events(events)["relationship"] == "parent"
    # Her own name then makes her the mother.
    _m, result = _validate(ValidateSearchForm(), "searcher_name", "سوسن", make_tracker(7, "سوسن", "out_of_scope", slots={"relationship": "parent"}), domain)
    assert (result["searcher_name"], result["relationship"]) == ("سوسن", "mother")
