"""Outages of the parts around the gateway: Rasa down, Redis down, a provider failing for minutes.

Each test breaks one part for real (a closed port, a Redis client pointed at nothing), checks
that nothing is lost or reordered meanwhile, then mends it and checks every message is answered.
"""

from __future__ import annotations

from dataclasses import replace

import redis
from sqlalchemy import select, update

from bot.channels.base import InboundMessage
from bot.gateway import jobs
from bot.gateway.dialogue import RasaRestClient
from bot.gateway.inbound import accept
from bot.gateway.outbox import backoff
from bot.models import Escalation, Message
from matching.store import utcnow
from shaml.settings import Settings
from shaml.web import gateway_config
from tests.fakes.twilio import inbound_form, signed_webhook
from tests.gateway.conftest import PUBLIC_URL, run_worker, with_config


def _post(client, sid: str, body: str, sender: str = "+963944111222") -> int:  # type: ignore[no-untyped-def]
    content, headers = signed_webhook(PUBLIC_URL, "/twilio/inbound", inbound_form(sid=sid, body=body, from_=sender))
    return int(client.post("/twilio/inbound", content=content, headers=headers).status_code)


def _inbound(factory) -> list[Message]:  # type: ignore[no-untyped-def]
    with factory() as session:
        return list(session.execute(select(Message).where(Message.direction == "in").order_by(Message.id)).scalars())


def test_rasa_down_messages_wait_in_order_and_are_answered_when_it_is_back(client, gateway, fake_rasa, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    fake_rasa.responder = lambda turn: [{"text": "جواب: " + turn.message}]
    live = gateway.dialogue
    gateway.dialogue = RasaRestClient("http://127.0.0.1:9", timeout=1)  # nothing listens there
    for i in range(3):
        assert _post(client, f"SM-down-{i}", f"رسالة {i}") == 200
    for _ in range(3):  # several sweeps' worth of retries while Rasa is still down
        run_worker(gateway)
        with factory() as session, session.begin():
            session.execute(update(Message).where(Message.direction == "in").values(next_attempt_at=None))
        jobs.sweep(gateway)
    waiting = _inbound(factory)
    assert [(m.status, m.attempts) for m in waiting] == [("received", 0)] * 3
    assert fake_twilio.sent == [] and fake_rasa.turns == []
    with factory() as session:
        assert session.execute(select(Escalation)).first() is None  # an outage is not the family's problem

    gateway.dialogue = live
    with factory() as session, session.begin():
        session.execute(update(Message).where(Message.direction == "in").values(next_attempt_at=None))
    jobs.sweep(gateway)
    run_worker(gateway)
    assert [(m.status, m.attempts) for m in _inbound(factory)] == [("processed", 1)] * 3
    assert [t.message for t in fake_rasa.turns] == ["رسالة 0", "رسالة 1", "رسالة 2"]
    assert [r.form["Body"] for r in fake_twilio.sent] == ["جواب: رسالة 0", "جواب: رسالة 1", "جواب: رسالة 2"]


def test_redis_down_a_webhook_is_still_stored_and_the_sweep_finds_it(client, gateway, fake_rasa, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    fake_rasa.responder = lambda turn: [{"text": "وصلت"}]
    dead = redis.Redis(host="127.0.0.1", port=9, socket_connect_timeout=0.5)  # nothing listens there
    down = replace(gateway, redis=dead)
    first = accept(down, InboundMessage(channel="sms", address="+963944111333", provider_id="SM-noredis", body="مرحبا"))
    again = accept(down, InboundMessage(channel="sms", address="+963944111333", provider_id="SM-noredis", body="مرحبا"))
    assert not first.duplicate and again.duplicate and again.message_id == first.message_id
    assert "Redis unavailable" in logs.text
    assert [m.provider_id for m in _inbound(factory)] == ["SM-noredis"]

    jobs.configure(gateway)
    assert jobs.sweep(gateway) == (1, 0)  # no wake-up was queued; the sweep is what finds it
    run_worker(gateway)
    assert [m.status for m in _inbound(factory)] == ["processed"]
    assert [r.form["Body"] for r in fake_twilio.sent] == ["وصلت"]


def test_backoff_is_capped_so_an_outage_is_waited_out_at_a_steady_pace(gateway):  # type: ignore[no-untyped-def]
    defaults = gateway_config(Settings.from_env({}))
    gw = with_config(gateway, retry_base_ms=defaults.retry_base_ms, retry_max_ms=defaults.retry_max_ms)
    delays = [(backoff(gw, n) - utcnow()).total_seconds() for n in (1, 2, 3, 4, 5, 6, 12, 200)]
    assert [round(d) for d in delays] == [2, 4, 8, 16, 30, 30, 30, 30]
    # With the default settings a send or a Rasa turn is retried for about four minutes: a
    # provider failing for a minute is waited out with room to spare.
    waited = sum(round((backoff(gw, n) - utcnow()).total_seconds()) for n in range(1, defaults.max_attempts))
    assert waited == 2 + 4 + 8 + 16 + 30 * 7
