"""Inbound webhooks as a table of cases: signature, dedupe, storage, routing and the replies sent back."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.gateway import inbound as inbound_module
from bot.gateway.outbox import split_body
from bot.models import Contact, Escalation, Message
from tests.fakes.twilio import AUTH_TOKEN, inbound_form, sign, signed_webhook
from tests.gateway.conftest import PUBLIC_URL, run_worker, stored_rows

PATH = "/twilio/inbound"
MIXED = "\u200fمرحبا 👋 ana 3am dawwer 3ala a5i محمد (Mohammad) ١٩٨٥\u200e"
LONG = "أبحث عن أخي " * 200  # 2,400 characters


@dataclass
class Case:
    """One webhook: what is posted, and what must follow."""

    label: str
    form: dict[str, str]
    signature: str | None = "valid"  # valid | None (missing) | wrong | unsigned-empties
    repeat: int = 1
    status: int = 200
    stored: int = 1
    channel: str | None = None
    address: str | None = None
    route: str | None = "rasa"
    to_rasa: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    media: int = 0
    escalation: str | None = None


CASES = [
    Case(
        "valid sms",
        inbound_form(sid="SM-valid-sms", from_="+963 944 123 456", body="مرحبا"),
        channel="sms",
        address="+963944123456",
        to_rasa=["مرحبا"],
        replies=["echo: مرحبا"],
    ),
    Case(
        "valid whatsapp",
        inbound_form(sid="SM-valid-wa", from_="+963933111222", body="hello", whatsapp=True),
        channel="whatsapp",
        address="+963933111222",
        to_rasa=["hello"],
        replies=["echo: hello"],
    ),
    Case("bad signature", inbound_form(sid="SM-bad-sig"), signature="wrong", status=403, stored=0, route=None),
    Case("missing signature", inbound_form(sid="SM-no-sig"), signature=None, status=403, stored=0, route=None),
    Case(
        "signature that leaves out the empty fields",
        inbound_form(sid="SM-empties"),
        signature="unsigned-empties",
        status=403,
        stored=0,
        route=None,
    ),
    Case(
        "duplicate SID",
        inbound_form(sid="SM-dup", body="مرحبا"),
        repeat=3,
        channel="sms",
        to_rasa=["مرحبا"],
        replies=["echo: مرحبا"],
    ),
    Case(
        "media only",
        inbound_form(sid="SM-media", body="", whatsapp=True, media=[("https://media.invalid/voice.ogg", "audio/ogg")]),
        channel="whatsapp",
        route="media",
        media=1,
        replies=["نقرأ الرسائل النصية فقط. وصلتنا رسالتك وسيطّلع عليها أحد أعضاء فريقنا ويرد عليك."],
        escalation="media",
    ),
    Case(
        "empty body (how a voice note can arrive)",
        inbound_form(sid="SM-empty", body=""),
        channel="sms",
        route="media",
        replies=["نقرأ الرسائل النصية فقط. وصلتنا رسالتك وسيطّلع عليها أحد أعضاء فريقنا ويرد عليك."],
        escalation="media",
    ),
    Case(
        "body over 1,600 characters",
        inbound_form(sid="SM-long", body=LONG),
        channel="sms",
        to_rasa=[LONG[:1600]],
        replies=split_body("echo: " + LONG[:1600]),
    ),
    Case("malformed From", inbound_form(sid="SM-bad-from", from_="+12"), status=400, stored=0, route=None),
    Case(
        "malformed WhatsApp From",
        inbound_form(sid="SM-bad-wa-from", from_="not-a-number", whatsapp=True),
        status=400,
        stored=0,
        route=None,
    ),
    Case(
        "RTL marks, emoji and mixed scripts",
        inbound_form(sid="SM-mixed", body=MIXED, whatsapp=True),
        channel="whatsapp",
        to_rasa=[MIXED],
        replies=["echo: " + MIXED],
    ),
]


def _post(client, case: Case):  # type: ignore[no-untyped-def]
    body, headers = signed_webhook(PUBLIC_URL, PATH, case.form)
    if case.signature is None:
        del headers["X-Twilio-Signature"]
    elif case.signature == "wrong":
        headers["X-Twilio-Signature"] = sign("not-the-token", PUBLIC_URL + PATH, case.form)
    elif case.signature == "unsigned-empties":
        headers["X-Twilio-Signature"] = sign(AUTH_TOKEN, PUBLIC_URL + PATH, {k: v for k, v in case.form.items() if v})
    return client.post(PATH, content=body, headers=headers)


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_webhook(case: Case, client, gateway, fake_rasa, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    responses = [_post(client, case) for _ in range(case.repeat)]
    for response in responses:
        assert response.status_code == case.status, response.text
    if case.status == 200:
        assert response.headers["content-type"].startswith("application/xml")
        assert response.text == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    run_worker(gateway)
    inbound, outbound, contacts, escalations = stored_rows(factory)
    assert len(inbound) == case.stored
    assert [t.message for t in fake_rasa.turns] == case.to_rasa
    if case.stored:
        (message,) = inbound
        (contact,) = contacts
        assert message.provider_id == case.form["MessageSid"]
        assert message.body == case.form["Body"]  # stored whole, byte for byte
        assert message.route == case.route
        assert message.status == "processed"
        assert len(message.media or []) == case.media
        assert contact.channel == case.channel
        if case.address:
            assert contact.address == case.address
        assert contact.last_inbound_at is not None
        for turn in fake_rasa.turns:
            assert turn.sender == str(contact.id)
            assert turn.metadata == {"channel": contact.channel, "language": "ar"}
        assert [m.body for m in outbound] == case.replies
        assert all(m.status == "accepted" and m.reply_to_id == message.id for m in outbound)
        to = ("whatsapp:" if contact.channel == "whatsapp" else "") + contact.address
        assert [(r.form["To"], r.form["Body"]) for r in fake_twilio.sent] == [(to, b) for b in case.replies]
    else:
        assert contacts == [] and fake_twilio.requests == []
    assert [e.reason for e in escalations] == ([case.escalation] if case.escalation else [])


def test_rasa_token_is_not_sent_to_the_webhook(client, gateway, fake_rasa, logs):  # type: ignore[no-untyped-def]
    """Rasa 3.6 does not check the token on channel webhooks; it goes only to API calls like /status."""
    body, headers = signed_webhook(PUBLIC_URL, PATH, inbound_form(body="hi"))
    assert client.post(PATH, content=body, headers=headers).status_code == 200
    run_worker(gateway)
    assert fake_rasa.paths == ["/webhooks/shaml/webhook"]
    assert gateway.dialogue.ready()  # type: ignore[attr-defined]
    assert fake_rasa.status_queries and all("token=" in q for q in fake_rasa.status_queries)


def test_health_and_readiness(client, logs):  # type: ignore[no-untyped-def]
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok"}


def test_simulator_uses_the_same_pipeline(client, gateway, fake_rasa, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    first = client.post("/sim/inbound", json={"from": "demo-phone-1", "body": "بدي دور على أخي", "id": "sim-1"})
    again = client.post("/sim/inbound", json={"from": "demo-phone-1", "body": "بدي دور على أخي", "id": "sim-1"})
    bad = client.post("/sim/inbound", content=b"not json", headers={"content-type": "application/json"})
    assert first.status_code == 200 and not first.json()["duplicate"]
    assert again.json()["duplicate"] is True
    assert bad.status_code == 400 and "JSON" in bad.text
    run_worker(gateway)
    with factory() as session:
        out = session.execute(select(Message).where(Message.direction == "out")).scalars().all()
    assert [(m.body, m.status) for m in out] == [("echo: بدي دور على أخي", "delivered")]
    assert fake_twilio.requests == []  # no Twilio on the simulator


def test_rate_limit_flags_tells_once_and_keeps_everything(client, gateway, fake_rasa, factory, logs, monkeypatch):  # type: ignore[no-untyped-def]
    limit = gateway.config.rate_limit_per_minute
    # One minute for the whole burst: on a loaded machine the posts could straddle a minute boundary,
    # and the fixed window would rightly start counting again.
    minute = inbound_module.rate_window()
    monkeypatch.setattr(inbound_module, "rate_window", lambda: minute)
    for i in range(limit + 5):
        body, headers = signed_webhook(PUBLIC_URL, PATH, inbound_form(sid=f"SM-rate-{i}", body=f"رسالة {i}"))
        assert client.post(PATH, content=body, headers=headers).status_code == 200
    run_worker(gateway)
    with factory() as session:
        inbound = session.execute(select(Message).where(Message.direction == "in").order_by(Message.id)).scalars().all()
        notices = session.execute(select(Message).where(Message.kind == "notice")).scalars().all()
        escalations = session.execute(select(Escalation)).scalars().all()
    assert len(inbound) == limit + 5  # nothing dropped
    assert [m.rate_limited for m in inbound] == [False] * limit + [True] * 5
    assert all(m.status == "processed" for m in inbound)
    assert len(fake_rasa.turns) == limit  # the excess never reaches Rasa
    assert len(notices) == 1  # told once
    assert [e.reason for e in escalations] == ["enumeration"]  # operators see the burst


@pytest.mark.parametrize(
    "words, action",
    [("STOP", "stop"), ("توقف", "stop"), ("إلغاء", "stop"), ("Start", "start"), ("ابدأ", "start"), ("مساعدة", "help"), ("HELP", "help")],
)
def test_keywords_are_handled_before_rasa(words, action, client, gateway, fake_rasa, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    body, headers = signed_webhook(PUBLIC_URL, PATH, inbound_form(body=words))
    client.post(PATH, content=body, headers=headers)
    run_worker(gateway)
    with factory() as session:
        contact = session.execute(select(Contact)).scalar_one()
        (reply,) = session.execute(select(Message).where(Message.direction == "out")).scalars().all()
    assert fake_rasa.turns == []
    assert contact.opted_out is (action == "stop")
    assert reply.kind == ("notice" if action == "help" else "confirmation")
    assert reply.status == "accepted"  # the STOP confirmation gets through, once
    assert len(fake_twilio.sent) == 1


def test_opted_out_contact_gets_nothing_until_start(client, gateway, fake_rasa, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    for sid, words in [("SM-k1", "STOP"), ("SM-k2", "are you there?"), ("SM-k3", "START"), ("SM-k4", "hello")]:
        body, headers = signed_webhook(PUBLIC_URL, PATH, inbound_form(sid=sid, body=words))
        client.post(PATH, content=body, headers=headers)
    run_worker(gateway)
    with factory() as session:
        routes = session.execute(select(Message.route).where(Message.direction == "in").order_by(Message.id)).scalars().all()
    assert routes == ["keyword", "opted_out", "keyword", "rasa"]
    assert [t.message for t in fake_rasa.turns] == ["hello"]
    assert [r.form["Body"] for r in fake_twilio.sent] == [
        "Messages stopped. We will not write again. To resume, send START.",
        "Welcome back to Shaml. Write your message, or send HELP.",
        "echo: hello",
    ]


def test_escalated_conversation_goes_to_the_operator_inbox(client, gateway, fake_rasa, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    from bot.contacts import escalate, get_or_create_contact

    with factory() as session, session.begin():
        contact = get_or_create_contact(session, "sms", "+963944123456")
        escalate(session, contact.id, "requested")
    body, headers = signed_webhook(PUBLIC_URL, PATH, inbound_form(body="وينكم؟"))
    client.post(PATH, content=body, headers=headers)
    run_worker(gateway)
    with factory() as session:
        message = session.execute(select(Message).where(Message.direction == "in")).scalar_one()
    assert message.route == "operator" and message.status == "processed"
    assert fake_rasa.turns == []  # the assistant stays out of it
    # The person is told once that a person will answer, and when (no dead end).
    assert [m.form["Body"] for m in fake_twilio.sent] == ["وصلت رسالتك إلى فريقنا. سيرد عليك شخص هنا، عادةً خلال يوم. لا داعي لإعادة الإرسال."]


def test_bad_form_encoding_is_refused_without_storing(client, factory, logs):  # type: ignore[no-untyped-def]
    response = client.post(PATH, content=b"Body=%FF%FE", headers={"X-Twilio-Signature": "x", "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 403
    with factory() as session:
        assert session.execute(select(Message)).first() is None
    assert urlencode({}) == ""
