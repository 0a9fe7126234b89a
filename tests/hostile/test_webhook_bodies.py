"""Hostile webhook bodies through the whole web service (FastAPI TestClient, real databases and Redis).

Asserted for every case: the answer is the expected 4xx (never a 500) or, for a validly signed
odd-but-legal message, a 200 with the message stored safely and processed; a refused request stores
nothing; the WARNING line says precisely what was refused, and neither the sender's number nor the
message text reaches a log line at INFO or above.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from bot.models import Contact, Message
from shaml.bodylimit import MAX_WEBHOOK_BODY
from tests.fakes.twilio import AUTH_TOKEN, inbound_form
from tests.gateway.conftest import PUBLIC_URL, run_worker
from tests.hostile.conftest import NUMBER, refusals

INBOUND = "/twilio/inbound"
STATUS = "/twilio/status"
FORM = "application/x-www-form-urlencoded"
#: In every Body below: it must never appear in a log line at INFO or above.
SECRET_TEXT = "نص-خاص-BODYTEXT"
ARABIC_4096 = ("أبحث عن أخي محمد " * 241)[:4096]
CONTROLS = "".join(chr(c) for c in range(1, 32)) + "\x7f\u202e\u2066" + SECRET_TEXT


class _Pairs(dict):
    """Form pairs as the signature sees them: each name with all its values (repeated keys too)."""

    def getlist(self, key: str) -> list[str]:
        return list(self[key])


def signature(path: str, pairs: list[tuple[str, str]]) -> str:
    """The X-Twilio-Signature Twilio (or anyone holding the auth token) computes for these pairs."""
    params = _Pairs()
    for key, value in pairs:
        params.setdefault(key, []).append(value)
    return RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, params)


def signed_raw(path: str, body: str) -> tuple[bytes, dict[str, str]]:
    """``body`` sent as written, signed over what a lenient reader would decode it to (invalid
    percent-encoded bytes replaced by U+FFFD): the strongest forgery of an undecodable form."""
    pairs = parse_qsl(body, keep_blank_values=True)
    return body.encode("utf-8"), {"X-Twilio-Signature": signature(path, pairs), "Content-Type": FORM}


def signed_pairs(path: str, pairs: list[tuple[str, str]]) -> tuple[bytes, dict[str, str]]:
    """A correctly signed form made of ``pairs`` (repeats allowed)."""
    return urlencode(pairs).encode(), {"X-Twilio-Signature": signature(path, pairs), "Content-Type": FORM}


def form_pairs(**changes: str | None) -> list[tuple[str, str]]:
    """An inbound SMS webhook from :data:`NUMBER` whose Body holds :data:`SECRET_TEXT`; a None drops a field."""
    form = inbound_form(from_=NUMBER, body=f"مرحبا {SECRET_TEXT}")
    for key, value in changes.items():
        if value is None:
            form.pop(key, None)
        else:
            form[key] = value
    return list(form.items())


@dataclass
class Case:
    """One webhook: the raw body and headers, the answer wanted, and what must be stored or logged."""

    label: str
    body: bytes
    headers: dict[str, str]
    status: int
    path: str = INBOUND
    stored_body: str | None = None  # the Body stored, when the message must be stored
    logged: str = ""  # a fragment of the refusal's WARNING line
    extra: dict[str, str] = field(default_factory=dict)


def _cases() -> list[Case]:
    good = form_pairs()
    good_body = dict(good)["Body"]
    cases = [
        Case("raw bytes that are not UTF-8", urlencode(good).encode() + b"&Note=\xff\xfe", signed_pairs(INBOUND, good)[1],
             403, logged="webhook body is not UTF-8 (byte"),
        Case("percent-encoded bytes that are not UTF-8, signed as if replaced",
             *signed_raw(INBOUND, urlencode(form_pairs(Body="X")).replace("Body=X", "Body=%D8%FF" + SECRET_TEXT)),
             403, logged="a percent-encoded value in the webhook form is not UTF-8"),
        Case("broken percent-encoding kept literally", *signed_raw(INBOUND, urlencode(form_pairs(Body="X")).replace(
             "Body=X", "Body=100%ZZ%25%" + "%D9%85")), 200, stored_body="100%ZZ%%م"),
        Case("Content-Type text/plain", urlencode(good).encode(), {**signed_pairs(INBOUND, good)[1], "Content-Type": "text/plain"},
             415, logged="Content-Type is 'text/plain', not application/x-www-form-urlencoded"),
        Case("JSON instead of a form", json.dumps(dict(good)).encode(),
             {"X-Twilio-Signature": signature(INBOUND, good), "Content-Type": "application/json"},
             415, logged="Content-Type is 'application/json'"),
        Case("JSON labelled as a form", json.dumps(dict(good)).encode(), signed_pairs(INBOUND, good)[1],
             403, logged="X-Twilio-Signature does not match"),
        Case("no Content-Type", urlencode(good).encode(), {"X-Twilio-Signature": signature(INBOUND, good)},
             415, logged="Content-Type is missing"),
        Case("no From", *signed_pairs(INBOUND, form_pairs(From=None)), 400, logged="malformed From on sms message"),
        Case("no Body (media-less empty message)", *signed_pairs(INBOUND, form_pairs(Body=None)), 200, stored_body=""),
        Case("no MessageSid", *signed_pairs(INBOUND, form_pairs(MessageSid=None, SmsMessageSid=None)), 400,
             logged="webhook has no MessageSid"),
        Case("From repeated with a second sender", *signed_pairs(INBOUND, [*good, ("From", "+963933000111")]), 400,
             logged="signed webhook repeats the field(s) From"),
        Case("Body repeated", *signed_pairs(INBOUND, [*good, ("Body", "other")]), 400,
             logged="signed webhook repeats the field(s) Body"),
        Case("a field the gateway does not read, repeated", *signed_pairs(INBOUND, [*good, ("ToCity", "x")]), 200,
             stored_body=good_body),
        Case("NUL in Body", *signed_pairs(INBOUND, form_pairs(Body=f"a\x00b {SECRET_TEXT}")), 200,
             stored_body=f"a\ufffdb {SECRET_TEXT}"),
        Case("NUL in MessageSid", *signed_pairs(INBOUND, form_pairs(MessageSid="SM\x00x", SmsMessageSid="SM\x00x")),
             400, logged="MessageSid of 4 characters is not 1-64 printable ASCII characters"),
        Case("MessageSid of 65 characters", *signed_pairs(INBOUND, form_pairs(MessageSid="S" * 65)), 400,
             logged="MessageSid of 65 characters"),
        Case("Body of 4,096 Arabic characters (over Twilio's 1,600)",
             *signed_pairs(INBOUND, form_pairs(Body=ARABIC_4096)), 200, stored_body=ARABIC_4096),
        Case("control characters and bidi overrides", *signed_pairs(INBOUND, form_pairs(Body=CONTROLS)), 200,
             stored_body=CONTROLS),
        Case("NumMedia that is not a number", *signed_pairs(INBOUND, form_pairs(NumMedia="many")), 400,
             logged="NumMedia is not a number"),
        Case("an empty signed form", *signed_pairs(INBOUND, []), 400, logged="webhook has no MessageSid"),
        Case("separators only", *signed_raw(INBOUND, "&&==&="), 400, logged="webhook has no MessageSid"),
        Case("status callback: NUL in MessageSid",
             *signed_pairs(STATUS, [("MessageSid", "SM\x00"), ("MessageStatus", "delivered")]), 400, path=STATUS,
             logged="status callback MessageSid of 3 characters"),
        Case("status callback: ErrorCode of 500 characters",
             *signed_pairs(STATUS, [("MessageSid", "SM1"), ("MessageStatus", "failed"), ("ErrorCode", "9" * 500)]),
             400, path=STATUS, logged="status callback ErrorCode of 500 characters"),
        Case("status callback: unknown status",
             *signed_pairs(STATUS, [("MessageSid", "SM1"), ("MessageStatus", "exploded" * 100)]), 400, path=STATUS,
             logged="unknown status 'explodedexplodedexplodedexplodedexploded'"),
        Case("status callback as JSON", b'{"MessageSid": "SM1"}', {"Content-Type": "application/json"}, 415,
             path=STATUS, logged="Content-Type is 'application/json'"),
    ]
    return cases


CASES = _cases()


def _counts(factory) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with factory() as session:
        return (int(session.execute(select(func.count()).select_from(Message)).scalar_one()),
                int(session.execute(select(func.count()).select_from(Contact)).scalar_one()))


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_malformed_webhook(case: Case, client, gateway, factory, fake_rasa, logs) -> None:  # type: ignore[no-untyped-def]
    """A clear 4xx and nothing stored, or (signed and legal) stored exactly as the table says and processed."""
    response = client.post(case.path, content=case.body, headers=case.headers)
    assert response.status_code == case.status, response.text
    if case.stored_body is None:
        assert _counts(factory) == (0, 0)
        (line,) = refusals(logs)
        assert case.logged in line, line
        assert f"refused ({case.status})" in line
    else:
        run_worker(gateway)
        with factory() as session:
            (message,) = session.execute(select(Message).where(Message.direction == "in")).scalars().all()
            assert message.body == case.stored_body
            assert message.status == "processed"
        assert refusals(logs) == []
    loud = "\n".join(r.getMessage() for r in logs.records if r.levelno >= 20)
    assert "BODYTEXT" not in loud


def test_webhook_at_the_limit_is_stored_and_one_byte_more_is_refused_unread(client, gateway, factory, logs) -> None:  # type: ignore[no-untyped-def]
    """A signed form of exactly MAX_WEBHOOK_BODY bytes is accepted; one byte more gets 413 from its
    Content-Length alone, before the signature is looked at, and nothing is stored."""
    def padded(sid: str, extra: int) -> tuple[bytes, dict[str, str]]:
        base = form_pairs(MessageSid=sid, SmsMessageSid=sid)
        padding = MAX_WEBHOOK_BODY - len(urlencode([*base, ("Padding", "")])) + extra
        return signed_pairs(INBOUND, [*base, ("Padding", "p" * padding)])

    body, headers = padded("SM-at-limit", 0)
    assert len(body) == MAX_WEBHOOK_BODY
    assert client.post(INBOUND, content=body, headers=headers).status_code == 200
    body, headers = padded("SM-over-lim", 1)
    assert len(body) == MAX_WEBHOOK_BODY + 1
    response = client.post(INBOUND, content=body, headers=headers)
    assert response.status_code == 413
    assert response.headers["connection"] == "close"
    assert f"at most {MAX_WEBHOOK_BODY} bytes" in response.text
    with factory() as session:
        assert session.execute(select(Message.provider_id)).scalars().all() == ["SM-at-limit"]
    (line,) = refusals(logs)
    assert line == (f"POST /twilio/inbound refused (413): Content-Length {len(body)} is over the "
                    f"{MAX_WEBHOOK_BODY}-byte limit; the body was not read")


def test_chunked_webhook_is_read_up_to_the_limit_only(client, gateway, factory, logs) -> None:  # type: ignore[no-untyped-def]
    """Without Content-Length (chunked), a small signed form is accepted as usual; a body that grows
    past the limit is refused with 413 while streaming, and nothing is stored."""
    body, headers = signed_pairs(INBOUND, form_pairs(MessageSid="SM-chunked", SmsMessageSid="SM-chunked"))
    small = client.post(INBOUND, content=iter([body[:100], body[100:]]), headers=headers)
    assert small.request.headers.get("transfer-encoding") == "chunked"
    assert small.status_code == 200
    big = client.post(INBOUND, content=iter([body] + [b"&x=" + b"y" * 8192] * 10), headers=headers)
    assert big.request.headers.get("transfer-encoding") == "chunked" and "content-length" not in big.request.headers
    assert big.status_code == 413 and big.headers["connection"] == "close"
    with factory() as session:
        assert session.execute(select(Message.provider_id)).scalars().all() == ["SM-chunked"]
    (line,) = refusals(logs)
    assert line == (f"POST /twilio/inbound refused (413): the body passed the {MAX_WEBHOOK_BODY}-byte limit while "
                    "streaming (no Content-Length); the rest was not read")


SIM_CASES = [
    ("NUL in the body is stored as U+FFFD", {"from": "phone-1", "body": "a\x00b"}, 200, "a\ufffdb", ""),
    ("half a surrogate pair", '{"from": "phone-1", "body": "a\\ud800b"}', 400, None,
     "simulator 'body' holds an unpaired surrogate"),
    ("NUL in the id", {"from": "phone-1", "body": "x", "id": "sim\x00"}, 400, None, "simulator 'id' must be 1-64"),
    ("id of 65 characters", {"from": "phone-1", "body": "x", "id": "i" * 65}, 400, None, "simulator 'id' must be"),
    ("a JSON array", [1, 2], 400, None, "simulator message must be a JSON object"),
    ("nesting 50,000 deep", "[" * 50_000, 400, None, "simulator message is JSON nested deeper"),
    ("not UTF-8", b'{"from": "phone-1", "body": "\xff"}', 400, None, "simulator message is not UTF-8 JSON"),
    ("body that is a number", {"from": "phone-1", "body": 7}, 400, None, "simulator 'body' must be text"),
]


@pytest.mark.parametrize(("label", "payload", "status", "stored", "logged"), SIM_CASES, ids=[c[0] for c in SIM_CASES])
def test_simulator_endpoint(label, payload, status, stored, logged, client, gateway, factory, logs) -> None:  # type: ignore[no-untyped-def]
    """/sim/inbound (demo mode): hostile JSON gets a 400 naming the problem; odd text is stored safely."""
    if isinstance(payload, bytes):
        content = payload
    elif isinstance(payload, str):
        content = payload.encode()
    else:
        content = json.dumps(payload).encode()
    response = client.post("/sim/inbound", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    with factory() as session:
        bodies = session.execute(select(Message.body).where(Message.direction == "in")).scalars().all()
    if stored is None:
        assert bodies == []
        (line,) = refusals(logs)
        assert logged in line
    else:
        run_worker(gateway)
        assert bodies == [stored]


def test_simulator_body_over_the_webhook_limit(client, factory, logs) -> None:  # type: ignore[no-untyped-def]
    """/sim/inbound has the webhook limit too: 413 and nothing stored."""
    payload = json.dumps({"from": "phone-1", "body": "x" * MAX_WEBHOOK_BODY}).encode()
    assert client.post("/sim/inbound", content=payload, headers={"Content-Type": "application/json"}).status_code == 413
    assert _counts(factory) == (0, 0)
    assert "POST /sim/inbound refused (413): Content-Length" in refusals(logs)[0]

