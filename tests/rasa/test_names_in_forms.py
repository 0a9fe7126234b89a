"""Every name of the sample registry and data/names/, typed as the answer to the name, father and mother
questions, fills the slot: through the trained model's NLU (loaded once, in-process) and the form's
slot mapping and validation. Never a request for a person, an opt-out or an erasure.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import ValidateSearchForm
from tests.bot.actions.conftest import make_tracker

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "shaml.tar.gz"
#: What a name must never become: a hand-over, an opt-out, an erasure (the intents the form's
#: slot mappings refuse, or that rules act on).
FORBIDDEN = {"request_human", "stop", "delete_data"}


def _registry_names() -> list[str]:
    names = []
    with (ROOT / "data" / "sample" / "registry.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            full = row["full_name"] or " ".join(p for p in (row["first_name"], row["father_name"], row["family_name"]) if p)
            names.append(full)
            names += [n for n in (row["father_name"], row["mother_name"]) if n]
    return sorted(set(names))


def _tsv_names(file: str) -> list[str]:
    names = []
    for line in (ROOT / "data" / "names" / file).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        columns = line.split("\t")
        names.append(columns[0])
        names += [s for c in columns[1:] for s in c.split("|") if s.strip()]
    return names


def _name_list() -> list[tuple[str, str]]:
    """(question, typed name): registry names to all three questions, given names to the parents'
    questions, and each family name after a given name to the name question."""
    cases = []
    for name in _registry_names():
        words = len(name.split())
        for question in ("father_name", "mother_name") if words < 2 else ("person_name", "father_name", "mother_name"):
            cases.append((question, name))
    given = _tsv_names("given_male.tsv") + _tsv_names("given_female.tsv")
    for name in given:
        cases += [("father_name", name), ("mother_name", name)]
    for i, family in enumerate(_tsv_names("family.tsv")):
        cases.append(("person_name", f"{given[i % len(given)]} {family}"))
    return sorted(set(cases))


CASES = _name_list()


@pytest.fixture(scope="module")
def parsed() -> Iterator[dict[str, dict[str, Any]]]:
    """The trained model's reading of every distinct name, loaded and parsed once."""
    assert MODEL.exists(), "no trained model: run `shaml train` first"
    from rasa.core.agent import Agent

    from shaml.commands.assistant import configure_rasa_logging

    configure_rasa_logging("WARNING")  # the names are personal data: not in a debug log
    agent = Agent.load(str(MODEL))
    texts = sorted({name for _q, name in CASES})

    async def parse_all() -> dict[str, dict[str, Any]]:
        return {text: await agent.parse_message(text) for text in texts}

    yield asyncio.run(parse_all())


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "bot" / "assistant" / "domain.yml").read_text(encoding="utf-8"))


def _not_intents(domain: dict[str, Any], question: str) -> set[str]:
    """The intents the search form's from_text mapping for this slot refuses."""
    for mapping in domain["slots"][question]["mappings"]:
        if mapping["type"] == "from_text" and mapping["conditions"][0]["active_loop"] == "search_form":
            return set(mapping.get("not_intent") or [])
    raise AssertionError(f"{question} has no from_text mapping in search_form")


def test_there_are_thousands_of_names():
    assert len(CASES) > 5000 and len({n for _q, n in CASES}) > 3000


def test_every_name_fills_its_slot_and_is_never_an_intent(parsed, domain):
    failures = []
    action = ValidateSearchForm()
    for question, name in CASES:
        intent = parsed[name]["intent"]["name"]
        if intent in FORBIDDEN or intent in _not_intents(domain, question):
            failures.append(f"{question}: {name} read as {intent}")
            continue
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(7, name, intent)
        result = getattr(action, f"validate_{question}")(name, dispatcher, tracker, domain)
        asked = [m.get("response") for m in dispatcher.messages]
        if not result.get(question) or asked:
            failures.append(f"{question}: {name} -> {result.get(question)!r} {asked}")
    assert not failures, f"{len(failures)} of {len(CASES)}: {failures[:20]}"
