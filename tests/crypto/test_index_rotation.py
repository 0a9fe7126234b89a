"""Rotating the blind-index key while Shaml runs: look-ups find every contact before, during and after,
concurrent inbound messages lose nothing, a stopped run resumes, a wrong or missing key is refused."""

from __future__ import annotations

import base64
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from bot.channels.base import InboundMessage
from bot.contacts import address_hash, get_or_create_contact
from bot.crypto import Keyring, KeyringError, active, index_kid, install, new_key
from bot.crypto import reseal as reseal_module
from bot.gateway.context import Gateway
from bot.gateway.inbound import accept
from bot.models import AuditEvent, Contact, Message
from bot.reunion.erase import finish_erasure
from shaml.cli import cli
from shaml.db import make_engine, session_factory, transaction
from shaml.keys import check_database
from shaml.rotate import rotate
from shaml.settings import Settings, reset_settings
from shaml.web import build_gateway
from tests.conftest import REDIS_URL

NEW = new_key()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


class Rings:
    """The session's ring (its index key has no id: a database from before index key ids), the ring of
    a rotation under way (``ix2`` computes, the old key still matches) and the ring after it."""

    def __init__(self) -> None:
        self.old = active()
        data = ",".join(f"{kid}:{_b64(key)}" for kid, key in self.old.data_keys.items())
        self.data_spec = data
        self.old_index = _b64(self.old.index_key)
        self.both = Keyring.parse(data, f"ix2:{NEW},{self.old_index}")
        self.new = Keyring.parse(data, f"ix2:{NEW}")


@pytest.fixture
def rings() -> Iterator[Rings]:
    rings = Rings()
    assert rings.old.index_current == ""  # the test session's key is the bare, older kind
    yield rings
    install(rings.old)


@pytest.fixture
def gateway(pg_factory, redis_prefix) -> Iterator[Gateway]:  # type: ignore[no-untyped-def]
    """The gateway's accepting path on the PostgreSQL test database and real Redis (no outside service is called)."""
    settings = Settings.from_env({
        "SHAML_DATABASE_URL": str(pg_factory.kw["bind"].url.render_as_string(hide_password=False)),
        "SHAML_REDIS_URL": REDIS_URL, "SHAML_REDIS_PREFIX": redis_prefix,
        "SHAML_RASA_URL": "http://127.0.0.1:9", "SHAML_TWILIO_API_URL": "http://127.0.0.1:9",
        "SHAML_RATE_LIMIT_PER_MINUTE": "1000000",
    })
    gw = build_gateway(settings, factory=pg_factory)
    yield gw
    for name in ("inbound", "outbox"):
        gw.queue(name).delete(delete_jobs=True)
    gw.redis.close()


def _number(i: int) -> str:
    return f"+9639445{i:05d}"


def _inbound(gw: Gateway, number: str, sid: str, body: str) -> int:
    accepted = accept(gw, InboundMessage(channel="sms", address=number, provider_id=sid, body=body, provider="twilio"))
    assert not accepted.duplicate and accepted.contact_id is not None
    return accepted.contact_id


def _bidx_kids(factory) -> Counter:  # type: ignore[no-untyped-def]
    with factory() as session:
        return Counter(index_kid(v) for v in session.execute(text("SELECT address_bidx FROM contacts")).scalars())


def test_rotating_under_inbound_messages_loses_nothing_and_finds_every_contact(pg_factory, gateway, rings) -> None:  # type: ignore[no-untyped-def]
    known = {_number(i): _inbound(gateway, _number(i), f"SMseed{i}", f"أول رسالة {i}") for i in range(60)}
    assert _bidx_kids(pg_factory) == {"": 60}
    install(rings.both)  # every process restarted with ix2 first and the old key still listed
    sent: list[tuple[str, str, str]] = []  # (number, sid, body) accepted during the rotation
    found_during: dict[str, set[int]] = {}
    stop = threading.Event()
    failures: list[BaseException] = []

    def inbound() -> None:
        n = 0
        try:
            while not stop.is_set() or n < 40:
                number = _number(n % 60) if n % 3 else _number(1000 + n)  # two known senders in three, one new
                sid, body = f"SMrot{n}", f"رسالة أثناء التدوير {n}"
                found_during.setdefault(number, set()).add(_inbound(gateway, number, sid, body))
                sent.append((number, sid, body))
                n += 1
        except BaseException as exc:  # noqa: BLE001 - asserted below
            failures.append(exc)

    thread = threading.Thread(target=inbound)
    thread.start()
    progress: list[str] = []
    try:
        report = rotate(pg_factory.kw["bind"], batch_size=5, echo=progress.append)
    finally:
        stop.set()
        thread.join()
    assert not failures, failures
    assert rotate(pg_factory.kw["bind"], batch_size=5).done
    assert report.passes >= 1 and any("indexed under 'ix2'" in line for line in progress)
    # Every known sender was found (same contact) while its row was under either key.
    for number, ids in found_during.items():
        if number in known:
            assert ids == {known[number]}, number
        else:
            assert len(ids) == 1, number
    # Nothing lost or doubled: one contact per number, every message stored once under its sender.
    numbers = set(known) | {n for n, _, _ in sent}
    assert _bidx_kids(pg_factory) == {"ix2": len(numbers)}
    with pg_factory() as session:
        assert session.execute(select(func.count()).select_from(Contact)).scalar_one() == len(numbers)
        stored = {m.provider_id: (m.contact_id, m.body) for m in session.execute(select(Message)).scalars()}
        by_number = {c.address: c.id for c in session.execute(select(Contact)).scalars()}
    assert len(stored) == 60 + len(sent)
    for number, sid, body in sent:
        assert stored[sid] == (by_number[number], body)
    # After the old index key is removed: the same senders still find their contacts.
    install(rings.new)
    check_database(pg_factory.kw["bind"], rings.new)
    for i in (0, 17, 59):
        assert _inbound(gateway, _number(i), f"SMafter{i}", "بعد") == known[_number(i)]
    with transaction(pg_factory) as session:
        assert get_or_create_contact(session, "sms", _number(5)).id == known[_number(5)]
        assert session.execute(select(func.count()).select_from(Contact)).scalar_one() == len(numbers)


