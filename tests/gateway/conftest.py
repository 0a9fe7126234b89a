"""Gateway fixtures: fake Twilio and fake Rasa servers, a gateway on the real databases and Redis, a worker."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace

import pytest
import redis
from fastapi.testclient import TestClient
from rq import SimpleWorker
from sqlalchemy import select

from bot.gateway import jobs
from bot.gateway.context import JOB_SERIALIZER, Gateway
from bot.gateway.dialogue import RasaRestClient
from bot.models import Contact, Escalation, Message
from shaml.settings import Settings
from shaml.web import build_gateway, create_app
from tests.conftest import REDIS_URL
from tests.fakes.rasa import FakeRasa
from tests.fakes.smsgate import PASSWORD, SIGNING_KEY, USERNAME, FakeSmsGate
from tests.fakes.telegram import BOT_TOKEN, WEBHOOK_SECRET, FakeTelegram
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

PUBLIC_URL = "http://127.0.0.1:8000"
RASA_TOKEN = "rasa-secret-" + "9" * 20


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A fake Twilio REST API on a free port."""
    with FakeTwilio() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A fake Telegram Bot API on a free port."""
    with FakeTelegram() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def fake_smsgate() -> Iterator[FakeSmsGate]:
    """A fake SMS gateway phone's API on a free port."""
    with FakeSmsGate() as fake:
        yield fake  # type: ignore[misc]


def channel_env(telegram_url: str, smsgate_url: str) -> dict[str, str]:
    """The Telegram and SMS gateway settings pointing at the fakes, with Syria routed to the gateway."""
    return {
        "SHAML_TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "SHAML_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SHAML_TELEGRAM_API_URL": telegram_url,
        "SHAML_SMSGATE_API_URL": smsgate_url,
        "SHAML_SMSGATE_USERNAME": USERNAME,
        "SHAML_SMSGATE_PASSWORD": PASSWORD,
        "SHAML_SMSGATE_SIGNING_KEY": SIGNING_KEY,
        "SHAML_SMS_ROUTES": "+963=smsgate,*=twilio",
    }


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    """A fake Rasa channel on a free port (echoes each message); it refuses turns not signed with RASA_TOKEN."""
    with FakeRasa(token=RASA_TOKEN) as fake:
        yield fake  # type: ignore[misc]


def gateway_env(db_url: str, redis_prefix: str, twilio_url: str, rasa_url: str, **extra: str) -> dict[str, str]:
    """The environment a gateway process runs with in tests."""
    env = {
        "SHAML_DATABASE_URL": db_url,
        "SHAML_REDIS_URL": REDIS_URL,
        "SHAML_REDIS_PREFIX": redis_prefix,
        "SHAML_PUBLIC_URL": PUBLIC_URL,
        "SHAML_TWILIO_API_URL": twilio_url,
        "SHAML_RASA_URL": rasa_url,
        "SHAML_RASA_TOKEN": RASA_TOKEN,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "SHAML_RETRY_BASE_MS": "0",
        "SHAML_SEND_MAX_ATTEMPTS": "4",
        "SHAML_DEMO": "true",
        "SHAML_LOG_LEVEL": "DEBUG",
        # A deployment on Twilio alone (the default sends +963 to a gateway phone these fixtures do not
        # have); the gateway routes have their own settings (channel_env in tests/gateway/conftest.py).
        "SHAML_SMS_ROUTES": "*=twilio",
    }
    env.update(extra)
    return env


@pytest.fixture
def settings(db_url: str, redis_prefix: str, fake_twilio: FakeTwilio, fake_rasa: FakeRasa) -> Settings:
    """Settings for one test: its database, its Redis prefix, the fakes, no back-off delay."""
    return Settings.from_env(gateway_env(db_url, redis_prefix, fake_twilio.url, fake_rasa.url))


@pytest.fixture
def channel_settings(  # type: ignore[no-untyped-def]
    db_url: str, redis_prefix: str, fake_twilio: FakeTwilio, fake_rasa: FakeRasa, fake_telegram, fake_smsgate
) -> Settings:
    """Settings with Telegram and the SMS gateway on their fakes and +963 routed to the gateway."""
    env = gateway_env(db_url, redis_prefix, fake_twilio.url, fake_rasa.url, **channel_env(fake_telegram.url, fake_smsgate.url))
    return Settings.from_env(env)


