"""Console fixtures: the real web service (gateway + console) on the test databases and Redis, fake Twilio
and fake Rasa, operator accounts, and seeded conversations, matches and registrations."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker

from bot.contacts import escalate, get_or_create_contact
from bot.gateway import jobs
from bot.gateway.context import Gateway
from bot.models import Match, Message, Operator, Registration, SearchRequest
from console.auth import hash_password
from matching.store import RegistryRow, RegistrySource, utcnow
from shaml.settings import Settings
from shaml.web import build_gateway, create_app
from tests.conftest import REDIS_URL
from tests.fakes.rasa import FakeRasa
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

PASSWORD = "correct-horse-battery"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def console_env(db_url: str, redis_prefix: str, twilio_url: str, rasa_url: str, **extra: str) -> dict[str, str]:
    """The environment the web service runs with in console tests."""
    env = {
        "SHAML_DATABASE_URL": db_url,
        "SHAML_REDIS_URL": REDIS_URL,
        "SHAML_REDIS_PREFIX": redis_prefix,
        "SHAML_PUBLIC_URL": "http://127.0.0.1:8000",
        "SHAML_TWILIO_API_URL": twilio_url,
        "SHAML_RASA_URL": rasa_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "SHAML_RETRY_BASE_MS": "0",
        "SHAML_TWILIO_TEMPLATE_SID": "HX" + "1" * 32,
        "SHAML_DEMO": "false",
        # A deployment on Twilio alone (the default sends +963 to a gateway phone these fixtures do not
        # have); the gateway routes have their own settings (channel_env in tests/gateway/conftest.py).
        "SHAML_SMS_ROUTES": "*=twilio",
    }
    env.update(extra)
    return env


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A fake Twilio REST API on a free port."""
    with FakeTwilio() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    """A fake Rasa REST channel on a free port (echoes each message)."""
    with FakeRasa() as fake:
        yield fake  # type: ignore[misc]


#: Where nothing listens: a test that did not ask for a fake must not reach Twilio or Rasa.
NOWHERE = "http://127.0.0.1:9"


