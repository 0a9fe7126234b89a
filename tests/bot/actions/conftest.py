"""Fixtures for action tests: a real database, a matcher over a few registry rows, and trackers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import sessionmaker

from bot.actions import deps
from bot.contacts import get_or_create_contact
from bot.models import Contact
from matching.engine import Matcher
from matching.store import RegistryRow, RegistrySource

DOMAIN_FILE = Path(__file__).resolve().parents[3] / "bot" / "assistant" / "domain.yml"

#: A few released people. Two namesakes (محمد خالد الحسن) differ only by mother and birth year.
REGISTRY = [
    dict(record_id="1", full_name="يوسف عبد الرحمن الحمصي", first_name="يوسف", father_name="عبد الرحمن",
         family_name="الحمصي", mother_name="سعاد", birth_year=1979, governorate="حمص"),
    dict(record_id="2", full_name="محمد خالد الحسن", first_name="محمد", father_name="خالد",
         family_name="الحسن", mother_name="فاطمة", birth_year=1985, governorate="حلب"),
    dict(record_id="3", full_name="محمد خالد الحسن", first_name="محمد", father_name="خالد",
         family_name="الحسن", mother_name="زينب", birth_year=1990, governorate="حلب"),
]


@pytest.fixture
def domain() -> dict[str, Any]:
    """The assistant's real domain."""
    return yaml.safe_load(DOMAIN_FILE.read_text())


@pytest.fixture
def registry(factory: sessionmaker) -> dict[str, int]:
    """The registry rows in the database; returns matcher id -> registry_records.id."""
    ids = {}
    with factory() as session, session.begin():
        session.add(RegistrySource(name="shelter-tal", label="Tal shelter intake"))
        session.flush()
        for row in REGISTRY:
            record = RegistryRow(source="shelter-tal", **row)
            session.add(record)
            session.flush()
            ids[record.matcher_id] = record.id
    return ids


@pytest.fixture
def wired(factory: sessionmaker, registry: dict[str, int]) -> Iterator[sessionmaker]:
    """deps configured with the test database and a Matcher over the registry rows."""
    with factory() as session:
        records = [row.to_record() for row in session.query(RegistryRow).all()]
    deps.configure(factory, Matcher(records))
    yield factory
    deps.reset()


@pytest.fixture
def contact(factory: sessionmaker) -> Contact:
    """A WhatsApp contact with a Syrian number."""
    with factory() as session, session.begin():
        return get_or_create_contact(session, "whatsapp", "+963944123456")


def make_tracker(
    contact_id: int | None,
    text: str = "",
    intent: str = "search_person",
    *,
    slots: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
    language: str = "ar",
) -> Tracker:
    """A real rasa_sdk Tracker as the action server receives it."""
    meta = {"channel": "whatsapp", "contact_id": contact_id, "language": language}
    meta.update(metadata or {})
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [], "metadata": meta}
    user_event = {"event": "user", "text": text, "parse_data": latest, "metadata": meta}
    return Tracker(
        sender_id=str(contact_id),
        slots={"language": language, "sms": False, "failed_asks": 0.0, **(slots or {})},
        latest_message=latest,
        events=[*(events or []), user_event],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def run(action: Any, tracker: Tracker, domain: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run an action; returns (messages sent, events returned)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    return dispatcher.messages, events


def responses(messages: list[dict[str, Any]]) -> list[str]:
    """The response names the action sent, in order."""
    return [m["response"] for m in messages if m.get("response")]


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The slots the events set (the last value wins)."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
