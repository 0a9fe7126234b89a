"""The worker takes over what the assistant's own actions store: searches matched at once, registrations, erasure requests."""

from __future__ import annotations

from sqlalchemy import select

from bot.actions import searches as assistant
from bot.models import Contact, Match, Registration, SearchRequest
from matching.service import RegistryMatcher
from tests.reunion.conftest import PERSON, add_row, add_source, code_sent_to, contact, outbox

SLOTS = {
    "person_name": PERSON["full_name"], "father_name": PERSON["father_name"], "mother_name": PERSON["mother_name"],
    "birth_year": "1985", "governorate": PERSON["governorate"], "searcher_name": "سامر", "relationship": "أخوه",
}


def test_a_search_matched_by_the_assistant_is_told_by_source_and_still_matched_against_registrations(factory, worker, config):
    add_source(factory, "barzeh-list", public=True)
    add_row(factory, "barzeh-list", "B-1")
    family = contact(factory, "+963944000601", language="en")
    matcher = RegistryMatcher(factory, refresh_seconds=0.0)
    with factory() as session, session.begin():
        search = assistant.store_search(session, family, SLOTS)
        outcome = assistant.match_search(session, matcher, search, may_ask=True)
    assert outcome.decision == "match"
    worker.step()
    told = outbox(factory, family)
    assert len(told) == 1 and "released list from barzeh-list" in told[0].body
    # The registration comes later: the search is matched again, and the person is asked.
    detainee = contact(factory, "+963955000602")
    with factory() as session, session.begin():
        reg = assistant.store_registration(session, detainee, {**SLOTS, "callback_number": "0955 000 602", "share_policy": "share_number"})
        reg_id = reg.id
    worker.step()  # the worker sends the code the assistant's action did not
    code = code_sent_to(factory, detainee)
    from bot.reunion.verification import redeem

    with factory() as session, session.begin():
        assert redeem(session, detainee, code, config).status == "verified"
        assert session.get(Registration, reg_id).callback_address == "+963955000602"
    worker.step()
    with factory() as session:
        statuses = sorted(m.status for m in session.execute(select(Match)).scalars())
    assert statuses == ["awaiting_consent", "notified"]


def test_a_registration_with_a_bad_callback_goes_to_a_person(factory, worker):
    detainee = contact(factory, "+963955000611")
    with factory() as session, session.begin():
        assistant.store_registration(session, detainee, {**SLOTS, "callback_number": "غير معروف"})
    worker.step()
    with factory() as session:
        assert session.get(Contact, detainee).escalated
    assert outbox(factory, detainee) == []
    assert worker.step().busy() is False  # tried once, not on every step


def test_the_assistants_delete_request_is_carried_out_by_the_worker(factory, worker, config):
    family = contact(factory, "+963944000621")
    with factory() as session, session.begin():
        assistant.store_search(session, family, SLOTS)
        assistant.record_delete_request(session, family)
    assert worker.step().erased == 1
    with factory() as session:
        assert session.execute(select(SearchRequest)).first() is None
        assert session.get(Contact, family).erased_at is not None