@pytest.fixture
def settings(request: pytest.FixtureRequest, db_url: str, redis_prefix: str, tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    """Settings for one test: its database, its Redis prefix, and the fakes the test asked for."""
    twilio = request.getfixturevalue("fake_twilio").url if "fake_twilio" in request.fixturenames else NOWHERE
    rasa = request.getfixturevalue("fake_rasa").url if "fake_rasa" in request.fixturenames else NOWHERE
    return Settings.from_env(console_env(db_url, redis_prefix, twilio, rasa, SHAML_VAR_DIR=str(tmp_path / "var")))


@pytest.fixture
def gateway(settings: Settings, factory: sessionmaker) -> Iterator[Gateway]:
    """The gateway as ``shaml serve`` wires it, registered for in-process RQ jobs."""
    gw = build_gateway(settings, factory=factory)
    jobs.configure(gw)
    yield gw
    for name in ("inbound", "outbox"):
        gw.queue(name).delete(delete_jobs=True)
    gw.dialogue.close()  # type: ignore[attr-defined]
    gw.redis.close()


@pytest.fixture
def app(settings: Settings, gateway: Gateway) -> Any:
    """The whole web service: gateway routes plus the console at /console."""
    return create_app(settings, gateway=gateway)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    """An anonymous browser on the web service (follows no redirects, so tests see them)."""
    with TestClient(app, follow_redirects=False) as c:
        yield c


@dataclass
class Accounts:
    """Two accounts, one per role, plus a second operator."""

    operator: Operator
    admin: Operator
    other: Operator


@functools.lru_cache(maxsize=8)
def _hash(password: str) -> str:
    # argon2 is slow on purpose (about half a second here); the tests' accounts share one hash.
    return hash_password(password)


def add_operator(factory: sessionmaker, username: str, role: str, password: str = PASSWORD) -> Operator:
    """Create an account directly in the database."""
    with factory() as db, db.begin():
        op = Operator(username=username, display_name=username.title(), password_hash=_hash(password),
                      role=role, active=True, failed_logins=0)
        db.add(op)
        db.flush()
        db.expunge(op)
        return op


@pytest.fixture
def accounts(factory: sessionmaker) -> Accounts:
    """``rania`` (operator), ``samir`` (admin) and ``omar`` (operator)."""
    return Accounts(
        operator=add_operator(factory, "rania", "operator"),
        admin=add_operator(factory, "samir", "admin"),
        other=add_operator(factory, "omar", "operator"),
    )


def url(kind: str, row_id: int, suffix: str = "") -> str:
    """The console page of a row by its public id: ``url("contact", 7, "/claim")`` (ids in URLs are opaque)."""
    from console.public_ids import path

    return path(kind, row_id, suffix)


def ref(kind: str, row_id: int) -> str:
    """A row's public id, as forms and links carry it."""
    from console.public_ids import encode

    return encode(kind, row_id)


def csrf_of(client: TestClient, path: str = "/console/login") -> str:
    """The CSRF token a page hands the browser."""
    response = client.get(path)
    match = CSRF_META.search(response.text)
    assert match, f"no CSRF token on {path} ({response.status_code})"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    """Log in through the form, as a browser does; returns the response."""
    token = csrf_of(client)
    return client.post("/console/login", data={"csrf": token, "username": username, "password": password,
                                               "next": "/console/"})


def logged_in(app: Any, username: str) -> TestClient:
    """A new browser logged in as ``username`` (close it after use)."""
    c = TestClient(app, follow_redirects=False)
    c.__enter__()
    response = login(c, username)
    assert response.status_code == 303, response.text
    return c


def post(client: TestClient, path: str, data: dict[str, Any] | None = None, *, page: str = "/console/inbox",
         **kwargs: Any) -> Any:
    """POST a form with the session's CSRF token, taken from ``page``."""
    token = csrf_of(client, page)
    return client.post(path, data={"csrf": token, **(data or {})}, **kwargs)


def escalated_contact(factory: sessionmaker, *, channel: str = "whatsapp", address: str = "+963912345678",
                      body: str = "بدي احكي مع شخص", reason: str = "requested", hours_ago: float = 0.0) -> int:
    """A contact who wrote and was handed to a person; returns its id."""
    import datetime as dt

    with factory() as db, db.begin():
        contact = get_or_create_contact(db, channel, address)
        contact.last_inbound_at = utcnow() - dt.timedelta(hours=hours_ago)
        db.add(Message(contact_id=contact.id, direction="in", author="user", body=body, status="processed",
                       route="rasa", attempts=0, provider_id=f"SMtest{contact.id}{address[-4:]}"))
        db.add(Message(contact_id=contact.id, direction="out", author="bot", body="سيرد عليك أحد المتطوعين قريباً.",
                       status="delivered", kind="reply", attempts=1))
        escalate(db, contact.id, reason)
        return int(contact.id)


@dataclass
class ReviewCase:
    """A search and a registry row the matcher put in the review band."""

    match_id: int
    search_id: int
    row_id: int
    family_contact: int


def review_case(factory: sessionmaker, *, name: str = "محمد أحمد الحلبي") -> ReviewCase:
    """Seed a family's search, a registry row and a ``review`` match between them with an explanation."""
    from matching.engine import Matcher
    from matching.records import Query

    with factory() as db, db.begin():
        family = get_or_create_contact(db, "sim", "family-review")
        if db.get(RegistrySource, "test-list") is None:
            db.add(RegistrySource(name="test-list", label="Test list", allow_public_confirmation=False))
            db.flush()
        row = RegistryRow(source="test-list", record_id="r-1", full_name=name, father_name="أحمد",
                          mother_name="فاطمة", birth_year=1985, governorate="حلب", prison="صيدنايا")
        db.add(row)
        search = SearchRequest(contact_id=family.id, status="open", full_name="محمد احمد الحلبي",
                               mother_name="فاطمه", birth_year=1986, searcher_name="أم محمد", relationship="أم",
                               consent_at=utcnow())
        db.add(search)
        db.flush()
        result = Matcher([row.to_record()]).search(Query("q", search.full_name, mother_name=search.mother_name,
                                                         birth_year=search.birth_year))
        candidate = result.candidates[0]
        match = Match(search_id=search.id, registry_record_id=row.id, decision=result.decision, status="review",
                      score=candidate.score, explanation=candidate.explanation)
        db.add(match)
        db.flush()
        return ReviewCase(int(match.id), int(search.id), int(row.id), int(family.id))


def registration(factory: sessionmaker, *, callback: str = "+963933000111", awaiting_call: bool = False) -> int:
    """A released person's registration waiting for its callback number to be verified; with
    ``awaiting_call``, a family's search matched it and he asked for an operator's call first (the
    match waits in ``vetting``, so any operator may see the registration)."""
    with factory() as db, db.begin():
        contact = get_or_create_contact(db, "sim", "survivor-reg")
        reg = Registration(contact_id=contact.id, status="pending_verification", full_name="خالد عمر السيد",
                           mother_name="مريم", birth_year=1979, governorate="دمشق", callback_address=callback,
                           share_policy="safe_only")
        db.add(reg)
        db.flush()
        if awaiting_call:
            family = get_or_create_contact(db, "sim", "family-vetting")
            search = SearchRequest(contact_id=family.id, status="open", full_name="خالد عمر السيد", consent_at=utcnow())
            db.add(search)
            db.flush()
            db.add(Match(search_id=search.id, registration_id=reg.id, decision="match", status="vetting", score=0.9))
        return int(reg.id)
