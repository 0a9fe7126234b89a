"""``shaml keys rotate`` under concurrent writes: everything ends under the new key, nothing lost or overwritten."""

from __future__ import annotations

import base64
import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from bot.contacts import get_or_create_contact
from bot.crypto import Keyring, active, install, new_key, sealed_kid
from bot.crypto import reseal as reseal_module
from bot.models import Message, SearchRequest
from shaml.cli import cli
from shaml.db import transaction
from shaml.rotate import rotate


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.fixture
def old_and_new() -> tuple[Keyring, Keyring]:  # type: ignore[misc]
    """The session's keyring (the old key) and a ring with a new first key beside it; restored after."""
    old = active()
    new = Keyring.parse(f"rot2:{new_key()},{old.current}:{_b64(old.data_keys[old.current])}", _b64(old.index_key))
    yield old, new
    install(old)


def _seed(factory, contacts: int = 40) -> list[int]:  # type: ignore[no-untyped-def]
    ids = []
    with transaction(factory) as session:
        for i in range(contacts):
            contact = get_or_create_contact(session, "sms", f"+9639441{i:05d}")
            session.add(SearchRequest(contact_id=contact.id, full_name=f"اسم {i}", birth_year=1970 + i % 30))
            message = Message(contact_id=contact.id, direction="in", status="processed", body=f"نص {i} v0")
            session.add(message)
            session.flush()
            ids.append(message.id)
    return ids


def _kids(factory, table: str, column: str) -> set[str | None]:  # type: ignore[no-untyped-def]
    with factory() as session:
        return {sealed_kid(v) for v in session.execute(text(f"SELECT {column} FROM {table}")).scalars() if v is not None}


def test_rotation_under_concurrent_writes_loses_nothing(pg_factory, old_and_new) -> None:  # type: ignore[no-untyped-def]
    old, new = old_and_new
    message_ids = _seed(pg_factory)
    assert _kids(pg_factory, "messages", "body") == {old.current}
    install(new)
    expected: dict[int, str] = {}
    stop = threading.Event()
    writes = {"n": 0}

    def writer() -> None:
        round_ = 0
        while not stop.is_set():
            round_ += 1
            with transaction(pg_factory) as session:
                for message_id in message_ids[round_ % 4 :: 4]:
                    body = f"edited {message_id} round {round_}"
                    session.get(Message, message_id).body = body
                    expected[message_id] = body
                    writes["n"] += 1
                contact = get_or_create_contact(session, "sms", f"+9639442{round_:05d}")
                added = Message(contact_id=contact.id, direction="in", status="received", body=f"new {round_}")
                session.add(added)
                session.flush()
                expected[added.id] = f"new {round_}"

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        report = rotate(pg_factory.kw["bind"], batch_size=7)
    finally:
        stop.set()
        thread.join()
    report = rotate(pg_factory.kw["bind"], batch_size=7)  # what the writer added after the last pass
    assert report.done and writes["n"] > 0
    for table, column in [("messages", "body"), ("contacts", "address"), ("search_requests", "full_name"),
                          ("search_requests", "birth_year")]:
        assert _kids(pg_factory, table, column) == {"rot2"}, (table, column)
    with pg_factory() as session:
        bodies = dict(session.execute(select(Message.id, Message.body)).all())
        searches = session.execute(select(SearchRequest.full_name, SearchRequest.birth_year)).all()
    for message_id in message_ids:
        assert bodies[message_id] == expected.get(message_id, f"نص {message_ids.index(message_id)} v0")
    assert all(bodies[i] == body for i, body in expected.items())
    assert sorted(searches) == sorted((f"اسم {i}", 1970 + i % 30) for i in range(40))
    # The old key is no longer needed: a ring without it opens everything.
    install(Keyring.parse(f"rot2:{_b64(new.data_keys['rot2'])}", _b64(new.index_key)))
    with pg_factory() as session:
        assert len(session.execute(select(Message.body)).scalars().all()) == len(bodies)
        assert get_or_create_contact(session, "sms", "+963944100000").id is not None


def test_a_rotation_stopped_halfway_resumes(pg_factory, old_and_new, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    old, new = old_and_new
    _seed(pg_factory)
    install(new)
    real = reseal_module.Keyring.seal
    calls = {"n": 0}

    def crash(self, plaintext):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > 25:
            raise KeyboardInterrupt("killed")
        return real(self, plaintext)

    monkeypatch.setattr(reseal_module.Keyring, "seal", crash)
    with pytest.raises(KeyboardInterrupt):
        rotate(pg_factory.kw["bind"], batch_size=10)
    monkeypatch.setattr(reseal_module.Keyring, "seal", real)
    assert _kids(pg_factory, "contacts", "address") == {"rot2", old.current}
    report = rotate(pg_factory.kw["bind"], batch_size=10)
    assert report.done and _kids(pg_factory, "contacts", "address") == {"rot2"}
    with pg_factory() as session:
        assert sorted(session.execute(select(SearchRequest.full_name)).scalars()) == sorted(f"اسم {i}" for i in range(40))


def test_the_command_reports_progress_and_refuses_a_wrong_key(pg_only_url, old_and_new, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from shaml.settings import reset_settings

    old, new = old_and_new
    from shaml.db import make_engine, session_factory

    engine = make_engine(pg_only_url)
    _seed(session_factory(engine), contacts=5)
    engine.dispose()
    monkeypatch.setenv("SHAML_DATABASE_URL", pg_only_url)
    monkeypatch.setenv("SHAML_DATA_KEYS", f"rot2:{_b64(new.data_keys['rot2'])},{old.current}:{_b64(old.data_keys[old.current])}")
    monkeypatch.setenv("SHAML_BLIND_INDEX_KEY", _b64(old.index_key))
    reset_settings()
    try:
        result = CliRunner().invoke(cli, ["keys", "rotate", "--batch-size", "2"])
        assert result.exit_code == 0, result.output + result.stderr
        assert "contacts.address: 2/5 sealed under 'rot2'" in result.output
        assert f"nothing is left under '{old.current}': remove them from SHAML_DATA_KEYS" in result.output
        # The right key id with the wrong key bytes: refused before anything is touched.
        monkeypatch.setenv("SHAML_DATA_KEYS", f"rot2:{new_key()}")
        reset_settings()
        wrong = CliRunner().invoke(cli, ["keys", "rotate"])
        assert wrong.exit_code == 2
        assert wrong.stderr.strip() == ("shaml: data keys: SHAML_DATA_KEYS key 'rot2' is not the key this database "
                                        "was sealed with: refusing to start")
    finally:
        reset_settings()
