"""The search path against the real database and a real Matcher: replies by decision, never by candidate."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.actions.actions import ActionRematchSearch, ActionSubmitSearch
from bot.models import Contact, Escalation, Match, SearchRequest
from bot.reunion.texts import render
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


def _texts(messages) -> list[str]:
    return [m["text"] for m in messages]


def test_a_match_and_no_match_get_byte_identical_replies_and_nothing_is_decided_here(wired, contact, registry, domain):
    # FULL matches shelter-tal:1 exactly; OTHER has the same shape and matches nothing.
    other = {**FULL, "person_name": "سامر النجار", "father_name": "حسن", "governorate": "درعا"}
    matched, events = run(ActionSubmitSearch(), make_tracker(contact.id, "1", "affirm", slots=FULL), domain)
    unmatched, _ = run(ActionSubmitSearch(), make_tracker(contact.id, "1", "affirm", slots=other), domain)
    assert _texts(matched) == _texts(unmatched) == [render("search_received", "ar")]
    _assert_no_registry_content(matched, FULL)
    assert slot_events(events)["need_details"] is False
    with wired() as session:
        searches = session.execute(select(SearchRequest).order_by(SearchRequest.id)).scalars().all()
        assert [(s.contact_id, s.status, s.matched_at) for s in searches] == [(contact.id, "open", None)] * 2
        assert (searches[0].detention_place, searches[0].detention_date, searches[0].relationship) == ("حاجز القطيفة", "2013", "son")
        # The action decides nothing: the worker matches later, so the reply cannot depend on it.
        assert session.execute(select(Match)).first() is None
        assert session.get(Contact, contact.id).escalated is False


def test_the_details_question_follows_what_was_typed_never_the_registry(wired, contact, registry, domain):
    # NAMESAKE has two rows in the registry; LONELY has none; both lack the mother's name and year.
    lonely = {**NAMESAKE, "person_name": "سامر النجار", "father_name": "حسن", "governorate": "درعا"}
    namesakes, events = run(ActionSubmitSearch(), make_tracker(contact.id, "نعم", "affirm", slots=NAMESAKE, language="en"), domain)
    nobody, _ = run(ActionSubmitSearch(), make_tracker(contact.id, "نعم", "affirm", slots=lonely, language="en"), domain)
    assert _texts(namesakes) == _texts(nobody) == [render("search_received", "en"), render("search_more_details", "en")]
    assert "similar" not in " ".join(_texts(namesakes))
    slots = slot_events(events)
    assert slots["need_details"] is True and slots["mother_name"] is None and slots["birth_year"] is None
    with wired() as session:
        assert session.execute(select(Match)).first() is None
        assert session.execute(select(Escalation)).first() is None


def test_added_details_get_the_same_thanks_and_the_search_is_edited(wired, contact, registry, domain):
    _, events = run(ActionSubmitSearch(), make_tracker(contact.id, "نعم", "affirm", slots=NAMESAKE), domain)
    search_id = slot_events(events)["search_id"]
    tracker = make_tracker(contact.id, "١٩٨٥", "out_of_scope", slots={"search_id": search_id, "mother_name": "فاطمة", "birth_year": "1985"})
    separated, events = run(ActionRematchSearch(), tracker, domain)
    tracker = make_tracker(contact.id, "ما بعرف", "deny", slots={"search_id": search_id, "mother_name": "-", "birth_year": "-"})
    unknown, _ = run(ActionRematchSearch(), tracker, domain)
    assert _texts(separated) == _texts(unknown) == [render("search_details_added", "ar")]
    assert slot_events(events)["need_details"] is False
    with wired() as session:
        search = session.get(SearchRequest, int(search_id))
        assert (search.mother_name, search.birth_year) == ("فاطمة", 1985)
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
