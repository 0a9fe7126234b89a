"""The demo's fake providers answer as the real ones do: they check the bot token, the gateway's login and
Twilio's account, keep what they receive as the phone's screen, and Twilio refuses Syria (21408)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import redis

from shaml.demo_fakes import Credentials, DemoFakes, Screens, demo_env, main
from tests.conftest import REDIS_URL

ENV = demo_env("http://fakes")
CREDS = Credentials(ENV["SHAML_TELEGRAM_BOT_TOKEN"], ENV["SHAML_SMSGATE_USERNAME"], ENV["SHAML_SMSGATE_PASSWORD"],
                    ENV["SHAML_SMSGATE_SIGNING_KEY"], ENV["TWILIO_ACCOUNT_SID"], ENV["TWILIO_AUTH_TOKEN"])


@pytest.fixture
def fakes(redis_prefix: str) -> Iterator[DemoFakes]:
    with DemoFakes(CREDS, Screens(redis.Redis.from_url(REDIS_URL), redis_prefix)) as running:
        yield running


def test_telegram_needs_the_token_and_shows_what_the_bot_sent(fakes: DemoFakes) -> None:
    wrong = httpx.post(f"{fakes.url}/telegram/bot123:nope/sendMessage", json={"chat_id": 1, "text": "x"})
    assert wrong.status_code == 401
    keyboard = {"keyboard": [[{"text": "شارك رقمي", "request_contact": True}]]}
    sent = httpx.post(f"{fakes.url}/telegram/bot{CREDS.telegram_token}/sendMessage",
                      json={"chat_id": 963944100001, "text": "ما رقمك؟", "reply_markup": keyboard})
    assert sent.status_code == 200 and sent.json()["ok"] is True
    assert [(m["direction"], m["body"], m["buttons"]) for m in fakes.screens.read("telegram", "963944100001")] == [
        ("out", "ما رقمك؟", [{"text": "شارك رقمي", "contact": True}])]


def test_the_gateway_needs_its_login_and_twilio_refuses_syria(fakes: DemoFakes) -> None:
    message = {"id": "m1", "textMessage": {"text": "رمز شمل: 123456"}, "phoneNumbers": ["+963955000001"]}
    assert httpx.post(f"{fakes.url}/smsgate/messages", json=message, auth=("demo", "wrong")).status_code == 401
    accepted = httpx.post(f"{fakes.url}/smsgate/messages", json=message, auth=(CREDS.gateway_user, CREDS.gateway_password))
    assert accepted.status_code == 202
    assert [m["body"] for m in fakes.screens.read("sms", "+963955000001")] == ["رمز شمل: 123456"]
    messages = f"{fakes.url}/twilio/2010-04-01/Accounts/{CREDS.twilio_sid}/Messages.json"
    auth = (CREDS.twilio_sid, CREDS.twilio_token)
    syria = httpx.post(messages, data={"To": "+963955000001", "From": "+15005550006", "Body": "x"}, auth=auth)
    assert syria.status_code == 400 and syria.json()["code"] == 21408
    abroad = httpx.post(messages, data={"To": "+905321234567", "From": "+15005550006", "Body": "x"}, auth=auth)
    assert abroad.status_code == 201
    assert fakes.screens.twilio_requests() == 2


def test_the_fakes_run_in_demo_mode_only(shaml_env) -> None:  # type: ignore[no-untyped-def]
    shaml_env.setenv("SHAML_DEMO", "false")
    with pytest.raises(SystemExit) as stopped:
        main(["--port", "0"])
    assert "demo mode only" in str(stopped.value)