def wired_gateway(settings: Settings, factory) -> Iterator[Gateway]:  # type: ignore[no-untyped-def]
    """A gateway wired from ``settings`` exactly as ``shaml serve`` wires it, registered for
    in-process RQ jobs; its queues emptied and its connections closed afterwards."""
    gw = build_gateway(settings, factory=factory)
    jobs.configure(gw)
    yield gw
    for name in ("inbound", "outbox"):
        gw.queue(name).delete(delete_jobs=True)
    assert isinstance(gw.dialogue, RasaRestClient)
    gw.dialogue.close()
    gw.redis.close()


def web_client(settings: Settings, gw: Gateway) -> Iterator[TestClient]:
    """The web service on ``gw``, started and stopped around the test."""
    with TestClient(create_app(settings, gateway=gw)) as c:
        yield c


@pytest.fixture
def channel_gateway(channel_settings: Settings, factory) -> Iterator[Gateway]:  # type: ignore[no-untyped-def]
    """The gateway wired from :func:`channel_settings`, registered for in-process RQ jobs."""
    yield from wired_gateway(channel_settings, factory)


@pytest.fixture
def channel_client(channel_settings: Settings, channel_gateway: Gateway) -> Iterator[TestClient]:
    """The web service on the channel gateway."""
    yield from web_client(channel_settings, channel_gateway)


@pytest.fixture
def gateway(settings: Settings, factory) -> Iterator[Gateway]:  # type: ignore[no-untyped-def]
    """A gateway wired exactly as ``shaml serve`` wires it, registered for in-process RQ jobs."""
    yield from wired_gateway(settings, factory)


def with_config(gw: Gateway, **changes: object) -> Gateway:
    """The same gateway with some configuration changed (e.g. a template), registered for jobs."""
    other = replace(gw, config=replace(gw.config, **changes))  # type: ignore[arg-type]
    jobs.configure(other)
    return other


@pytest.fixture
def client(settings: Settings, gateway: Gateway) -> Iterator[TestClient]:
    """The web service on the test gateway."""
    yield from web_client(settings, gateway)


def run_worker(gw: Gateway) -> None:
    """Run every queued inbound and outbox job in this process until both queues are empty."""
    queues = [gw.queue("inbound"), gw.queue("outbox")]
    for _ in range(20):
        SimpleWorker(queues, connection=gw.redis, serializer=JOB_SERIALIZER).work(burst=True, logging_level="WARNING")
        if all(q.count == 0 for q in queues):
            return


def stored_rows(factory) -> tuple[list[Message], list[Message], list[Contact], list[Escalation]]:  # type: ignore[no-untyped-def]
    """What a case left in the database: inbound messages, outbound ones in id order, contacts, escalations."""
    with factory() as session:
        inbound = session.execute(select(Message).where(Message.direction == "in")).scalars().all()
        outbound = session.execute(select(Message).where(Message.direction == "out").order_by(Message.id)).scalars().all()
        contacts = session.execute(select(Contact)).scalars().all()
        escalations = session.execute(select(Escalation)).scalars().all()
    return list(inbound), list(outbound), list(contacts), list(escalations)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record at DEBUG; at the end, asserts no secret appears in any of them."""
    caplog.set_level(logging.DEBUG)
    yield caplog
    records = caplog.get_records("setup") + caplog.get_records("call")
    assert records, "nothing was logged, so nothing was checked"
    assert_no_secrets("\n".join(r.getMessage() for r in records))


def assert_no_secrets(text: str) -> None:
    """The Twilio auth token, the Rasa token, and the Telegram and gateway secrets never reach a log."""
    for secret in (AUTH_TOKEN, RASA_TOKEN, BOT_TOKEN, BOT_TOKEN.split(":")[1], WEBHOOK_SECRET, PASSWORD, SIGNING_KEY):
        assert secret not in text


def redis_client() -> redis.Redis:
    """A client on the test Redis."""
    return redis.Redis.from_url(REDIS_URL)
