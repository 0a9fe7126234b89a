"""The assistant measured on what people really send: the off-topic dev set's rates, read by the trained model."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

#: Intents that answer an off-topic message the right way: what Shaml does, then the menu.
KIND = ("out_of_scope", "nlu_fallback", "help")
#: Intents that must (almost) never come from an off-topic message.
OPT_OUT = ("stop", "delete_data")
STARTS_FORM = ("search_person", "register_released")


@dataclass(frozen=True)
class OfftopicReport:
    """Rates over the off-topic dev set (fractions), with the intents counted."""

    total: int
    kind: float
    opt_out: float
    starts_form: float
    intents: Counter[str]
    examples: dict[str, list[str]]


def parse_texts(model: Path, texts: list[str]) -> list[str]:
    """The intent the trained model (with its deterministic rules) gives each text; loads it once."""
    from rasa.core.agent import Agent

    from shaml.commands.assistant import configure_rasa_logging

    configure_rasa_logging("WARNING")  # unconfigured, Rasa prints every parsed message at DEBUG
    agent = Agent.load(str(model))

    async def parse_all() -> list[str]:
        return [str((await agent.parse_message(t))["intent"]["name"]) for t in texts]

    return asyncio.run(parse_all())


def offtopic_report(texts: list[str], intents: list[str]) -> OfftopicReport:
    """The rates the issue's targets are about, and a few messages per wrong intent."""
    counts = Counter(intents)
    total = len(intents) or 1
    examples: dict[str, list[str]] = {}
    for text, intent in zip(texts, intents, strict=True):
        if intent not in KIND and len(examples.setdefault(intent, [])) < 5:
            examples[intent].append(text)
    return OfftopicReport(
        total=len(intents),
        kind=sum(counts[i] for i in KIND) / total,
        opt_out=sum(counts[i] for i in OPT_OUT) / total,
        starts_form=sum(counts[i] for i in STARTS_FORM) / total,
        intents=counts,
        examples=examples,
    )