def test_a_rotation_stopped_halfway_resumes_and_every_contact_is_found_meanwhile(pg_factory, rings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with transaction(pg_factory) as session:
        ids = {_number(i): get_or_create_contact(session, "sms", _number(i)).id for i in range(40)}
        session.flush()
        verified = get_or_create_contact(session, "telegram", "77001")
        verified.verified_phone = _number(3)
    install(rings.both)
    real = reseal_module.Keyring.blind
    calls = {"n": 0}

    def crash(self, purpose, value):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > 17:
            raise KeyboardInterrupt("killed")
        return real(self, purpose, value)

    monkeypatch.setattr(reseal_module.Keyring, "blind", crash)
    with pytest.raises(KeyboardInterrupt):
        rotate(pg_factory.kw["bind"], batch_size=6)
    monkeypatch.setattr(reseal_module.Keyring, "blind", real)
    halfway = _bidx_kids(pg_factory)
    assert halfway["ix2"] > 0 and halfway[""] > 0, halfway
    # Half-way, every contact is found by its number (and the Telegram one by its verified phone).
    with transaction(pg_factory) as session:
        for number, contact_id in ids.items():
            assert get_or_create_contact(session, "sms", number).id == contact_id
        assert session.execute(select(Contact.id).where(Contact.verified_phone == _number(3))).scalar_one() == verified.id
    report = rotate(pg_factory.kw["bind"], batch_size=6)
    assert report.done and _bidx_kids(pg_factory) == {"ix2": 41}
    with pg_factory() as session:
        assert index_kid(session.execute(text("SELECT verified_phone_bidx FROM contacts WHERE channel = 'telegram'")).scalar_one()) == "ix2"
    install(rings.new)
    with transaction(pg_factory) as session:
        assert all(get_or_create_contact(session, "sms", n).id == i for n, i in ids.items())
        assert session.execute(select(Contact.id).where(Contact.verified_phone == _number(3))).scalar_one() == verified.id


def test_erased_contacts_and_audit_hashes(pg_factory, rings) -> None:  # type: ignore[no-untyped-def]
    """An erased contact's stub is re-indexed from its stored text; the audit trail's keyed hash of the
    number, whose plaintext is gone, stays under the old key: linkable only while that key is held."""
    with transaction(pg_factory) as session:
        contact = get_or_create_contact(session, "sms", _number(7))
        session.flush()
        erased = finish_erasure(session, contact.id)
    assert index_kid(erased.address_hash) == ""
    install(rings.both)
    assert rotate(pg_factory.kw["bind"]).done
    assert _bidx_kids(pg_factory) == {"ix2": 1}
    with pg_factory() as session:
        kept = session.execute(select(AuditEvent.detail).where(AuditEvent.action == "delete_data")).scalar_one()["address"]
    assert kept == erased.address_hash  # not recomputable: the number is gone
    assert rings.both.matches("address-hash", _number(7), kept)  # a ring still listing the old key can compare
    assert address_hash(_number(7)) != kept  # new hashes are under ix2
    install(rings.new)
    assert not rings.new.matches("address-hash", _number(7), kept)  # once it is dropped, nobody can
    # The same number writing again is a new contact, as after any erasure.
    with transaction(pg_factory) as session:
        assert get_or_create_contact(session, "sms", _number(7)).id != contact.id


def test_a_process_without_the_old_key_makes_duplicates_that_the_rotation_reports(pg_factory, rings) -> None:  # type: ignore[no-untyped-def]
    """Skipping the step where every process lists both keys: the rotation refuses to hide the result."""
    with transaction(pg_factory) as session:
        first = get_or_create_contact(session, "sms", _number(1)).id
    install(rings.new)
    with transaction(pg_factory) as session:
        second = get_or_create_contact(session, "sms", _number(1)).id
    assert second != first
    install(rings.both)
    report = rotate(pg_factory.kw["bind"], batch_size=10)
    assert not report.done and report.conflicts == {"contacts.address": [first]}
    with pytest.raises(KeyringError, match="still indexed under a key without an id"):
        check_database(pg_factory.kw["bind"], rings.new)


def _cli(monkeypatch, url: str, index: str, data: str, *args: str):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SHAML_DATABASE_URL", url)
    monkeypatch.setenv("SHAML_DATA_KEYS", data)
    monkeypatch.setenv("SHAML_BLIND_INDEX_KEY", index)
    reset_settings()
    try:
        return CliRunner().invoke(cli, list(args))
    finally:
        reset_settings()


def test_the_command_rotates_and_a_wrong_or_missing_index_key_is_refused_with_one_line(pg_only_url, rings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(pg_only_url)
    with transaction(session_factory(engine)) as session:
        for i in range(5):
            get_or_create_contact(session, "sms", _number(i))
    engine.dispose()
    data, old = rings.data_spec, rings.old_index
    prefix = "shaml: data keys: "
    # Removing the old key before the rotation: contacts would not be found.
    missing = _cli(monkeypatch, pg_only_url, f"ix2:{NEW}", data, "keys", "check")
    assert missing.exit_code == 2 and missing.stderr == (
        prefix + "contacts are still indexed under a key without an id, which SHAML_BLIND_INDEX_KEY does not hold: "
        "keep it listed until `shaml keys rotate` finishes; refusing to start\n")
    # The old key's bytes wrong: its contacts are not found by it.
    wrong_old = _cli(monkeypatch, pg_only_url, f"ix2:{NEW},{new_key()}", data, "keys", "check")
    assert wrong_old.exit_code == 2 and wrong_old.stderr in (
        prefix + "SHAML_BLIND_INDEX_KEY's key without an id is not the index key this database was indexed with: refusing to start\n",
        prefix + "SHAML_BLIND_INDEX_KEY's key without an id does not find this database's contacts: wrong key; refusing to start\n")
    done = _cli(monkeypatch, pg_only_url, f"ix2:{NEW},{old}", data, "keys", "rotate", "--batch-size", "2")
    assert done.exit_code == 0, done.output + done.stderr
    assert "contacts.address: 2/5 sealed under" in done.output and "indexed under 'ix2'" in done.output
    assert "no look-up needs the index key without an id: remove it from SHAML_BLIND_INDEX_KEY" in done.output
    assert _cli(monkeypatch, pg_only_url, f"ix2:{NEW}", data, "keys", "check").exit_code == 0
    # The right id with other bytes: refused before anything is touched.
    wrong = _cli(monkeypatch, pg_only_url, f"ix2:{new_key()}", data, "keys", "rotate")
    assert wrong.exit_code == 2 and wrong.stderr == (
        prefix + "SHAML_BLIND_INDEX_KEY key 'ix2' is not the index key this database was indexed with: refusing to start\n")
    malformed = _cli(monkeypatch, pg_only_url, f"ix_2:{NEW}", data, "keys", "check")
    assert malformed.exit_code == 2 and malformed.stderr == (
        prefix + "SHAML_BLIND_INDEX_KEY entry 1 is not kid:base64key (kid: 1 to 8 letters or digits)\n")
    assert NEW not in wrong.stderr + missing.stderr + malformed.stderr


def test_index_values_name_their_key_and_fit_the_columns() -> None:
    data = f"d1:{new_key()}"
    old, idx = new_key(), new_key()
    legacy = Keyring.parse(data, old)
    both = Keyring.parse(data, f"ix2:{idx},{old}")
    named = both.blind("address", "+963944100001")
    assert named.startswith("ix2:") and len(named) == 26 and index_kid(named) == "ix2"
    assert len(Keyring.parse(data, f"abcdefgh:{idx}").blind("address", "+963944100001")) == 31
    assert legacy.blind("address", "+963944100001") == both.blind_under("", "address", "+963944100001")
    assert index_kid(legacy.blind("address", "x")) == ""
    assert both.blinds("address", "x") == [both.blind("address", "x"), legacy.blind("address", "x")]
    assert both.matches("address", "x", legacy.blind("address", "x")) and not both.matches("address", "y", legacy.blind("address", "x"))
    for spec, message in [(f"{old},{idx}", "two keys without an id"), (f"a:{idx},a:{old}", "names key 'a' twice"),
                          (f"a:{idx},b:{idx}", "same key twice"), (f"toolongid:{idx}", "entry 1 is not kid:base64key"),
                          (f"a:{idx},", "entry 2 is 0 bytes")]:
        with pytest.raises(KeyringError, match=message) as caught:
            Keyring.parse(data, spec)
        assert "\n" not in str(caught.value) and idx not in str(caught.value)
