"""The Twilio webhook: the channel's signature check and form reading (``TwilioChannel.verify``,
``receive`` and ``status``), the simulator's JSON, and ``POST /twilio/inbound`` and
``/twilio/status`` on the real app with PostgreSQL and Redis.

Any body, signed or not, is answered 2xx or a clear 4xx, never a 500; a validly signed message is
stored exactly once however often it is posted; an unsigned or forged one stores nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.channels.base import InboundMessage, WebRequest
from bot.channels.sim import SimChannel
from bot.channels.twilio import STATUS_MAP, TwilioChannel
from bot.contacts import normalise_address
from bot.gateway import jobs
from bot.gateway.errors import BadWebhook, SignatureError, WebhookError
from bot.models import Contact, Message
from shaml.db import make_engine, session_factory
from shaml.settings import Settings
from shaml.web import build_gateway, create_app
from tests.fakes.rasa import FakeRasa
from tests.fakes.twilio import AUTH_TOKEN, FakeTwilio, inbound_form, sign, signed_webhook
from tests.fuzz.strategies import NASTY
from tests.gateway.conftest import PUBLIC_URL, gateway_env

PATH = "/twilio/inbound"
CHANNEL = TwilioChannel(account_sid="AC" + "0" * 32, auth_token=AUTH_TOKEN, public_url=PUBLIC_URL)

#: Form text as Twilio could carry it: any characters that survive UTF-8 (NUL included).
form_text = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.text(alphabet=st.sampled_from(NASTY), max_size=12),
)
phone_text = st.one_of(
    st.sampled_from(["+963944123456", "+963933111222", "whatsapp:+963944123456", "+905321234567", "+12", "", "whatsapp:"]),
    st.from_regex(r"\A(whatsapp:)?\+?[0-9٠-٩ \-]{0,18}\Z"),
    form_text,
)
sid_text = st.one_of(st.uuids().map(lambda u: f"SM{u.hex}"), form_text, st.text(min_size=60, max_size=70))


def _sometimes(draw: st.DrawFn) -> bool:
    """True about one time in three: that field of the form is made hostile."""
    return draw(st.integers(0, 2)) == 0


@st.composite
def twilio_forms(draw: st.DrawFn) -> dict[str, str]:
    """An inbound form as Twilio posts it, with a hostile body and media, and about one time in
    three a hostile From, MessageSid or NumMedia, fields left out, or extra fields."""
    form = inbound_form(
        sid=f"SM{draw(st.uuids()).hex}",
        from_=draw(st.sampled_from(["+963944123456", "+963933111222", "+905321234567", "+9613123456"])),
        body=draw(form_text),
        whatsapp=draw(st.booleans()),
        media=draw(st.lists(st.tuples(form_text, form_text), max_size=2)),
    )
    if _sometimes(draw):
        form["From"] = draw(phone_text)
    if _sometimes(draw):
        sid = draw(sid_text)
        for key in draw(st.sets(st.sampled_from(["MessageSid", "SmsMessageSid"]), min_size=1)):
            form[key] = sid
    if _sometimes(draw):
        form["NumMedia"] = draw(st.one_of(form_text, st.integers(-5, 20).map(str), st.just("1" * 5000)))
    if _sometimes(draw):
        for key in draw(st.sets(st.sampled_from(sorted(form)), max_size=3)):
            del form[key]
    if _sometimes(draw):
        form.update(draw(st.dictionaries(form_text, form_text, max_size=3)))
    return form


def _request(body: bytes, headers: dict[str, str]) -> WebRequest:
    return WebRequest(path=PATH, headers={k.lower(): v for k, v in headers.items()}, body=body)


FORM_HEADERS = {"content-type": "application/x-www-form-urlencoded"}


@settings(max_examples=150)
@given(
    st.binary(max_size=200) | form_text.map(lambda t: t.encode("utf-8")),
    st.text(alphabet=st.characters(codec="ascii"), max_size=30),
    st.sampled_from(["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8", "text/plain", ""]),
)
@example(b"Body=%FF%FE&From=%2B963944123456", "x", "application/x-www-form-urlencoded")  # %FF is not UTF-8
@example(b"\xff\xfe", "x", "application/x-www-form-urlencoded")
def test_verifying_any_body_gives_pairs_or_a_webhook_error(body, signature, content_type):
    """Any body, signature and content type: the form pairs, or a WebhookError with a 4xx status."""
    headers = {"x-twilio-signature": signature, "content-type": content_type}
    try:
        pairs = CHANNEL.verify(_request(body, headers))
    except WebhookError as exc:
        assert 400 <= exc.http_status < 500 and exc.reason
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in pairs)


@settings(max_examples=150)
@given(twilio_forms())
@example({**inbound_form(sid="SMnul", body="a\x00b")})
@example({**inbound_form(sid="SM\x00"), "NumMedia": "²"})
def test_a_signed_form_is_a_message_or_a_bad_webhook(form):
    """A validly signed form is read into a message or refused with BadWebhook (400); the message's
    id is the form's MessageSid (1-64 characters), its address the E.164 of From, its channel
    whatsapp exactly when From says so, and at most ten attachments are kept."""
    body, headers = signed_webhook(PUBLIC_URL, PATH, form)
    try:
        message = CHANNEL.receive(_request(body, headers))
    except BadWebhook as exc:
        assert exc.http_status == 400 and exc.reason
        return
    assert isinstance(message, InboundMessage)
    assert message.provider_id == (form.get("MessageSid") or form.get("SmsMessageSid"))
    assert 1 <= len(message.provider_id) <= 64
    assert message.address == normalise_address(form["From"])
    assert message.channel == ("whatsapp" if form["From"].lower().startswith("whatsapp:") else "sms")
    # PostgreSQL text cannot hold NUL: it is shown as U+FFFD; every other character is kept as sent.
    assert message.body == form.get("Body", "").replace("\x00", "\ufffd")
    assert "\x00" not in message.provider_id
    assert len(message.media) <= 10


_forgeries = st.sampled_from(["missing", "wrong token", "other form", "other path", "garbage", "empty fields left out"])


def _forged_headers(form: dict[str, str], how: str, garbage: str) -> dict[str, str]:
    body, headers = signed_webhook(PUBLIC_URL, PATH, form)
    if how == "missing":
        del headers["X-Twilio-Signature"]
    elif how == "wrong token":
        headers["X-Twilio-Signature"] = sign("not-the-token", PUBLIC_URL + PATH, form)
    elif how == "other form":
        headers["X-Twilio-Signature"] = sign(AUTH_TOKEN, PUBLIC_URL + PATH, {**form, "Body": form.get("Body", "") + "!"})
    elif how == "other path":
        headers["X-Twilio-Signature"] = sign(AUTH_TOKEN, PUBLIC_URL + "/twilio/status", form)
    elif how == "empty fields left out":
        headers["X-Twilio-Signature"] = sign(AUTH_TOKEN, PUBLIC_URL + PATH, {k: v for k, v in form.items() if v})
        if all(form.values()):
            headers["X-Twilio-Signature"] = garbage or "x"
    else:
        headers["X-Twilio-Signature"] = garbage or "x"
    return headers


@settings(max_examples=150)
@given(twilio_forms(), _forgeries, st.text(alphabet=st.characters(codec="ascii"), max_size=40))
def test_an_unsigned_or_forged_form_is_refused_before_reading(form, how, garbage):
    """A missing, wrong or other request's signature raises SignatureError (403), for any form."""
    body = urlencode(form).encode()
    with pytest.raises(SignatureError) as info:
        CHANNEL.receive(_request(body, _forged_headers(form, how, garbage)))
    assert info.value.http_status == 403


