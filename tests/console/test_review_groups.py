"""Reviews: one entry per search, its candidates side by side with a plain sentence first (issue 18)."""

from __future__ import annotations

from tests.console.conftest import logged_in, url
from tests.console.review_cases import multi_candidate_case


def test_one_review_row_per_search_naming_every_candidate(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    case = multi_candidate_case(factory)
    page = logged_in(app, "rania").get("/console/reviews").text
    assert page.count('class="review-group"') == 1
    assert page.count("سامر خالد القطان") >= 3 and "Samer Khaled Kattan" in page
    for match_id in case.match_ids:
        assert f'href="{url("match", match_id)}"' in page


def test_candidates_side_by_side_with_agreement_marked_and_a_sentence_before_scores(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    case = multi_candidate_case(factory)
    client = logged_in(app, "rania")
    client.cookies.set("shaml_lang", "en")
    page = client.get(f"{url('match', case.match_ids[0])}").text
    side = page.split('id="side-by-side"')[1].split("</section>")[0]
    assert side.count("<th") >= 2 + len(case.match_ids)  # field, search, one column per candidate
    assert 'class="st-agree"' in side and 'class="st-conflict"' in side  # the 1969 row's year conflicts
    assert "same name, father and birth year, mother not given" in side
    assert "birth year differs by 1" in side
    assert "birth year differs by 11" in side
    assert page.index("plain-sentence") < page.index('id="score"')
    assert " bits" not in page and "points" in page  # one unit, named the same in both languages


def test_low_score_leads_with_reject_and_confirm_is_not_highlighted(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    case = multi_candidate_case(factory, score_scale=0.05)
    page = logged_in(app, "rania").get(f"{url('match', case.match_ids[0])}").text
    actions = page.split('class="actions"')[1].split("</div>")[0]
    assert actions.index('id="reject"') < actions.index('id="confirm"')
    confirm = actions.split('id="confirm"')[0].rsplit("<button", 1)[1]
    assert 'class="primary"' not in confirm and 'id="low-score"' in actions

