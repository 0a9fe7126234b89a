"""Encrypted columns on real databases: ciphertext at rest, plain in the ORM, equality through the blind index."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from bot.contacts import get_or_create_contact
from bot.crypto import KeyringError, active, install, is_sealed, new_key
from bot.crypto.keyring import Keyring
from bot.models import Contact, Message, Registration, SearchRequest
from shaml.db import make_engine, transaction
from shaml.keys import check_database


def test_values_are_sealed_at_rest_and_plain_in_the_orm(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        contact = get_or_create_contact(session, "whatsapp", "+963944100001")
        session.add(Message(contact_id=contact.id, direction="in", status="received", body="أبحث عن أخي",
                            media=[{"url": "https://media.example/1", "content_type": "image/jpeg"}]))
        session.add(SearchRequest(contact_id=contact.id, full_name="محمد الحلبي", birth_year=1990, relationship="أخ"))
        session.add(Registration(contact_id=contact.id, full_name="سامر", callback_address="+963955100002",
                                 share_policy="share_number"))
    with factory() as session:
        raw = session.execute(text("SELECT address, address_bidx FROM contacts")).one()
        assert is_sealed(raw.address) and "944100001" not in raw.address
        assert len(raw.address_bidx) == 32
        body, media = session.execute(text("SELECT body, media FROM messages")).one()
        assert is_sealed(body) and is_sealed(media) and "media.example" not in media
        name, year = session.execute(text("SELECT full_name, birth_year FROM search_requests")).one()
        assert is_sealed(name) and is_sealed(str(year))
        callback, policy = session.execute(text("SELECT callback_address, share_policy FROM registrations")).one()
        assert is_sealed(callback) and is_sealed(policy)
        # The ORM and select() of a column see the plain values.
        assert session.execute(select(Message.body)).scalar_one() == "أبحث عن أخي"
        assert session.execute(select(Message)).scalar_one().media[0]["url"] == "https://media.example/1"
        search = session.execute(select(SearchRequest)).scalar_one()
        assert (search.full_name, search.birth_year, search.relationship) == ("محمد الحلبي", 1990, "أخ")


def test_address_equality_goes_through_the_blind_index(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        first = get_or_create_contact(session, "sms", "+963944100001").id
        get_or_create_contact(session, "sms", "+963944100002")
    with transaction(factory) as session:
        assert get_or_create_contact(session, "sms", "+963944100001").id == first
        assert session.execute(select(Contact.id).where(Contact.address == "+963944100001")).scalar_one() == first
        found = session.execute(select(Contact.address).where(Contact.address.in_(["+963944100001", "+963944100002"])))
        assert sorted(found.scalars()) == ["+963944100001", "+963944100002"]
        assert session.execute(select(Contact.id).where(Contact.address == "+963944100009")).first() is None
        # A changed address gets a new index.
        contact = session.get(Contact, first)
        contact.address = "+963944100003"
    with factory() as session:
        assert session.execute(select(Contact.id).where(Contact.address == "+963944100003")).scalar_one() == first
        assert session.execute(select(Contact.id).where(Contact.address == "+963944100001")).first() is None


def test_an_encrypted_column_without_index_cannot_be_compared(factory) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match="give it a blind index"):
        select(SearchRequest.id).where(SearchRequest.full_name == "x")


def test_the_same_number_twice_is_one_contact(factory) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import IntegrityError

    with transaction(factory) as session:
        get_or_create_contact(session, "sms", "+963944100001")
    with pytest.raises(IntegrityError), transaction(factory) as session:
        session.add(Contact(channel="sms", address="+963944100001"))


def test_a_process_with_the_wrong_key_refuses_to_start(db_url) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(db_url)
    good = active()
    check_database(engine, good)  # records the current key's check (the migration already did)
    kid = good.current
    wrong = Keyring.parse(f"{kid}:{new_key()}", new_key())
    with pytest.raises(KeyringError, match=f"key '{kid}' is not the key this database was sealed with"):
        check_database(engine, wrong)
    # A new key beside the right one is accepted, and recorded.
    rotated = Keyring.parse(f"next:{new_key()},{kid}:{_b64(good, kid)}", _b64_index(good))
    check_database(engine, rotated)
    with engine.connect() as conn:
        # ``ix:-``: the check of the index key without an id (the session's).
        assert {r[0] for r in conn.execute(text("SELECT kid FROM data_key_checks"))} == {kid, "next", "ix:-"}
    engine.dispose()
    install(good)


def _b64(keyring: Keyring, kid: str) -> str:
    import base64

    return base64.b64encode(keyring.data_keys[kid]).decode()


def _b64_index(keyring: Keyring) -> str:
    import base64

    return base64.b64encode(keyring.index_key).decode()


def test_a_core_insert_gets_the_blind_index_too(factory) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert

    with transaction(factory) as session:
        new_id = session.execute(insert(Contact).values(channel="sms", address="+963944100005", language="ar",
                                                        opted_out=False, escalated=False)).inserted_primary_key[0]
    with factory() as session:
        assert session.execute(select(Contact.id).where(Contact.address == "+963944100005")).scalar_one() == new_id
        raw = session.execute(text("SELECT address FROM contacts")).scalar_one()
        assert is_sealed(raw)


def test_processes_starting_together_with_a_new_key_all_start(pg_only_url) -> None:  # type: ignore[no-untyped-def]
    import base64
    import threading

    good = active()
    b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    rotated = Keyring.parse(f"together:{new_key()},{good.current}:{b64(good.data_keys[good.current])}", b64(good.index_key))
    engines = [make_engine(pg_only_url) for _ in range(6)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(engines))

    def start(engine) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            check_database(engine, rotated)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for engine in engines:
        engine.dispose()
    assert errors == []
