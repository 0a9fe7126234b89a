"""Rasa's API as the workflow calls it: token on every call, errors with retry flags, no token in any message."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.reunion.rasa_api import CONSENT_INTENT, RasaApi, RasaApiError
from tests.fakes._server import FakeServer, QuietHandler

TOKEN = "rasa-api-secret-" + "3" * 16


class _Handler(QuietHandler):
    fake: FakeRasaApi

    def _handle(self) -> None:
        fake = self.fake
        body = self.body()
        fake.calls.append((self.command, urlsplit(self.path).path, parse_qs(urlsplit(self.path).query), json.loads(body or b"null")))
        status = fake.status.pop(0) if fake.status else 200
        self.reply(status, json.dumps({"tracker": {}, "messages": [{"recipient_id": "7", "text": "hidden"}]}).encode())

    do_POST = _handle  # noqa: N815
    do_PUT = _handle  # noqa: N815


class FakeRasaApi(FakeServer):
    """Records Rasa API calls and answers with scripted statuses."""

    handler_class = _Handler

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str, dict, object]] = []
        self.status: list[int] = []


@pytest.fixture
def fake() -> Iterator[FakeRasaApi]:
    server = FakeRasaApi().start()
    yield server  # type: ignore[misc]
    server.stop()


def test_consent_trigger_and_erase_carry_the_token(fake, caplog):
    caplog.set_level(logging.DEBUG)
    api = RasaApi(fake.url, token=TOKEN)
    api.open_consent(7, 12)
    api.erase("7")
    assert fake.calls == [
        ("POST", "/conversations/7/trigger_intent", {"token": [TOKEN]}, {"name": CONSENT_INTENT, "entities": {"match_id": "12"}}),
        ("PUT", "/conversations/7/tracker/events", {"token": [TOKEN]}, []),
    ]
    api.close()
    assert "trigger_intent" in caplog.text and TOKEN not in caplog.text


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (503, True), (409, True), (429, True), (401, False), (403, False), (404, False), (400, False)])
def test_errors_say_whether_to_retry_and_never_show_the_token(fake, status, retryable):
    fake.status = [status]
    api = RasaApi(fake.url, token=TOKEN)
    with pytest.raises(RasaApiError) as caught:
        api.open_consent(7, 12)
    assert caught.value.retryable is retryable
    assert TOKEN not in str(caught.value) and str(status) in str(caught.value)
    api.close()


def test_an_unreachable_rasa_is_retryable():
    api = RasaApi("http://127.0.0.1:1", token=TOKEN, timeout=1)
    with pytest.raises(RasaApiError) as caught:
        api.erase("7")
    assert caught.value.retryable and TOKEN not in str(caught.value)
    assert TOKEN not in repr(api)
