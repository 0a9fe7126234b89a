"""The search path against the real database and a real Matcher: replies by decision, never by candidate."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.actions.actions import ActionRematchSearch, ActionSubmitSearch
from bot.models import Contact, Escalation, Match, SearchRequest
from tests.bot.actions.conftest import REGISTRY, make_tracker, responses, run, slot_events

FULL = {
    "person_name": "يوسف الحمصي",
    "father_name": "عبد الرحمن",
    "mother_name": "سعاد",
    "birth_year": "1979",
    "governorate": "حمص",
    "detention": "حاجز القطيفة 2013",
    "searcher_name": "أم يوسف",
    "relationship": "son",
    "search_confirm": True,
    "search_consent": True,
}
NAMESAKE = {**FULL, "person_name": "محمد الحسن", "father_name": "خالد", "mother_name": "-", "birth_year": "-", "governorate": "حلب"}


def _registry_values() -> set[str]:
    values = set()
    for row in REGISTRY:
        values |= {str(v) for k, v in row.items() if k != "record_id"}
    return values


def _assert_no_registry_content(messages, search_slots) -> None:
    """Nothing sent names a registry value the family did not type themselves."""
    typed = {str(v) for v in search_slots.values()}
    sent = json.dumps(messages, ensure_ascii=False)
    for value in _registry_values() - typed:
        assert value not in sent, f"registry value {value!r} leaked into a reply"


def test_match_records_awaiting_consent_and_says_only_possible_match(wired, contact, registry, domain):
    messages, events = run(ActionSubmitSearch(), make_tracker(contact.id, "1", "affirm", slots=FULL), domain)
    assert responses(messages) == ["utter_search_match"]
    assert all(set(m) <= {"response", "text", "buttons", "elements", "custom", "template", "image", "attachment", "response_kwargs"} for m in messages)
    _assert_no_registry_content(messages, FULL)
    assert slot_events(events)["need_details"] is False
    with wired() as session:
        search = session.execute(select(SearchRequest)).scalar_one()
        assert (search.contact_id, search.status, search.full_name, search.birth_year) == (contact.id, "matched", "يوسف الحمصي", 1979)
        assert (search.detention_place, search.detention_date, search.relationship) == ("حاجز القطيفة", "2013", "son")
        assert search.consent_at is not None
        match = session.execute(select(Match)).scalar_one()
        assert (match.status, match.decision, match.registry_record_id) == ("awaiting_consent", "match", registry["shelter-tal:1"])
        assert session.get(Contact, contact.id).escalated is False


def test_namesakes_ask_for_the_deciding_detail_first_without_escalating(wired, contact, domain):
    messages, events = run(ActionSubmitSearch(), make_tracker(contact.id, "نعم", "affirm", slots=NAMESAKE), domain)
    assert responses(messages) == ["utter_need_details"]
    _assert_no_registry_content(messages, NAMESAKE)
    slots = slot_events(events)
    # The two namesakes differ by mother (and year); the matcher names the mother, so only she is
    # asked (the form skips a slot marked "don't know").
    assert slots["need_details"] is True and slots["mother_name"] is None and slots["birth_year"] == "-"
    with wired() as session:
        search = session.execute(select(SearchRequest)).scalar_one()
        assert slots["search_id"] == search.id and search.status == "open"
        assert session.execute(select(Match)).first() is None
        assert session.execute(select(Escalation)).first() is None


def test_details_separate_the_namesakes_and_match(wired, contact, registry, domain):
    _, events = run(ActionSubmitSearch(), make_tracker(contact.id, "نعم", "affirm", slots=NAMESAKE), domain)
    search_id = slot_events(events)["search_id"]
    tracker = make_tracker(contact.id, "١٩٨٥", "out_of_scope", slots={"search_id": search_id, "mother_name": "فاطمة", "birth_year": "1985"})
    messages, events = run(ActionRematchSearch(), tracker, domain)
    assert responses(messages) == ["utter_search_match"]
    with wired() as session:
        match = session.execute(select(Match)).scalar_one()
        assert match.registry_record_id == registry["shelter-tal:2"] and match.status == "awaiting_consent"
        search = session.get(SearchRequest, int(search_id))
        assert (search.mother_name, search.birth_year) == ("فاطمة", 1985)


def test_still_ambiguous_goes_to_review_and_a_person(wired, contact, registry, domain):
    _, events = run(ActionSubmitSearch(), make_tracker(contact.id, "نعم", "affirm", slots=NAMESAKE), domain)
    tracker = make_tracker(contact.id, "ما بعرف", "deny", slots={"search_id": slot_events(events)["search_id"], "mother_name": "-", "birth_year": "-"})
    messages, _ = run(ActionRematchSearch(), tracker, domain)
    assert responses(messages) == ["utter_search_review"]
    _assert_no_registry_content(messages, NAMESAKE)
    with wired() as session:
        matches = session.execute(select(Match).order_by(Match.id)).scalars().all()
        assert {m.status for m in matches} == {"review"}
        assert {m.registry_record_id for m in matches} == {registry["shelter-tal:2"], registry["shelter-tal:3"]}
        escalation = session.execute(select(Escalation)).scalar_one()
        assert (escalation.reason, escalation.match_id) == ("review", matches[0].id)
        assert session.get(Contact, contact.id).escalated is True


def test_no_match_keeps_the_search_open(wired, contact, domain):
    slots = {**FULL, "person_name": "سامر النجار", "father_name": "حسن", "mother_name": "-", "birth_year": "-", "governorate": "درعا"}
    messages, _ = run(ActionSubmitSearch(), make_tracker(contact.id, "1", "affirm", slots=slots, language="en"), domain)
    assert responses(messages) == ["utter_search_no_match"]
    with wired() as session:
        assert session.execute(select(SearchRequest.status)).scalar_one() == "open"
        assert session.execute(select(Match)).first() is None


def test_no_consent_stores_nothing(wired, contact, domain):
    messages, events = run(ActionSubmitSearch(), make_tracker(contact.id, "2", "deny", slots={**FULL, "search_consent": False}), domain)
    assert responses(messages) == ["utter_search_not_kept"]
    assert slot_events(events)["person_name"] is None
    with wired() as session:
        assert session.execute(select(SearchRequest)).first() is None


def test_a_database_failure_is_a_kind_reply_not_a_crash(factory, contact, domain):
    # deps not configured: the action cannot reach the database
    messages, events = run(ActionSubmitSearch(), make_tracker(contact.id, "1", "affirm", slots=FULL), domain)
    assert responses(messages) == ["utter_service_error"]
    assert slot_events(events)["person_name"] is None
