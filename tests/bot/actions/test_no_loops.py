"""Every way out of an action leaves Rasa a rule to follow, so the core fallback never loops."""

from __future__ import annotations

import pytest

from bot.actions import deps
from bot.actions.actions import ActionFallback, ActionRematchSearch, ActionSubmitSearch
from tests.bot.actions.conftest import make_tracker, run, slot_events
from tests.bot.actions.test_search_actions import FULL


@pytest.mark.parametrize(
    ("slots", "configured"),
    [
        ({**FULL, "search_consent": False}, True),  # no consent: nothing stored
        (FULL, False),  # the database cannot be reached
        (FULL, True),  # a match
    ],
)
def test_every_end_of_a_search_sets_need_details(wired, contact, domain, slots, configured):
    if not configured:
        deps.reset()
    _, events = run(ActionSubmitSearch(), make_tracker(contact.id, "1", "affirm", slots=slots), domain)
    assert slot_events(events)["need_details"] is False


def test_a_failed_rematch_sets_need_details(contact, domain):
    _, events = run(ActionRematchSearch(), make_tracker(contact.id, "1", "affirm", slots={"search_id": None}), domain)
    assert slot_events(events)["need_details"] is False


@pytest.mark.parametrize("earlier", [[], [{"event": "user", "text": "x", "parse_data": {"intent": {"name": "out_of_scope"}}}]])
def test_the_fallback_always_waits_for_the_user(wired, contact, domain, earlier):
    _, events = run(ActionFallback(), make_tracker(contact.id, "zzz", "nlu_fallback", events=earlier), domain)
    assert events == [{"event": "followup", "timestamp": None, "name": "action_listen"}]