@settings(max_examples=150)
@given(st.binary(max_size=200), st.text(alphabet=st.characters(codec="ascii"), max_size=40))
def test_arbitrary_bytes_with_any_signature_are_refused(body, signature):
    """Raw form bytes with an arbitrary signature header: SignatureError, for inbound and status alike."""
    headers = {**FORM_HEADERS, "x-twilio-signature": signature} if signature else FORM_HEADERS
    for read in (CHANNEL.receive, CHANNEL.status):
        with pytest.raises(SignatureError):
            read(_request(body, headers))


@settings(max_examples=150)
@given(st.dictionaries(st.sampled_from(["MessageSid", "SmsSid", "MessageStatus", "SmsStatus", "ErrorCode"]), form_text))
def test_a_signed_status_callback_is_an_update_or_a_bad_webhook(form):
    """A signed status callback gives a known status for its sid, or BadWebhook."""
    body, headers = signed_webhook(PUBLIC_URL, "/twilio/status", form)
    try:
        update = CHANNEL.status(WebRequest(path="/twilio/status", headers={k.lower(): v for k, v in headers.items()}, body=body))
    except BadWebhook:
        return
    assert update.status in set(STATUS_MAP.values()) and update.provider_id


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | form_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["from", "body", "id", "x"]), inner, max_size=4),
    max_leaves=6,
)


@settings(max_examples=150)
@given(st.one_of(st.binary(max_size=100), _json_values.map(lambda value: json.dumps(value).encode())))
@example(b'{"from": "phone-1", "body": "\\ud800"}')  # a lone surrogate, written as JSON can
@example(b"[" * 5000)
def test_the_simulator_reads_json_or_refuses_it(body):
    """The simulator's JSON gives a message with a short address, a 1-64 character message id and a
    body the database can store (UTF-8, no NUL), or BadWebhook."""
    try:
        message = SimChannel().receive(WebRequest(path="/sim/inbound", headers={}, body=body))
    except BadWebhook:
        return
    assert 1 <= len(message.address) <= 32 and 1 <= len(message.provider_id) <= 64
    assert "\x00" not in message.body + message.provider_id
    message.body.encode("utf-8")


# -- POST /twilio/inbound on the real app: PostgreSQL and Redis ------------------------------------


