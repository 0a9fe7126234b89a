"""A fake "SMS Gateway for Android" phone: records sends and webhook registrations, goes offline on
demand, and builds events signed as the app signs them (HMAC-SHA256 of body + X-Timestamp)."""

from __future__ import annotations

import base64
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from bot.channels.smsgate import signature
from tests.fakes._server import FakeServer, QuietHandler

USERNAME = "sms"
PASSWORD = "gate-pass-" + "5" * 12
SIGNING_KEY = "gate-signing-key-" + "3" * 15


@dataclass
class Request:
    """One API request the fake phone received."""

    path: str
    payload: dict[str, Any]
    user: str
    at: float = field(default_factory=time.monotonic)


class _Handler(QuietHandler):
    fake: FakeSmsGate

    def do_POST(self) -> None:  # noqa: N802
        fake = self.fake
        raw = self.body()
        if fake.offline:
            # A phone that lost its network: the connection drops without an answer.
            self.close_connection = True
            return
        user, _, password = base64.b64decode(self.headers.get("Authorization", "Basic ").split(" ", 1)[1] or b"").decode().partition(":")
        payload = json.loads(raw or b"{}")
        with fake.lock:
            fake.requests.append(Request(self.path, payload, user))
            status = fake.fail.pop(0) if fake.fail else 202
        if (user, password) != (fake.username, fake.password):
            return self.reply(401, b'{"message":"unauthorized"}')
        if status >= 300:
            return self.reply(status, b'{"message":"fake failure"}')
        if self.path == "/messages":
            answer = {"id": payload.get("id"), "state": "Pending", "recipients": [{"phoneNumber": n, "state": "Pending"} for n in payload.get("phoneNumbers", [])]}
            return self.reply(202, json.dumps(answer).encode())
        if self.path == "/webhooks":
            return self.reply(201, json.dumps(payload).encode())
        self.reply(404, b'{"message":"not found"}')


class FakeSmsGate(FakeServer):
    """Start with ``with FakeSmsGate() as phone:``; point ``SHAML_SMSGATE_API_URL`` at ``phone.url``."""

    handler_class = _Handler

    def __init__(self, username: str = USERNAME, password: str = PASSWORD, signing_key: str = SIGNING_KEY) -> None:
        super().__init__()
        self.username, self.password, self.signing_key = username, password, signing_key
        self.requests: list[Request] = []
        self.fail: list[int] = []
        self.offline = False

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The message payloads handed to the phone while it was online."""
        return [r.payload for r in self.requests if r.path == "/messages"]


_event_ids = itertools.count(1)


def event(kind: str, payload: dict[str, Any], *, event_id: str | None = None, device_id: str = "phone-homs-1") -> dict[str, Any]:
    """One webhook event as the app posts it."""
    return {"deviceId": device_id, "event": kind, "id": event_id or f"ev{next(_event_ids):06d}", "payload": payload, "webhookId": f"shaml-{kind.replace(':', '-')}"}


def received(text: str, phone: str = "+963944555111", **kw: Any) -> dict[str, Any]:
    """An ``sms:received`` event (messageId is content-based, as in the app: not unique)."""
    payload = {"messageId": str(abs(hash(text)) % 10**8), "message": text, "phoneNumber": phone, "simNumber": 1, "receivedAt": "2026-12-02T08:00:00.000+03:00"}
    return event("sms:received", payload, **kw)


def report(kind: str, message_id: str, reason: str | None = None, **kw: Any) -> dict[str, Any]:
    """An ``sms:sent`` / ``sms:delivered`` / ``sms:failed`` event for one of our messages."""
    payload: dict[str, Any] = {"messageId": message_id, "phoneNumber": "+963944555111", "simNumber": 1}
    if reason is not None:
        payload["reason"] = reason
    return event(kind, payload, **kw)


def signed(data: dict[str, Any] | bytes, key: str = SIGNING_KEY, *, at: float | None = None) -> tuple[bytes, dict[str, str]]:
    """(body, headers) for posting ``data``, signed at ``at`` (now by default) as the app signs it."""
    body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    stamp = str(int(at if at is not None else time.time()))
    return body, {"Content-Type": "application/json", "X-Signature": signature(key, body, stamp), "X-Timestamp": stamp}
