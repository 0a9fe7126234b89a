"""The SMS gateway phone as a table of cases: signature and timestamp before parsing, dedupe on the
event id, delivery reports, pings; then a phone offline, a SIM's pace, and the route table."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.contacts import get_or_create_contact
from bot.gateway import jobs
from bot.gateway.jobs import wake_outbox
from bot.gateway.outbox import queue_message
from bot.gateway.routes import RouteTable
from bot.models import Contact, Escalation, GatewayPhone, Message
from tests.fakes.smsgate import PASSWORD, SIGNING_KEY, event, received, report, signed
from tests.gateway.conftest import run_worker

PATH = "/smsgate/webhook"


@dataclass
class Case:
    """One event: how it is signed, and what must follow."""

    label: str
    events: list[dict[str, Any] | bytes]
    key: str = SIGNING_KEY
    age: float = 0.0  # seconds between the signature's timestamp and now
    headers: dict[str, str | None] = field(default_factory=dict)  # overrides; None removes one
    status: int = 200
    stored: list[str] = field(default_factory=list)  # inbound bodies, in order
    pinged: bool = False


MOTHERS = [received("1", phone="+963944555111"), received("1", phone="+963933222444")]
REPLAYED = received("مرحبا", event_id="ev-replayed")

CASES = [
    Case("valid text", [received("بدي دور على ابني")], stored=["بدي دور على ابني"]),
    Case("two mothers texting 1 (same messageId, two events)", MOTHERS, stored=["1", "1"]),
    Case("replayed event", [REPLAYED, REPLAYED, REPLAYED], stored=["مرحبا"]),
    Case("wrong signature", [received("hi")], key="not-the-key", status=403),
    Case("missing signature", [received("hi")], headers={"X-Signature": None}, status=403),
    Case("missing timestamp", [received("hi")], headers={"X-Timestamp": None}, status=403),
    Case("stale timestamp (6 minutes old)", [received("hi")], age=360, status=403),
    Case("timestamp from the future", [received("hi")], age=-400, status=403),
    Case("timestamp that is not a number", [received("hi")], headers={"X-Timestamp": "soon"}, status=403),
    Case("oversized body", [b'{"id":"x","pad":"' + b"a" * 70_000 + b'"}'], status=413),
    Case("signed but not JSON", [b"event=sms:received"], status=400),
    Case("malformed phone number", [received("hi", phone="12")], status=400),
    Case("ping", [event("system:ping", {"health": {"status": "pass", "checks": {"battery:level": {"observedValue": 81}}}})], pinged=True),
    Case("unknown event kind", [event("mms:received", {"messageId": "m1"})]),
]


def _post(client, data: dict[str, Any] | bytes, case: Case):  # type: ignore[no-untyped-def]
    body, headers = signed(data, case.key, at=time.time() - case.age)
    for name, value in case.headers.items():
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return client.post(PATH, content=body, headers=headers)


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_event(case: Case, channel_client, channel_gateway, fake_rasa, fake_smsgate, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    for data in case.events:
        response = _post(channel_client, data, case)
        assert response.status_code == case.status, response.text
        assert SIGNING_KEY not in response.text and PASSWORD not in response.text
    run_worker(channel_gateway)
    with factory() as session:
        inbound = session.execute(select(Message).where(Message.direction == "in").order_by(Message.id)).scalars().all()
        outbound = session.execute(select(Message).where(Message.direction == "out").order_by(Message.id)).scalars().all()
        contacts = session.execute(select(Contact)).scalars().all()
        phones = session.execute(select(GatewayPhone)).scalars().all()
    assert [m.body for m in inbound] == case.stored
    assert [t.message for t in fake_rasa.turns] == case.stored
    assert fake_twilio.requests == []
    assert all(c.channel == "sms" and c.provider == "smsgate" for c in contacts)
    assert all(m.provider_id.startswith("sg-ev") for m in inbound)
    # Each reply went back through the gateway phone, to the number that wrote, under our own id.
    address = {c.id: c.address for c in contacts}
    assert [(p["phoneNumbers"], p["textMessage"]["text"], p["id"]) for p in fake_smsgate.sent] == [
        ([address[m.contact_id]], m.body, m.provider_id) for m in outbound
    ]
    assert [m.body for m in outbound] == [f"echo: {b}" for b in case.stored]
    assert all(m.provider == "smsgate" and m.status == "accepted" for m in outbound)
    if case.status != 200:
        assert contacts == [] and fake_smsgate.requests == []
    assert [p.device_id for p in phones] == (["phone-homs-1"] if case.pinged else [])
    if case.pinged:
        assert phones[0].health["status"] == "pass" and phones[0].last_ping_at is not None


def _write_in(client, gateway, text: str = "مرحبا") -> None:  # type: ignore[no-untyped-def]
    body, headers = signed(received(text))
    assert client.post(PATH, content=body, headers=headers).status_code == 200
    run_worker(gateway)


def _out(factory) -> list[Message]:  # type: ignore[no-untyped-def]
    with factory() as session:
        return list(session.execute(select(Message).where(Message.direction == "out").order_by(Message.id)).scalars())


def _post_event(client, data: dict[str, Any]) -> int:  # type: ignore[no-untyped-def]
    body, headers = signed(data)
    return int(client.post(PATH, content=body, headers=headers).status_code)


def test_delivery_reports_map_to_our_statuses(channel_client, channel_gateway, fake_rasa, fake_smsgate, factory, logs):  # type: ignore[no-untyped-def]
    _write_in(channel_client, channel_gateway)
    (reply,) = _out(factory)
    assert reply.provider_id == fake_smsgate.sent[0]["id"]
    delivered = report("sms:delivered", reply.provider_id, event_id="ev-del")
    assert _post_event(channel_client, report("sms:sent", reply.provider_id)) == 200
    assert _out(factory)[0].status == "sent"
    assert _post_event(channel_client, delivered) == 200
    assert _post_event(channel_client, delivered) == 200  # replayed: once is enough
    assert _post_event(channel_client, report("sms:sent", reply.provider_id)) == 200  # late: never backwards
    assert _out(factory)[0].status == "delivered"


def test_failed_on_the_phone_is_sent_again_and_shown(channel_client, channel_gateway, fake_rasa, fake_smsgate, factory, logs):  # type: ignore[no-untyped-def]
    _write_in(channel_client, channel_gateway)
    (reply,) = _out(factory)
    first_id = reply.provider_id
    assert _post_event(channel_client, report("sms:failed", first_id, reason="RESULT_ERROR_NO_SERVICE")) == 200
    run_worker(channel_gateway)
    (reply,) = _out(factory)
    assert reply.status == "accepted" and reply.provider_id != first_id  # handed to the phone again, new id
    assert [p["textMessage"]["text"] for p in fake_smsgate.sent] == [reply.body, reply.body]
    with factory() as session:
        phone = session.execute(select(GatewayPhone)).scalar_one()
    assert phone.last_error == "RESULT_ERROR_NO_SERVICE"  # operators see why


def test_phone_offline_for_a_minute_loses_nothing(channel_client, channel_gateway, fake_rasa, fake_smsgate, factory, logs):  # type: ignore[no-untyped-def]
    fake_smsgate.offline = True
    for text in ("واحد", "اثنان", "ثلاثة"):
        _write_in(channel_client, channel_gateway, text)
    # A minute of retries at the back-off: many more tries than SHAML_SEND_MAX_ATTEMPTS allows.
    for _ in range(channel_gateway.config.max_attempts * 2):
        out = _out(factory)
        assert [m.status for m in out] == ["queued"] * 3
        assert out[0].error_code == "gateway_offline" and out[0].attempts == 0
        with factory() as session, session.begin():
            session.execute(update(Message).where(Message.direction == "out").values(next_attempt_at=None))
        jobs.sweep(channel_gateway)
        run_worker(channel_gateway)
    fake_smsgate.offline = False
    with factory() as session, session.begin():
        session.execute(update(Message).where(Message.direction == "out").values(next_attempt_at=None))
    jobs.sweep(channel_gateway)
    run_worker(channel_gateway)
    out = _out(factory)
    assert [m.status for m in out] == ["accepted"] * 3
    assert [p["textMessage"]["text"] for p in fake_smsgate.sent] == [m.body for m in out]  # in order, once each


def test_a_sim_sends_at_its_pace(channel_client, channel_gateway, fake_rasa, fake_smsgate, factory, logs):  # type: ignore[no-untyped-def]
    channel_gateway.provider("smsgate")._clock = lambda: 1_800_000_030.0  # no minute's end mid-test
    with factory() as session, session.begin():
        contact = get_or_create_contact(session, "sms", "+963944000777")
        for i in range(9):
            queue_message(session, contact.id, f"رسالة {i}", kind="notice")
        contact_id = contact.id
    wake_outbox(channel_gateway, contact_id)
    run_worker(channel_gateway)
    out = _out(factory)
    per_minute = channel_gateway.provider("smsgate").per_minute
    assert len(fake_smsgate.sent) == per_minute
    assert [m.status for m in out] == ["accepted"] * per_minute + ["queued"] * (9 - per_minute)
    assert out[per_minute].error_code == "sim_paced" and out[per_minute].attempts == 0


def test_two_phones_share_the_load(channel_settings, factory, fake_smsgate, logs):  # type: ignore[no-untyped-def]
    from shaml.web import build_gateway

    gw = build_gateway(replace(channel_settings, smsgate_devices="phone-a,phone-b"), factory=factory)
    # One minute for all ten: the pace counts per clock minute, and a run that crosses a minute's
    # end gives phone-a a fresh share there.
    gw.provider("smsgate")._clock = lambda: 1_800_000_030.0
    jobs.configure(gw)
    with factory() as session, session.begin():
        contact = get_or_create_contact(session, "sms", "+963944000778")
        for i in range(10):
            queue_message(session, contact.id, f"m{i}", kind="notice")
    wake_outbox(gw, contact.id)
    run_worker(gw)
    devices = [p.get("deviceId") for p in fake_smsgate.sent]
    assert devices == ["phone-a"] * 6 + ["phone-b"] * 4
    gw.redis.close()


def _bare(factory, number: str) -> int:  # type: ignore[no-untyped-def]
    with factory() as session, session.begin():
        contact = get_or_create_contact(session, "sms", number)
        queue_message(session, contact.id, "رمز التحقق: 123456", kind="verification")
        return int(contact.id)


def test_a_bare_syrian_number_goes_by_the_gateway_not_twilio(channel_gateway, fake_smsgate, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    contact_id = _bare(factory, "+963944000999")
    wake_outbox(channel_gateway, contact_id)
    run_worker(channel_gateway)
    assert fake_twilio.requests == [] and len(fake_smsgate.sent) == 1
    assert _out(factory)[0].provider == "smsgate"


def test_twilio_geography_refusal_moves_to_the_next_route(channel_gateway, fake_smsgate, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    gw = replace(channel_gateway, routes=RouteTable.parse("+963=twilio,+963=smsgate,*=twilio"))
    jobs.configure(gw)
    fake_twilio.fail_next(400, 21408)
    contact_id = _bare(factory, "+963944000998")
    wake_outbox(gw, contact_id)
    run_worker(gw)
    (message,) = _out(factory)
    assert len(fake_twilio.requests) == 1  # refused once, never retried
    assert (message.provider, message.status) == ("smsgate", "accepted")
    assert len(fake_smsgate.sent) == 1


def test_twilio_refusal_without_another_route_escalates_with_a_reason(channel_gateway, fake_smsgate, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    fake_twilio.fail_next(400, 21612)
    contact_id = _bare(factory, "+905321234567")  # Turkey: Twilio's route only
    wake_outbox(channel_gateway, contact_id)
    run_worker(channel_gateway)
    (message,) = _out(factory)
    with factory() as session:
        escalations = session.execute(select(Escalation)).scalars().all()
    assert (message.status, message.error_code) == ("failed", "21612")
    assert [e.reason for e in escalations] == ["route_unavailable"]
    assert len(fake_twilio.requests) == 1 and fake_smsgate.requests == []
    assert any("no route reaches this number" in r.getMessage() for r in logs.records)


def test_register_webhooks(fake_smsgate, logs):  # type: ignore[no-untyped-def]
    from bot.channels.smsgate import EVENTS, SmsGateChannel

    channel = SmsGateChannel(api_url=fake_smsgate.url, username="sms", password=PASSWORD, signing_key=SIGNING_KEY)
    assert channel.register_webhooks("https://shaml.invalid/smsgate/webhook") == list(EVENTS)
    assert [(r.path, r.payload["event"]) for r in fake_smsgate.requests] == [("/webhooks", e) for e in EVENTS]
    assert json.dumps([r.payload for r in fake_smsgate.requests]).count("https://shaml.invalid/smsgate/webhook") == 5
