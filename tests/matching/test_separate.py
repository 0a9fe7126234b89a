"""The matcher names the one detail that would separate the candidates of a review (issue 18)."""

from __future__ import annotations

import json

from matching.engine import Matcher
from matching.records import Query, RegistryRecord


def _rec(rid: str, name: str, mother: str | None = None, year: int | None = None) -> RegistryRecord:
    return RegistryRecord(record_id=rid, full_name=name, mother_name=mother, birth_year=year)


def test_namesakes_differing_by_mother_ask_for_the_mother_and_the_answer_decides() -> None:
    m = Matcher([_rec("A", "سامر خالد القطان", "سلمى", 1980), _rec("B", "سامر خالد القطان", "هدى", 1980)])
    first = m.search(Query(query_id="q", name="سامر خالد القطان", birth_year=1980))
    assert first.decision == "review"
    assert first.reasons["ask"] == "mother_name"
    answered = m.search(Query(query_id="q", name="سامر خالد القطان", birth_year=1980, mother_name="هدى"))
    assert answered.candidates[0].record_id == "B"
    assert answered.reasons.get("compatible_rival") is None  # A no longer fits what was said


def test_namesakes_differing_by_year_ask_for_the_year_not_the_shared_mother() -> None:
    m = Matcher([_rec("A", "سامر خالد القطان", "سلمى", 1970), _rec("B", "سامر خالد القطان", "سلمى", 1990)])
    res = m.search(Query(query_id="q", name="Samer Khaled Kattan"))
    assert res.decision == "review"
    assert res.reasons["ask"] == "birth_year"


def test_the_question_names_a_field_and_reveals_no_value() -> None:
    m = Matcher([_rec("A", "سامر خالد القطان", "سلمى", 1970), _rec("B", "سامر يوسف القطان", "سلمى", 1970)])
    res = m.search(Query(query_id="q", name="Samer Kattan"))
    assert res.decision == "review"
    assert res.reasons["ask"] == "father_name"
    ask_text = json.dumps(res.reasons["ask"], ensure_ascii=False)
    for secret in ("خالد", "يوسف", "سلمى", "1970"):
        assert secret not in ask_text


def test_nothing_to_ask_when_the_family_gave_every_detail() -> None:
    m = Matcher([_rec("A", "سامر خالد القطان", "سلمى", 1970), _rec("B", "سامر خالد القطان", "سلمى")])
    res = m.search(Query(query_id="q", name="سامر خالد القطان", mother_name="سلمى", birth_year=1970))
    assert res.decision == "review"
    assert res.reasons["ask"] is None
