"""Rasa's tracker store with sealed event data, on PostgreSQL, loaded the way Rasa loads it from the endpoints file."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.crypto import Keyring, active, install, is_sealed, new_key, sealed_kid
from shaml.commands.assistant import endpoints_yaml
from shaml.db import make_engine
from shaml.rotate import rotate
from shaml.settings import Settings

SLOTS = "slots:\n  full_name:\n    type: text\n    mappings: []\n  callback_number:\n    type: text\n    mappings: []\n"


@pytest.fixture
def store_url(pg_only_url: str) -> Iterator[str]:
    """The test database, with Rasa's events table dropped afterwards."""
    yield pg_only_url
    engine = make_engine(pg_only_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS events"))
    engine.dispose()


def _store(url: str, tmp_path):  # type: ignore[no-untyped-def]
    """The tracker store Rasa builds from the endpoints file ``shaml rasa`` writes."""
    from rasa.core.tracker_store import create_tracker_store
    from rasa.shared.core.domain import Domain
    from rasa.utils.endpoints import EndpointConfig

    settings = Settings.from_env({"SHAML_DATABASE_URL": url, "SHAML_VAR_DIR": str(tmp_path)})
    config = yaml.safe_load(endpoints_yaml(settings))["tracker_store"]
    store = create_tracker_store(EndpointConfig.from_dict(config), Domain.from_yaml(SLOTS))
    return getattr(store, "_tracker_store", store)


def _conversation(sender: str):  # type: ignore[no-untyped-def]
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker(sender, Domain.from_yaml(SLOTS).slots)
    tracker.update(UserUttered("أبحث عن أخي محمد الحلبي", {"name": "search_person", "confidence": 0.9}))
    tracker.update(SlotSet("full_name", "محمد الحلبي"))
    tracker.update(SlotSet("callback_number", "+963955100002"))
    return tracker


def test_events_are_sealed_in_postgres_and_read_back(store_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.crypto.tracker_store import EncryptedSQLTrackerStore

    store = _store(store_url, tmp_path)
    assert isinstance(store, EncryptedSQLTrackerStore)  # Rasa found it (it falls back to memory silently otherwise)
    asyncio.run(store.save(_conversation("17")))
    engine = make_engine(store_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT sender_id, type_name, intent_name, data FROM events ORDER BY id")).all()
    dump = "\n".join(str(tuple(r)) for r in rows)
    assert rows and all(is_sealed(r.data) for r in rows)
    for secret in ("محمد", "+963955100002", "963955100002", base64.b64encode("محمد".encode()).decode()[:8]):
        assert secret not in dump
    assert {r.sender_id for r in rows} == {"17"} and "search_person" in {r.intent_name for r in rows}
    again = asyncio.run(_store(store_url, tmp_path).retrieve("17"))
    assert again.get_slot("full_name") == "محمد الحلبي" and again.get_slot("callback_number") == "+963955100002"
    assert again.latest_message.text == "أبحث عن أخي محمد الحلبي"
    engine.dispose()


def test_rotation_reseals_tracker_events(store_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = _store(store_url, tmp_path)
    asyncio.run(store.save(_conversation("18")))
    old = active()
    b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    install(Keyring.parse(f"ev2:{new_key()},{old.current}:{b64(old.data_keys[old.current])}", b64(old.index_key)))
    try:
        engine = make_engine(store_url)
        report = rotate(engine, batch_size=3)
        assert report.done and report.resealed["events.data"] == 3
        with engine.connect() as conn:
            assert {sealed_kid(d) for d in conn.execute(text("SELECT data FROM events")).scalars()} == {"ev2"}
        engine.dispose()
        assert asyncio.run(_store(store_url, tmp_path).retrieve("18")).get_slot("full_name") == "محمد الحلبي"
    finally:
        install(old)


def test_lock_store_keys_carry_no_personal_data(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings.from_env({"SHAML_VAR_DIR": str(tmp_path), "SHAML_REDIS_PREFIX": "shaml:"})
    lock = yaml.safe_load(endpoints_yaml(settings))["lock_store"]
    # Rasa's lock keys are this prefix and the conversation id: a contact's row id, never a number.
    assert lock["key_prefix"] == "shamlrasa"
    assert make_url("postgresql://x@h/db")  # (the tracker store shares the database URL's host)
