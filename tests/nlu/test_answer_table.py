"""The answer-extraction table: every answer, as people write it, gives the value the form must store."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.actions.answer_table import check, load, score

TODAY, CASES = load()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.question}:{c.answer}" for c in CASES])
def test_each_answer_gives_its_value(case):
    assert check(case, TODAY) is None


def test_every_question_has_at_least_twenty_answers_in_every_script():
    per_question = Counter(c.question for c in CASES)
    assert set(per_question) == {"person_name", "father_name", "mother_name", "birth_year", "governorate", "searcher_name", "relationship"}
    assert min(per_question.values()) >= 20, per_question
    for question in per_question:
        answers = [c.answer for c in CASES if c.question == question]
        assert any(any("\u0600" <= ch <= "\u06ff" for ch in a) for a in answers), question  # Arabic
        assert sum(a.isascii() for a in answers) >= 5, question  # Arabizi and English


def test_the_score_counts_failures(tmp_path):
    table = tmp_path / "table.yml"
    table.write_text('today: 2026-06-01\nfather_name:\n- {a: "ابوه عبدالقادر الله يرحمو", v: "عبدالقادر"}\n'
                     '- {a: "ابوه عبدالقادر الله يرحمو", v: "ابوه عبدالقادر الله يرحمو"}\n', encoding="utf-8")
    passed, total, failures = score(table)
    assert (passed, total) == (1, 2) and "expected 'ابوه عبدالقادر الله يرحمو'" in failures[0]
