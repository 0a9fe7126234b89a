"""The outbox as tables of cases: sends, retries, permanent failures, status callbacks, crash semantics."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from bot.contacts import get_or_create_contact
from bot.gateway.jobs import wake_outbox
from bot.gateway.outbox import AT_LEAST_ONCE, AT_MOST_ONCE, queue_message
from bot.models import Contact, Escalation, Message
from matching.store import utcnow
from tests.fakes.twilio import inbound_form, signed_webhook
from tests.gateway.conftest import PUBLIC_URL, run_worker, with_config

TEMPLATE = "HX" + "a" * 32
ADDRESS = "+963944123456"


def _contact(factory, channel: str = "sms", *, last_inbound: dt.timedelta | None = dt.timedelta(minutes=5)) -> int:  # type: ignore[no-untyped-def]
    with factory() as session, session.begin():
        contact = get_or_create_contact(session, channel, ADDRESS)
        contact.last_inbound_at = utcnow() - last_inbound if last_inbound is not None else None
        return int(contact.id)


def _queue(gateway, factory, contact_id: int, bodies: list[str], kind: str = "reply") -> list[int]:  # type: ignore[no-untyped-def]
    with factory() as session, session.begin():
        ids = [queue_message(session, contact_id, body, kind=kind).id for body in bodies]
    wake_outbox(gateway, contact_id)
    return ids


def _messages(factory) -> list[Message]:  # type: ignore[no-untyped-def]
    with factory() as session:
        return list(session.execute(select(Message).where(Message.direction == "out").order_by(Message.id)).scalars())


def _state(factory, contact_id: int) -> tuple[Contact, list[str]]:  # type: ignore[no-untyped-def]
    with factory() as session:
        contact = session.get(Contact, contact_id)
        reasons = list(session.execute(select(Escalation.reason)).scalars())
    return contact, reasons


@dataclass
class SendCase:
    """A scripted Twilio, one queued message, and how it must end."""

    label: str
    failures: list[tuple[int, int | None]] = field(default_factory=list)  # (HTTP status, Twilio code) in turn
    channel: str = "sms"
    template: str = ""
    status: str = "accepted"
    attempts: int = 1
    requests: int = 1
    error_code: str | None = None
    opted_out: bool = False
    escalation: list[str] = field(default_factory=list)
    template_sent: bool = False


SEND_CASES = [
    SendCase("success"),
    SendCase("429 then success", failures=[(429, 20429)], attempts=2, requests=2),
    SendCase("timeout-like 503 then success", failures=[(503, None)], attempts=2, requests=2),
    SendCase(
        "repeated 500s end in failure",
        failures=[(500, None)] * 4,
        status="failed",
        attempts=4,
        requests=4,
        error_code="500",
        escalation=["delivery_failed"],
    ),
    SendCase("21610 unsubscribed", failures=[(400, 21610)], status="failed", error_code="21610", opted_out=True),
    SendCase(
        "63016 with a template",
        failures=[(400, 63016)],
        channel="whatsapp",
        template=TEMPLATE,
        status="waiting",
        error_code="63016",
        requests=2,
        template_sent=True,
    ),
    SendCase(
        "63016 without a template",
        failures=[(400, 63016)],
        channel="whatsapp",
        status="failed",
        error_code="63016",
        escalation=["delivery_failed"],
    ),
    SendCase("other permanent refusal (21211 bad number)", failures=[(400, 21211)], status="failed", error_code="21211", escalation=["delivery_failed"]),
]


@pytest.mark.parametrize("case", SEND_CASES, ids=[c.label for c in SEND_CASES])
def test_send(case: SendCase, gateway, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    gw = with_config(gateway, template_sid=case.template)
    for status, code in case.failures:
        fake_twilio.fail_next(status, code)
    contact_id = _contact(factory, case.channel)
    (message_id,) = _queue(gw, factory, contact_id, ["سنرد عليك قريباً"])
    run_worker(gw)

    messages = _messages(factory)
    message = messages[0]
    assert message.id == message_id
    assert (message.status, message.attempts, message.error_code) == (case.status, case.attempts, case.error_code)
    assert len(fake_twilio.requests) == case.requests
    contact, escalations = _state(factory, contact_id)
    assert contact.opted_out is case.opted_out
    assert escalations == case.escalation
    templates = [r.form for r in fake_twilio.sent if "ContentSid" in r.form]
    assert bool(templates) is case.template_sent
    if case.template_sent:
        assert templates[0]["ContentSid"] == TEMPLATE and "Body" not in templates[0]
        assert templates[0]["ContentVariables"] == "{}"
    if case.status == "accepted":
        assert message.provider_id == fake_twilio.sent[-1].sid
        form = fake_twilio.sent[-1].form
        assert form["Body"] == "سنرد عليك قريباً"
        assert form["StatusCallback"] == PUBLIC_URL + "/twilio/status"
        assert form["To"] == ADDRESS and form["From"] == "+15005550006"


def test_waiting_message_goes_out_when_the_user_writes_again(client, gateway, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    gw = with_config(gateway, template_sid=TEMPLATE)
    client.app.state.gateway = gw
    contact_id = _contact(factory, "whatsapp", last_inbound=dt.timedelta(hours=30))
    _queue(gw, factory, contact_id, ["وجدنا شيئاً، هل تريد أن تعرف؟"], kind="consent")
    run_worker(gw)
    assert [r.form.get("ContentSid") for r in fake_twilio.sent] == [TEMPLATE]  # the window was closed: template only
    assert _messages(factory)[0].status == "waiting"

    body, headers = signed_webhook(PUBLIC_URL, "/twilio/inbound", inbound_form(from_=ADDRESS, whatsapp=True, body="نعم"))
    assert client.post("/twilio/inbound", content=body, headers=headers).status_code == 200
    run_worker(gw)
    bodies = [r.form.get("Body") for r in fake_twilio.sent[1:]]
    assert bodies == ["وجدنا شيئاً، هل تريد أن تعرف؟", "echo: نعم"]  # the waiting one first, in order
    assert [m.status for m in _messages(factory)] == ["accepted", "accepted", "accepted"]


def test_sms_ignores_the_whatsapp_window(gateway, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    contact_id = _contact(factory, "sms", last_inbound=None)
    _queue(gateway, factory, contact_id, ["hello"])
    run_worker(gateway)
    assert [r.form["Body"] for r in fake_twilio.sent] == ["hello"]


def test_opted_out_contact_receives_nothing_but_its_confirmation(gateway, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    contact_id = _contact(factory)
    with factory() as session, session.begin():
        session.get(Contact, contact_id).opted_out = True
    _queue(gateway, factory, contact_id, ["a reply"], kind="reply")
    _queue(gateway, factory, contact_id, ["stopped"], kind="confirmation")
    run_worker(gateway)
    assert [(m.status, m.error_code) for m in _messages(factory)] == [("failed", "opted_out"), ("accepted", None)]
    assert [r.form["Body"] for r in fake_twilio.sent] == ["stopped"]


def test_replies_keep_their_order_behind_a_retry(gateway, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    fake_twilio.fail_next(500, None, times=2)
    contact_id = _contact(factory)
    _queue(gateway, factory, contact_id, ["one", "two", "three"])
    run_worker(gateway)
    assert [r.form["Body"] for r in fake_twilio.sent] == ["one", "two", "three"]


def test_backoff_holds_the_line_until_due(gateway, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    gw = with_config(gateway, retry_base_ms=60_000)
    fake_twilio.fail_next(429, 20429)
    contact_id = _contact(factory)
    _queue(gw, factory, contact_id, ["first", "second"])
    run_worker(gw)
    first, second = _messages(factory)
    assert (first.status, first.attempts, second.status) == ("queued", 1, "queued")
    assert first.next_attempt_at is not None and len(fake_twilio.sent) == 0
    # Once due, the sweep wakes the contact and both go, in order.
    with factory() as session, session.begin():
        session.get(Message, first.id).next_attempt_at = utcnow() - dt.timedelta(seconds=1)
    from bot.gateway.jobs import sweep

    assert sweep(gw) == (0, 1)
    run_worker(gw)
    assert [r.form["Body"] for r in fake_twilio.sent] == ["first", "second"]


@dataclass
class StatusCase:
    """Status callbacks posted in turn, and the message's status and code at the end."""

    label: str
    reports: list[tuple[str, str | None]]
    status: str
    error_code: str | None = None
    opted_out: bool = False
    template_after: bool = False


