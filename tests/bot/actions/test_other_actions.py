"""Escalation, fallback, opt-out, status, delete and registration actions against the real database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.actions.actions import (
    SIGNAL_ESCALATED,
    SIGNAL_OPTED_OUT,
    ActionCheckStatus,
    ActionDeleteData,
    ActionEscalate,
    ActionFallback,
    ActionStop,
    ActionSubmitRegistration,
    ActionSubmitSearch,
)
from bot.models import AuditEvent, Contact, Escalation, Registration
from tests.bot.actions.conftest import make_tracker, responses, run
from tests.bot.actions.test_search_actions import FULL, NAMESAKE


@pytest.mark.parametrize(
    ("text", "reason", "response"),
    [
        ("بدي احكي مع شخص", "requested", "utter_escalated"),
        ("talk to a person", "requested", "utter_escalated"),
        ("٣", "requested", "utter_escalated"),
        ("بدي موت، ما عاد فيني", "distress", "utter_distress"),
        ("عذبوه بالسجن وانا خايفة", "distress", "utter_distress"),
        ("I want to kill myself", "distress", "utter_distress"),
    ],
)
def test_escalation_records_why_and_answers_once(wired, contact, domain, text, reason, response):
    messages, _ = run(ActionEscalate(), make_tracker(contact.id, text, "request_human"), domain)
    assert responses(messages) == [response]
    assert {"custom": SIGNAL_ESCALATED} in [{"custom": m.get("custom")} for m in messages]
    with wired() as session:
        assert session.get(Contact, contact.id).escalated is True
        assert session.execute(select(Escalation.reason)).scalar_one() == reason


def _user(intent: str) -> dict:
    return {"event": "user", "text": "x", "parse_data": {"intent": {"name": intent}}}


def test_first_failed_turn_is_a_kind_reply_with_the_menu(wired, contact, domain):
    events = [_user("greet"), {"event": "bot", "text": "..."}]
    messages, _ = run(ActionFallback(), make_tracker(contact.id, "asdfgh", "nlu_fallback", events=events), domain)
    assert responses(messages) == ["utter_fallback", "utter_menu"]
    with wired() as session:
        assert session.get(Contact, contact.id).escalated is False


def test_out_of_scope_says_what_we_do(wired, contact, domain):
    messages, _ = run(ActionFallback(), make_tracker(contact.id, "tell me a joke", "out_of_scope"), domain)
    assert responses(messages) == ["utter_out_of_scope", "utter_menu"]


def test_second_failed_turn_offers_a_person_and_the_third_escalates(wired, contact, domain):
    events = [_user("greet"), _user("out_of_scope"), {"event": "bot", "text": "..."}]
    messages, _ = run(ActionFallback(), make_tracker(contact.id, "qwerty", "nlu_fallback", events=events), domain)
    assert responses(messages) == ["utter_fallback", "utter_offer_person"]
    with wired() as session:
        assert session.execute(select(Escalation.reason)).first() is None  # offered, not yet handed over
    events = [_user("greet"), _user("out_of_scope"), _user("nlu_fallback"), {"event": "bot", "text": "..."}]
    messages, _ = run(ActionFallback(), make_tracker(contact.id, "asdf", "out_of_scope", events=events), domain)
    assert responses(messages) == ["utter_escalated"]
    with wired() as session:
        assert session.execute(select(Escalation.reason)).scalar_one() == "failed_turns"


def test_failed_turns_must_be_in_a_row(wired, contact, domain):
    events = [_user("nlu_fallback"), _user("greet")]
    messages, _ = run(ActionFallback(), make_tracker(contact.id, "qwerty", "nlu_fallback", events=events), domain)
    assert responses(messages) == ["utter_fallback", "utter_menu"]


def test_stop_opts_out_and_confirms_once(wired, contact, domain):
    messages, _ = run(ActionStop(), make_tracker(contact.id, "ما بدي رسائل", "stop"), domain)
    assert responses(messages) == ["utter_stopped"]
    assert messages[-1]["custom"] == SIGNAL_OPTED_OUT
    with wired() as session:
        assert session.get(Contact, contact.id).opted_out is True
        assert session.execute(select(AuditEvent.action)).scalar_one() == "opt_out"


def _texts(messages: list[dict]) -> list[str]:
    return [m["text"] for m in messages if m.get("text")]


def test_status_moves_from_none_to_open_and_a_pending_match_reads_the_same(wired, contact, domain):
    status = ActionCheckStatus()
    assert _texts(run(status, make_tracker(contact.id, "في أخبار؟", "check_status"), domain)[0]) == [
        "ليس لديك بحث أو تسجيل عندنا. اكتب 1 لتبدأ بحثاً."
    ]
    run(ActionSubmitSearch(), make_tracker(contact.id, "1", "affirm", slots={**FULL, "person_name": "سامر النجار", "governorate": "درعا"}), domain)
    assert _texts(run(status, make_tracker(contact.id, "any news", "check_status"), domain)[0]) == [
        "بحثك عن سامر النجار: مفتوح، ولا خبر نستطيع مشاركته بعد."
    ]
    run(ActionSubmitSearch(), make_tracker(contact.id, "1", "affirm", slots=FULL), domain)
    messages, _ = run(status, make_tracker(contact.id, "any news", "check_status"), domain)
    # The second search has a match waiting for its flow: it reads exactly like an open search, and
    # only the names the family typed appear.
    assert _texts(messages) == [
        "بحثك عن سامر النجار: مفتوح، ولا خبر نستطيع مشاركته بعد.\n"
        f"بحثك عن {FULL['person_name']}: مفتوح، ولا خبر نستطيع مشاركته بعد."
    ]


def test_namesakes_waiting_for_details_are_still_open(wired, contact, domain):
    run(ActionSubmitSearch(), make_tracker(contact.id, "1", "affirm", slots=NAMESAKE), domain)
    assert _texts(run(ActionCheckStatus(), make_tracker(contact.id, "?", "check_status"), domain)[0]) == [
        f"بحثك عن {NAMESAKE['person_name']}: مفتوح، ولا خبر نستطيع مشاركته بعد."
    ]


REGISTRATION = {
    "person_name": "محمد خالد الحسن",
    "father_name": "خالد",
    "mother_name": "فاطمة",
    "birth_year": "1985",
    "governorate": "حلب",
    "callback_number": "+905321234567",
    "share_policy": "safe_only",
    "registration_confirm": True,
}


def test_registration_is_stored_pending_verification(wired, contact, domain):
    messages, _ = run(ActionSubmitRegistration(), make_tracker(contact.id, "نعم", "affirm", slots=REGISTRATION), domain)
    assert responses(messages) == ["utter_registered"]
    with wired() as session:
        registration = session.execute(select(Registration)).scalar_one()
        assert (registration.status, registration.callback_address, registration.share_policy, registration.birth_year) == (
            "pending_verification", "+905321234567", "safe_only", 1985
        )
    status, _ = run(ActionCheckStatus(), make_tracker(contact.id, "?", "check_status"), domain)
    assert _texts(status) == ["تسجيلك ينتظر تأكيد رقم التواصل بالرمز الذي أرسلناه."]


def test_delete_request_is_recorded(wired, contact, domain):
    messages, _ = run(ActionDeleteData(), make_tracker(contact.id, "نعم", "affirm"), domain)
    assert responses(messages) == ["utter_delete_requested"]
    with wired() as session:
        event = session.execute(select(AuditEvent)).scalar_one()
        assert (event.action, event.subject_id) == ("delete_requested", str(contact.id))


@pytest.mark.parametrize("answer", ["فادي", "اللاذقية", "طارق طارق الشامي", "سلمى"])
def test_a_name_read_as_affirm_never_confirms_an_erasure(wired, contact, domain, answer):
    """The resilience bench saw a name misread as delete_data and the next name (a father's,
    classified affirm at 0.81) erase a family's search. Only a written yes confirms."""
    messages, events = run(ActionDeleteData(), make_tracker(contact.id, answer, "affirm"), domain)
    assert responses(messages) == ["utter_delete_cancelled"]
    assert events == []
    with wired() as session:
        assert session.execute(select(AuditEvent)).first() is None


@pytest.mark.parametrize("answer", ["1", "١", "نعم", "ايوه", "yes"])
def test_a_written_yes_confirms_an_erasure(wired, contact, domain, answer):
    messages, _ = run(ActionDeleteData(), make_tracker(contact.id, answer, "affirm"), domain)
    assert responses(messages) == ["utter_delete_requested"]
