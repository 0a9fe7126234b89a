"""The resilience bench's Telegram and gateway fakes, driven by the real channels: the bench counts a
reply as delivered only when the fake holds it under the id the channel stores, so that must hold."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bot.channels.base import Outgoing
from bot.channels.smsgate import SmsGateChannel
from bot.channels.telegram import TelegramChannel
from bot.gateway.errors import SendError
from shaml.bench.fakes import FakeGatewayAPI, FakeTelegramAPI
from shaml.bench.resilience import sent_as

TOKEN = "1234567890:bench-telegram-token-abcdefgh"


@pytest.fixture
def telegram() -> Iterator[FakeTelegramAPI]:
    api = FakeTelegramAPI(TOKEN)
    yield api
    api.stop()


@pytest.fixture
def gateway() -> Iterator[FakeGatewayAPI]:
    api = FakeGatewayAPI("bench", "gate-password-0123456789")
    yield api
    api.stop()


def test_a_telegram_send_is_found_from_the_id_the_channel_stores(telegram: FakeTelegramAPI) -> None:
    channel = TelegramChannel(token=TOKEN, webhook_secret="s" * 20, api_url=telegram.url)
    result = channel.send(Outgoing(channel="telegram", address="541100001", body="أهلا", reference="shaml-9-1"))
    assert "541100001" not in result.provider_id
    (held,) = telegram.snapshot()
    assert (held.sid, held.to, held.body) == (sent_as(result.provider_id, "541100001"), "541100001", "أهلا")
    assert sent_as("shaml-9-1", "+963944110001") == "shaml-9-1"  # the gateway's and Twilio's ids are used as stored


def test_a_telegram_storm_answers_429_with_retry_after_and_counts_early_sends(telegram: FakeTelegramAPI) -> None:
    channel = TelegramChannel(token=TOKEN, webhook_secret="s" * 20, api_url=telegram.url)
    message = Outgoing(channel="telegram", address="541100002", body="x")
    telegram.storm(60, retry_after=7)
    with pytest.raises(SendError) as refused:
        channel.send(message)
    assert refused.value.wait and refused.value.retry_after == 7
    with pytest.raises(SendError):
        channel.send(message)  # at once, not 7 s later: an early send
    telegram.storm_until = 0.0
    channel.send(Outgoing(channel="telegram", address="541100003", body="y"))  # another chat: not early
    assert telegram.too_many() == 2
    assert telegram.early() == 1
    assert [d.to for d in telegram.snapshot()] == ["541100003"]


def test_an_offline_gateway_phone_drops_sends_and_a_second_send_of_one_id_is_kept(gateway: FakeGatewayAPI) -> None:
    channel = SmsGateChannel(api_url=gateway.url, username="bench", password="gate-password-0123456789", signing_key="k" * 20,
                             per_minute=1000)
    message = Outgoing(channel="sms", address="+963944110001", body="رد", reference="shaml-7-1")
    gateway.offline_until = time.time() + 60
    with pytest.raises(SendError) as offline:
        channel.send(message)
    assert offline.value.wait and offline.value.code == "gateway_offline"
    assert gateway.refused == 1 and gateway.snapshot() == []
    gateway.offline_until = 0.0
    assert channel.send(message).provider_id == "shaml-7-1"
    channel.send(message)  # the same message handed over twice: both kept, so the ledger sees a duplicate
    assert [(d.sid, d.to, d.body) for d in gateway.snapshot()] == [("shaml-7-1", "+963944110001", "رد")] * 2


def test_the_gateway_refuses_wrong_credentials(gateway: FakeGatewayAPI) -> None:
    channel = SmsGateChannel(api_url=gateway.url, username="bench", password="wrong-password-0123456", signing_key="k" * 20)
    with pytest.raises(SendError) as refused:
        channel.send(Outgoing(channel="sms", address="+963944110001", body="x", reference="r1"))
    assert not refused.value.retryable and gateway.snapshot() == []
