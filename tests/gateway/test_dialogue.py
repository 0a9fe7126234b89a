"""Rasa turns as a table of cases: failures and retries, custom kinds, and the assistant's own state changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from bot.contacts import escalate, opt_out
from bot.gateway.dialogue import RasaRestClient
from bot.models import Contact, Escalation, Message
from tests.fakes.rasa import Turn
from tests.fakes.twilio import inbound_form, signed_webhook
from tests.gateway.conftest import PUBLIC_URL, run_worker


@dataclass
class TurnCase:
    """Rasa's behaviour for one message, and what the gateway must have done."""

    label: str
    failures: list[int] = field(default_factory=list)  # HTTP statuses Rasa answers first
    respond: Callable[..., list[dict]] | None = None  # (turn, factory) -> Rasa's JSON
    rasa_down: bool = False
    status: str = "processed"
    attempts: int = 1
    replies: list[tuple[str, str]] = field(default_factory=list)  # (body, kind) in order
    sent: int | None = None  # how many reached Twilio (default: all replies)
    escalation: list[str] = field(default_factory=list)
    opted_out: bool = False


def _stop(turn: Turn, factory) -> list[dict]:  # type: ignore[no-untyped-def]
    with factory() as session, session.begin():
        opt_out(session, int(turn.sender))
    return [{"recipient_id": turn.sender, "text": "تم. لن نرسل لك رسائل بعد الآن."}]


def _hand_over(turn: Turn, factory) -> list[dict]:  # type: ignore[no-untyped-def]
    with factory() as session, session.begin():
        escalate(session, int(turn.sender), "requested")
    return [{"recipient_id": turn.sender, "text": "سيجيبك أحد أعضاء فريقنا قريباً."}]


UNAVAILABLE = "نواجه عطلاً مؤقتاً. حفظنا رسالتك وسيرد عليك أحد أعضاء فريقنا."

CASES = [
    TurnCase("two replies in order", respond=lambda t, f: [{"text": "واحد"}, {"text": "اثنان"}], replies=[("واحد", "reply"), ("اثنان", "reply")]),
    TurnCase("500 once, then an answer", failures=[500], attempts=2, replies=[("echo: مرحبا", "reply")]),
    TurnCase(
        "500 every time",
        failures=[500] * 10,
        status="failed",
        attempts=4,
        replies=[(UNAVAILABLE, "notice")],
        escalation=["failed_turns"],
    ),
    # Rasa down is an outage, not this message's fault: it waits, in line, using no attempts.
    TurnCase("Rasa not running", rasa_down=True, status="received", attempts=0),
    TurnCase("400 is not retried", failures=[400], status="failed", attempts=1, replies=[(UNAVAILABLE, "notice")], escalation=["failed_turns"]),
    TurnCase("no reply at all", respond=lambda t, f: []),
    TurnCase(
        "a runaway turn is capped at six replies",
        respond=lambda t, f: [{"text": f"عذراً {i}"} for i in range(19)],
        replies=[(f"عذراً {i}", "reply") for i in range(6)],
    ),
    TurnCase("image-only custom payload is skipped", respond=lambda t, f: [{"custom": {"image": "x"}}, {"text": "نص"}], replies=[("نص", "reply")]),
    TurnCase(
        "custom kind marks a consent request",
        respond=lambda t, f: [{"text": "هل تسمح بمشاركة رقمك؟", "custom": {"kind": "consent"}}],
        replies=[("هل تسمح بمشاركة رقمك؟", "consent")],
    ),
    TurnCase(
        "the stop intent: its one confirmation still goes out",
        respond=_stop,
        replies=[("تم. لن نرسل لك رسائل بعد الآن.", "confirmation")],
        opted_out=True,
    ),
    TurnCase(
        "the assistant escalates: its last reply goes out",
        respond=_hand_over,
        replies=[("سيجيبك أحد أعضاء فريقنا قريباً.", "reply")],
        escalation=["requested"],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_turn(case: TurnCase, client, gateway, fake_rasa, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    if case.respond is not None:
        respond = case.respond
        fake_rasa.responder = lambda turn: respond(turn, factory)
    for status in case.failures:
        fake_rasa.fail_next(status)
    if case.rasa_down:
        gateway.dialogue = RasaRestClient("http://127.0.0.1:9", timeout=1)
    body, headers = signed_webhook(PUBLIC_URL, "/twilio/inbound", inbound_form(body="مرحبا"))
    assert client.post("/twilio/inbound", content=body, headers=headers).status_code == 200
    run_worker(gateway)
    with factory() as session:
        inbound = session.execute(select(Message).where(Message.direction == "in")).scalar_one()
        outbound = session.execute(select(Message).where(Message.direction == "out").order_by(Message.id)).scalars().all()
        contact = session.execute(select(Contact)).scalar_one()
        reasons = session.execute(select(Escalation.reason)).scalars().all()
    assert (inbound.status, inbound.attempts, inbound.route) == (case.status, case.attempts, "rasa")
    assert [(m.body, m.kind) for m in outbound] == case.replies
    assert all(m.status == "accepted" for m in outbound)
    assert len(fake_twilio.sent) == (case.sent if case.sent is not None else len(case.replies))
    assert list(reasons) == case.escalation
    assert contact.opted_out is case.opted_out


def test_after_the_assistant_escalates_the_bot_only_says_a_person_will_answer(client, gateway, fake_rasa, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    fake_rasa.responder = lambda turn: _hand_over(turn, factory)
    for sid, text in [("SM-e1", "بدي احكي مع حدا"), ("SM-e2", "لو سمحت")]:
        body, headers = signed_webhook(PUBLIC_URL, "/twilio/inbound", inbound_form(sid=sid, body=text))
        client.post("/twilio/inbound", content=body, headers=headers)
    run_worker(gateway)
    with factory() as session:
        routes = session.execute(select(Message.route).where(Message.direction == "in").order_by(Message.id)).scalars().all()
    assert routes == ["rasa", "operator"]
    assert [t.message for t in fake_rasa.turns] == ["بدي احكي مع حدا"]
    assert len(fake_twilio.sent) == 2  # the hand-over, then "a person will answer, usually within a day"