@pytest.fixture
def client_and_factory(pg_only_url: str, redis_prefix: str) -> Iterator[tuple[TestClient, object]]:
    """The web service wired as ``shaml serve`` wires it, on PostgreSQL and this test's Redis prefix."""
    with FakeTwilio() as twilio, FakeRasa() as rasa:
        settings_ = Settings.from_env(gateway_env(pg_only_url, redis_prefix, twilio.url, rasa.url))
        engine = make_engine(pg_only_url)
        factory = session_factory(engine)
        gateway = build_gateway(settings_, factory=factory)
        jobs.configure(gateway)
        try:
            with TestClient(create_app(settings_, gateway=gateway), raise_server_exceptions=False) as client:
                yield client, factory
        finally:
            for name in ("inbound", "outbox"):
                gateway.queue(name).delete(delete_jobs=True)
            gateway.dialogue.close()  # type: ignore[attr-defined]
            gateway.redis.close()
            engine.dispose()


def _counts(factory) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with factory() as session:
        return (
            session.execute(select(func.count()).select_from(Message)).scalar_one(),
            session.execute(select(func.count()).select_from(Contact)).scalar_one(),
        )


def _stored_with(factory, sid: str) -> list[Message]:  # type: ignore[no-untyped-def]
    with factory() as session:
        return list(session.execute(select(Message).where(Message.provider_id == sid)).scalars())


ENDPOINT = settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])


@ENDPOINT
@given(twilio_forms(), st.integers(1, 3))
@example(inbound_form(sid="SM-fuzz-nul-body", body="مرحبا\x00"), 2)  # NUL: PostgreSQL refused it, a 500
@example(inbound_form(sid="SM-fuzz-nul\x00sid"), 1)
@example({**inbound_form(sid="SM-fuzz-media-nul"), "NumMedia": "1", "MediaUrl0": "https://m.invalid/\x00"}, 1)
def test_a_signed_webhook_is_stored_exactly_once_or_refused(client_and_factory, form, repeat):
    """A validly signed form, posted 1-3 times, is answered 200 (stored exactly once, body as sent,
    a NUL shown as U+FFFD) or 400 (nothing stored); never a 500."""
    client, factory = client_and_factory
    body, headers = signed_webhook(PUBLIC_URL, PATH, form)
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
    # Hypothesis may draw a sid an earlier example stored (PostgreSQL cannot even look up a NUL).
    earlier = _stored_with(factory, sid) if "\x00" not in sid else []
    before = _counts(factory)
    statuses = {client.post(PATH, content=body, headers=headers).status_code for _ in range(repeat)}
    assert len(statuses) == 1, statuses
    (status,) = statuses
    event(f"answered {status}")
    assert status in (200, 400)
    if status == 200:
        (stored,) = _stored_with(factory, sid)
        expected = earlier[0].body if earlier else form.get("Body", "").replace("\x00", "\ufffd")
        assert stored.direction == "in" and stored.body == expected
        assert _counts(factory)[0] == before[0] + (0 if earlier else 1)
    else:
        assert _counts(factory) == before


@ENDPOINT
@given(twilio_forms(), _forgeries, st.text(alphabet=st.characters(codec="ascii"), max_size=40))
def test_an_unsigned_or_forged_webhook_stores_nothing(client_and_factory, form, how, garbage):
    """A form with a missing or forged signature is answered 403 and stores no message or contact."""
    client, factory = client_and_factory
    before = _counts(factory)
    response = client.post(PATH, content=urlencode(form).encode(), headers=_forged_headers(form, how, garbage))
    assert response.status_code == 403
    assert _counts(factory) == before


@ENDPOINT
@given(st.binary(max_size=300), st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain", ""]),
       st.text(alphabet=st.characters(codec="ascii", min_codepoint=32), max_size=30))
@example(b"Body=" + b"a" * (70 * 1024), "application/x-www-form-urlencoded", "x")  # over the webhook body limit
def test_arbitrary_bytes_to_the_webhooks_are_a_4xx(client_and_factory, body, content_type, signature):
    """Any bytes with any content type and signature header: a 4xx from both webhooks, nothing stored."""
    client, factory = client_and_factory
    before = _counts(factory)
    headers = {"Content-Type": content_type} if content_type else {}
    if signature:
        headers["X-Twilio-Signature"] = signature
    for path in (PATH, "/twilio/status"):
        response = client.post(path, content=body, headers=headers)
        assert 400 <= response.status_code < 500, (path, response.status_code, response.text)
    assert _counts(factory) == before


@ENDPOINT
@given(st.dictionaries(st.sampled_from(["MessageSid", "SmsSid", "MessageStatus", "SmsStatus", "ErrorCode"]),
                       form_text | st.sampled_from(sorted(STATUS_MAP))))
@example({"MessageSid": "SM-unknown", "MessageStatus": "delivered", "ErrorCode": "\x00"})
def test_a_signed_status_callback_is_a_2xx_or_a_400(client_and_factory, form):
    """A validly signed status callback for any (mostly unknown) message: 200 or 400, never a 500,
    and it creates no message."""
    client, factory = client_and_factory
    before = _counts(factory)
    body, headers = signed_webhook(PUBLIC_URL, "/twilio/status", form)
    response = client.post("/twilio/status", content=body, headers=headers)
    assert response.status_code in (200, 400), response.text
    assert _counts(factory) == before
