"""Reunion fixtures: contacts, a registry source, and a match worker on the real databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.contacts import get_or_create_contact
from bot.models import Contact, Message, Operator, Registration
from bot.reunion.config import ReunionConfig
from bot.reunion.searches import SearchDetails, open_search
from bot.reunion.trust import corroborate
from bot.reunion.verification import code_hash, redeem, register
from bot.reunion.worker import ReunionWorker
from matching.service import RegistryMatcher
from matching.store import RegistryRow, RegistrySource, utcnow

#: The person at the heart of most tests, as the family describes them and as they register.
PERSON = dict(full_name="محمد أحمد الحلبي", father_name="أحمد", mother_name="فاطمة", birth_year=1985, governorate="حلب")


@dataclass
class Clock:
    """A clock the tests move forward."""

    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def config() -> ReunionConfig:
    """Default limits, short delays."""
    return ReunionConfig(consent_reminder_seconds=3600, consent_timeout_seconds=3600, list_news_delay_seconds=0)


def contact(factory: sessionmaker, address: str, *, channel: str = "sms", language: str = "ar") -> int:
    """A contact id for the address (created)."""
    with factory() as session, session.begin():
        c = get_or_create_contact(session, channel, address)
        c.language = language
        return int(c.id)


def operator(factory: sessionmaker, name: str = "huda") -> int:
    """An active operator's id."""
    with factory() as session, session.begin():
        op = Operator(username=name, password_hash="x")
        session.add(op)
        session.flush()
        return int(op.id)


def search(factory: sessionmaker, contact_id: int, config: ReunionConfig, **fields: object) -> int:
    """Open a search (the family's details) and return its id."""
    details = {**PERSON, "searcher_name": "سامر", "relationship": "أخوه", **fields}
    with factory() as session, session.begin():
        opened = open_search(session, contact_id, SearchDetails(**details), config)  # type: ignore[arg-type]
        assert opened.status == "recorded", opened
        assert opened.search is not None
        return int(opened.search.id)


def outbox(factory: sessionmaker, contact_id: int) -> list[Message]:
    """Outbound messages queued for a contact, in order."""
    with factory() as session:
        return list(
            session.execute(
                select(Message).where(Message.contact_id == contact_id, Message.direction == "out").order_by(Message.id)
            ).scalars()
        )


def code_sent_to(factory: sessionmaker, contact_id: int) -> str:
    """The six-digit code in the last verification message to a contact."""
    import re

    bodies = [m.body for m in outbox(factory, contact_id) if m.kind == "verification"]
    assert bodies, "no verification message"
    found = re.search(r"\d{6}", bodies[-1] or "")
    assert found
    return found.group(0)


def registered(factory: sessionmaker, contact_id: int, config: ReunionConfig, callback: str | None = None,
               corroborated: bool = True, **fields: object) -> int:
    """Register and verify with the code sent; returns the registration id.

    ``corroborated`` (the default) also records that two operators spoke with the person, as the
    consent flow's tests assume; tests/adversary/ and the trust tests register without it.
    """
    with factory() as session, session.begin():
        reg = register(session, contact_id, callback=callback, share_policy="share_number", **{**PERSON, **fields})  # type: ignore[arg-type]
        registration_id = int(reg.registration.id)
        code_contact = reg.code_contact_id
    assert code_contact is not None
    code = code_sent_to(factory, code_contact)
    with factory() as session, session.begin():
        done = redeem(session, contact_id, code, config)
        assert done.status == "verified", done
        if corroborated:
            reg_row = session.get(Registration, registration_id)
            corroborate(session, reg_row, "operators")
    return registration_id


def add_source(factory: sessionmaker, name: str, *, public: bool) -> None:
    """A registry source that does or does not allow confirmation to families."""
    with factory() as session, session.begin():
        session.add(RegistrySource(name=name, label=name, allow_public_confirmation=public))


def add_row(factory: sessionmaker, source: str, record_id: str, **fields: object) -> int:
    """A registry row (a released list entry); returns its primary key."""
    values = {**PERSON, **fields}
    with factory() as session, session.begin():
        row = RegistryRow(source=source, record_id=record_id, release_date=dt.date(2024, 12, 8), updated_at=utcnow(), **values)
        session.add(row)
        session.flush()
        return int(row.id)


@pytest.fixture
def worker(factory: sessionmaker, config: ReunionConfig) -> Iterator[ReunionWorker]:
    """A match worker over the real registry store (no Rasa: the question is queued directly)."""
    w = ReunionWorker(factory, RegistryMatcher(factory, refresh_seconds=0.0), config)
    w.start()
    yield w


def contact_row(factory: sessionmaker, contact_id: int) -> Contact:
    """A fresh copy of a contact row."""
    with factory() as session:
        c = session.get(Contact, contact_id)
        assert c is not None
        return c


__all__ = ["Clock", "code_hash", "PERSON"]
