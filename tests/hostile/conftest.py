"""Hostile-input fixtures: the whole web service (gateway, simulator and console) on the test databases
and Redis with fake Twilio and fake Rasa, an admin account, and a log check that nothing private leaked."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import sessionmaker

from shaml.settings import Settings

# The same fixtures as the gateway's and the console's tests; here they pick up this folder's settings.
from tests.console.conftest import add_operator, app, client, gateway  # noqa: F401
from tests.fakes.rasa import FakeRasa
from tests.fakes.twilio import FakeTwilio
from tests.gateway.conftest import assert_no_secrets, fake_rasa, fake_twilio, gateway_env  # noqa: F401

#: The sender every hostile webhook claims to be; it must never reach a log line at INFO or above.
NUMBER = "+963944123456"


@pytest.fixture
def settings(db_url: str, redis_prefix: str, fake_twilio: FakeTwilio, fake_rasa: FakeRasa, tmp_path) -> Settings:  # type: ignore[no-untyped-def]  # noqa: F811
    """Demo mode (so /sim/inbound exists), the test's database and Redis prefix, the fakes."""
    return Settings.from_env(
        gateway_env(db_url, redis_prefix, fake_twilio.url, fake_rasa.url, SHAML_VAR_DIR=str(tmp_path / "var"))
    )


@pytest.fixture
def admin(factory: sessionmaker) -> str:
    """An admin account, ``samir``, with the console tests' password."""
    add_operator(factory, "samir", "admin")
    return "samir"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record at DEBUG. At the end: no secret anywhere, and no phone number in a record at
    INFO or above (bodies are checked by the tests that know them)."""
    caplog.set_level(logging.DEBUG)
    yield caplog
    records = caplog.get_records("setup") + caplog.get_records("call")
    assert_no_secrets("\n".join(r.getMessage() for r in records))
    loud = [r.getMessage() for r in records if r.levelno >= logging.INFO]
    assert not [m for m in loud if NUMBER in m or NUMBER.lstrip("+") in m], "a phone number reached a log"


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The WARNING lines saying what was refused, in order."""
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "refused" in r.getMessage()]
