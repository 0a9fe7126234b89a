"""A fake Twilio REST API: records sends, fails on demand, and posts signed status callbacks."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from twilio.request_validator import RequestValidator

from tests.fakes._server import FakeServer, QuietHandler

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "tw-secret-" + "f" * 22
SMS_NUMBER = "+15005550006"
WHATSAPP_NUMBER = "+14155238886"


@dataclass
class SentRequest:
    """One request the fake received."""

    path: str
    form: dict[str, str]
    user: str
    sid: str | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Planned:
    """A scripted answer for the next send: HTTP status, Twilio error code, delay in seconds."""

    status: int = 201
    code: int | None = None
    delay: float = 0.0


class _Handler(QuietHandler):
    fake: FakeTwilio

    def do_POST(self) -> None:  # noqa: N802
        fake = self.fake
        raw = self.body()
        form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        user, _, password = base64.b64decode(self.headers.get("Authorization", "Basic ").split(" ", 1)[1] or b"").decode().partition(":")
        if not self.path.startswith(f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"):
            return self.reply(404, json.dumps({"code": 20404, "message": "not found", "status": 404}).encode())
        with fake.lock:
            plan = fake.plans.popleft() if fake.plans else Planned()
            request = SentRequest(path=self.path, form=form, user=user)
            fake.requests.append(request)
        if plan.delay:
            time.sleep(plan.delay)
        if user != fake.account_sid or password != fake.auth_token:
            return self.reply(401, json.dumps({"code": 20003, "message": "Authenticate", "status": 401}).encode())
        if plan.status >= 300:
            payload = {"code": plan.code, "message": f"fake failure {plan.code or plan.status}", "status": plan.status}
            return self.reply(plan.status, json.dumps(payload).encode())
        sid = "SM" + uuid.uuid4().hex
        request.sid = sid
        if form.get("StatusCallback"):
            with fake.lock:
                fake.callbacks[sid] = form["StatusCallback"]
        payload = {
            "sid": sid,
            "account_sid": fake.account_sid,
            "status": "queued",
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{fake.account_sid}/Messages/{sid}.json",
        }
        self.reply(201, json.dumps(payload).encode())


class FakeTwilio(FakeServer):
    """Start with ``with FakeTwilio() as tw:``; point ``SHAML_TWILIO_API_URL`` at ``tw.url``."""

    handler_class = _Handler

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.requests: list[SentRequest] = []
        self.plans: deque[Planned] = deque()
        self.callbacks: dict[str, str] = {}

    def fail_next(self, status: int, code: int | None = None, times: int = 1) -> None:
        """The next ``times`` sends answer HTTP ``status`` with Twilio error ``code``."""
        with self.lock:
            self.plans.extend(Planned(status=status, code=code) for _ in range(times))

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """The next ``times`` sends succeed after ``seconds`` (a slow or hanging Twilio)."""
        with self.lock:
            self.plans.extend(Planned(delay=seconds) for _ in range(times))

    @property
    def sent(self) -> list[SentRequest]:
        """The requests that were accepted (got a message SID)."""
        return [r for r in self.requests if r.sid]

    def send_status(
        self, sid: str, status: str, error_code: str | None = None, post: Callable[..., Any] | None = None
    ) -> Any:
        """Post a signed status callback for ``sid`` to the URL given at send time, as Twilio does."""
        url = self.callbacks[sid]
        form = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": self.account_sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "ErrorCode": error_code or "",
            "ApiVersion": "2010-04-01",
        }
        headers = {
            "X-Twilio-Signature": sign(self.auth_token, url, form),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return (post or httpx.post)(url, content=urlencode(form), headers=headers)


def sign(auth_token: str, url: str, form: dict[str, str]) -> str:
    """The ``X-Twilio-Signature`` Twilio would send for ``form`` posted to ``url``."""
    return RequestValidator(auth_token).compute_signature(url, form)


def inbound_form(
    *,
    sid: str | None = None,
    from_: str = "+963944123456",
    body: str = "مرحبا",
    whatsapp: bool = False,
    media: list[tuple[str, str]] | None = None,
    to: str | None = None,
) -> dict[str, str]:
    """An inbound message webhook form as Twilio posts it, empty fields included."""
    sid = sid or "SM" + uuid.uuid4().hex
    prefix = "whatsapp:" if whatsapp else ""
    form = {
        "ToCountry": "US",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": str(len(media or [])),
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "SY",
        "To": prefix + (to or (WHATSAPP_NUMBER if whatsapp else SMS_NUMBER)),
        "MessagingServiceSid": "",
        "ToZip": "",
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": prefix + from_,
        "ApiVersion": "2010-04-01",
    }
    if whatsapp:
        form["ProfileName"] = ""
        form["WaId"] = from_.lstrip("+")
    for i, (url, content_type) in enumerate(media or []):
        form[f"MediaUrl{i}"] = url
        form[f"MediaContentType{i}"] = content_type
    return form


def signed_webhook(public_url: str, path: str, form: dict[str, str], auth_token: str = AUTH_TOKEN) -> tuple[bytes, dict[str, str]]:
    """(body, headers) for posting ``form`` to ``path``, signed as Twilio signs it."""
    return urlencode(form).encode(), {
        "X-Twilio-Signature": sign(auth_token, public_url + path, form),
        "Content-Type": "application/x-www-form-urlencoded",
    }
