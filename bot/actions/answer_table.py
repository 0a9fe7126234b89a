"""The table of answers as people write them (bot/assistant/evaluation/answer_table.yml), read the forms' way."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.actions import parsing
from nlu.answers import Reading, read_birth_year, read_relationship

TABLE = Path(__file__).resolve().parents[1] / "assistant" / "evaluation" / "answer_table.yml"


@dataclass(frozen=True)
class Case:
    """One answer to one question and what it must give."""

    question: str
    answer: str
    value: Any
    sure: bool = True
    role: str | None = None


def read(question: str, answer: str, today: dt.date) -> Reading:
    """The reading the form's validator makes of ``answer`` to ``question``."""
    if question == "person_name":
        return parsing.read_name_answer(answer, min_words=2, kunya_allowed=True)
    if question in ("father_name", "mother_name"):
        return parsing.read_name_answer(answer, allow_unknown=True)
    if question == "searcher_name":
        return parsing.read_name_answer(answer, kunya_is_name=True)
    if question == "birth_year":
        return read_birth_year(answer, today=today)
    if question == "governorate":
        return Reading(parsing.parse_governorate(answer), answer)
    if question == "relationship":
        return read_relationship(answer)
    raise KeyError(question)


def load(path: Path = TABLE) -> tuple[dt.date, list[Case]]:
    """The table's date (ages count from it) and its cases."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    today = data.pop("today")
    cases = [
        Case(question, str(row["a"]), row.get("v"), bool(row.get("sure", True)), row.get("role"))
        for question, rows in data.items()
        for row in rows
    ]
    return today, cases


def check(case: Case, today: dt.date) -> str | None:
    """None when the answer gives what it must, else what it gave."""
    reading = read(case.question, case.answer, today)
    if reading.value != case.value:
        return f"value {reading.value!r}, expected {case.value!r}"
    if case.value is not None and case.question != "relationship" and reading.sure != case.sure:
        return f"sure={reading.sure}, expected {case.sure}"
    if case.role is not None and reading.role != case.role:
        return f"role {reading.role!r}, expected {case.role!r}"
    return None


def score(path: Path = TABLE) -> tuple[int, int, list[str]]:
    """(passed, total, failures as "question: answer -> problem")."""
    today, cases = load(path)
    failures = []
    for case in cases:
        problem = check(case, today)
        if problem:
            failures.append(f"{case.question}: {case.answer} -> {problem}")
    return len(cases) - len(failures), len(cases), failures