STATUS_CASES = [
    StatusCase("sent then delivered", [("sent", None), ("delivered", None)], "delivered"),
    StatusCase("delivered then a late sent", [("delivered", None), ("sent", None)], "delivered"),
    StatusCase("read", [("sent", None), ("delivered", None), ("read", None)], "read"),
    StatusCase("queued then sent", [("queued", None), ("sent", None)], "sent"),
    StatusCase("failed with a code", [("sent", None), ("failed", "30003")], "failed", "30003"),
    StatusCase("undelivered with a code", [("undelivered", "30005")], "undelivered", "30005"),
    StatusCase("failed 21610 opts the contact out", [("failed", "21610")], "failed", "21610", opted_out=True),
    StatusCase("failed 63016 waits and sends the template", [("failed", "63016")], "waiting", "63016", template_after=True),
]


@pytest.mark.parametrize("case", STATUS_CASES, ids=[c.label for c in STATUS_CASES])
def test_status_callbacks(case: StatusCase, client, gateway, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    gw = with_config(gateway, template_sid=TEMPLATE)
    client.app.state.gateway = gw
    contact_id = _contact(factory, "whatsapp")
    _queue(gw, factory, contact_id, ["hello"])
    run_worker(gw)
    sid = fake_twilio.sent[0].sid
    for status, code in case.reports:
        response = fake_twilio.send_status(sid, status, code, post=client.post)
        assert response.status_code == 200
    run_worker(gw)
    message = _messages(factory)[0]
    assert (message.status, message.error_code) == (case.status, case.error_code)
    contact, _ = _state(factory, contact_id)
    assert contact.opted_out is case.opted_out
    assert any("ContentSid" in r.form for r in fake_twilio.sent) is case.template_after


def test_status_callback_needs_a_valid_signature(client, gateway, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    contact_id = _contact(factory)
    _queue(gateway, factory, contact_id, ["hello"])
    run_worker(gateway)
    sid = fake_twilio.sent[0].sid
    fake_twilio.auth_token = "a-different-token"
    assert fake_twilio.send_status(sid, "delivered", post=client.post).status_code == 403
    assert _messages(factory)[0].status == "accepted"


@pytest.mark.parametrize("kind", sorted(AT_LEAST_ONCE | AT_MOST_ONCE))
def test_a_message_left_mid_send_follows_its_kind(kind, gateway, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    """A worker died after marking the message ``sending``: resent if at-least-once, else failed."""
    contact_id = _contact(factory)
    (message_id,) = _queue(gateway, factory, contact_id, ["body"], kind=kind)
    with factory() as session, session.begin():
        message = session.get(Message, message_id)
        message.status, message.attempts = "sending", 1
        if kind == "template":
            message.template_sid = TEMPLATE
    run_worker(gateway)
    message = _messages(factory)[0]
    if kind in AT_LEAST_ONCE:
        assert (message.status, message.attempts, len(fake_twilio.sent)) == ("accepted", 2, 1)
    else:
        assert (message.status, message.error_code, len(fake_twilio.requests)) == ("failed", "interrupted", 0)
