"""A local SMS gateway: an Android phone with a Syrian SIM running "SMS Gateway for Android", over httpx.

One webhook URL receives the app's five events (sms:received, sms:sent, sms:delivered, sms:failed,
system:ping). Each is checked first: ``X-Signature`` is the hex HMAC-SHA256, under the app's
signing key, of the raw body followed by ``X-Timestamp``, and the timestamp is within five minutes.
Sends go to the app's ``/messages`` API with our own id, so its reports name our message; each SIM
sends at most ``per_minute`` messages, and a phone that is off or unreachable makes a message wait,
never fail.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import redis as redis_lib

from bot.channels.base import (
    Ignored,
    InboundMessage,
    Outgoing,
    Ping,
    SendResult,
    StatusUpdate,
    WebhookItem,
    WebRequest,
    storable_text,
)
from bot.contacts import AddressError, normalise_address
from bot.gateway.errors import BadWebhook, SendError, SignatureError

log = logging.getLogger(__name__)

#: A webhook signed further than this from now (seconds) is refused: a replay or a wrong clock.
MAX_SKEW_SECONDS = 300
#: The events Shaml registers and reads.
EVENTS = ("sms:received", "sms:sent", "sms:delivered", "sms:failed", "system:ping")
#: The app's report events, mapped to our message statuses (those Twilio's callbacks use).
STATUS_MAP = {"sms:sent": "sent", "sms:delivered": "delivered", "sms:failed": "failed"}
#: The id of an event or a message: printable ASCII without spaces.
_ID = re.compile(r"^[\x21-\x7e]{1,64}$")
#: Reported failure reasons that are a property of the number, not of the phone: retrying cannot help.
NUMBER_FAILURES = ("invalid", "unknown number", "null_pdu", "no_such")

def signature(key: str, body: bytes, timestamp: str) -> str:
    """The ``X-Signature`` the app sends for ``body`` at ``timestamp``: hex HMAC-SHA256 of body + timestamp."""
    return hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


class SmsGateChannel:
    """SMS through one or more gateway phones. Holds the API password and the signing key; never logs them."""

    serves = ("sms",)
    provider = "smsgate"

    def __init__(
        self,
        *,
        api_url: str,
        username: str,
        password: str,
        signing_key: str,
        devices: tuple[str, ...] = (),
        per_minute: int = 6,
        redis: redis_lib.Redis | None = None,
        redis_prefix: str = "shaml:",
        timeout: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._auth = (username, password)
        self._key = signing_key
        self.devices = devices
        self.per_minute = per_minute
        self._redis = redis
        self._prefix = redis_prefix
        self._timeout = timeout
        self._clock = clock
        self._client: httpx.Client | None = None

    def __repr__(self) -> str:
        return f"SmsGateChannel(api_url={self.api_url!r}, devices={len(self.devices) or 1})"

    # -- webhooks -------------------------------------------------------------------------------

    def verify(self, request: WebRequest) -> None:
        """Check the signature and the timestamp before anything is parsed; raises :class:`SignatureError`."""
        if not self._key:
            raise SignatureError("SHAML_SMSGATE_SIGNING_KEY is not set; cannot verify gateway webhooks")
        given = request.headers.get("x-signature", "").strip().lower()
        stamp = request.headers.get("x-timestamp", "").strip()
        if not given or not stamp:
            raise SignatureError("missing X-Signature or X-Timestamp")
        if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
            raise SignatureError("X-Timestamp is not Unix seconds")
        expected = signature(self._key, request.body, stamp)
        if not hmac.compare_digest(given.encode("ascii", "replace"), expected.encode()):
            raise SignatureError("X-Signature does not match")
        if abs(self._clock() - int(stamp)) > MAX_SKEW_SECONDS:
            raise SignatureError("X-Timestamp is more than 5 minutes away (a replay, or the phone's clock is wrong)")

    def event(self, request: WebRequest) -> WebhookItem:
        """Verify, then read one event: what it carries, with the event's id (``sg-…``) to handle it once."""
        self.verify(request)
        try:
            data = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise BadWebhook("gateway event is not UTF-8 JSON") from None
        if not isinstance(data, dict):
            raise BadWebhook("gateway event must be a JSON object")
        event_id, kind, device = data.get("id"), data.get("event"), data.get("deviceId")
        if not isinstance(event_id, str) or not _ID.match(event_id):
            raise BadWebhook("gateway event has no id of 1-64 printable characters")
        device_id = device if isinstance(device, str) and _ID.match(device) else "unknown"
        raw_payload = data.get("payload")
        payload: dict[str, Any] = raw_payload if isinstance(raw_payload, dict) else {}
        if kind == "system:ping":
            raw_health = payload.get("health")
            health: dict[str, object] = raw_health if isinstance(raw_health, dict) else {}
            return Ping(device_id=device_id, health=health, event_id=f"sg-{event_id}")
        if kind == "sms:received":
            return self._received(event_id, payload)
        if kind in STATUS_MAP:
            message_id = payload.get("messageId")
            if not isinstance(message_id, str) or not _ID.match(message_id):
                raise BadWebhook(f"{kind} event has no messageId")
            reason = str(payload.get("reason") or "")[:200]
            retry = kind == "sms:failed" and not any(word in reason.lower() for word in NUMBER_FAILURES)
            return StatusUpdate(
                provider_id=message_id, status=STATUS_MAP[kind], error_code="smsgate" if kind == "sms:failed" else None,
                retry=retry, device_id=device_id, reason=reason or None, event_id=f"sg-{event_id}",
            )
        return Ignored(f"event {str(kind)[:40]!r} is not one Shaml reads")

    def _received(self, event_id: str, payload: dict[str, Any]) -> InboundMessage:
        try:
            address = normalise_address(str(payload.get("phoneNumber") or ""))
        except AddressError as exc:
            raise BadWebhook(f"malformed phoneNumber on a received SMS: {exc}") from None
        text = payload.get("message")
        if not isinstance(text, str):
            raise BadWebhook("received SMS has no message text")
        try:
            body = storable_text(text)
        except ValueError as exc:
            raise BadWebhook(f"received SMS text {exc}") from None
        return InboundMessage(channel="sms", address=address, provider_id=f"sg-{event_id}", body=body, provider="smsgate")

    def receive(self, request: WebRequest) -> InboundMessage | Ignored:
        """Verify and read a received SMS (any other event is :class:`Ignored` here)."""
        item = self.event(request)
        return item if isinstance(item, (InboundMessage, Ignored)) else Ignored("not a received SMS")

    def status(self, request: WebRequest) -> StatusUpdate:
        """Verify and read a sent/delivered/failed report."""
        item = self.event(request)
        if not isinstance(item, StatusUpdate):
            raise BadWebhook("not a delivery report")
        return item

    # -- sending --------------------------------------------------------------------------------

    @property
    def client(self) -> httpx.Client:
        """The HTTP client for the gateway's API, with its basic auth."""
        if self._client is None:
            if not self.api_url:
                raise SendError("SHAML_SMSGATE_API_URL is not set", code="no_gateway", retryable=False)
            self._client = httpx.Client(base_url=self.api_url + "/", auth=self._auth, timeout=self._timeout)
        return self._client

    def _pick_device(self) -> tuple[str | None, str | None]:
        """A phone whose SIM is under its per-minute pace, and its pace key (None: one unnamed phone).

        Raises a wait when every SIM has sent its share this minute.
        """
        devices = self.devices or ("default",)
        if self._redis is None:
            return (None if devices == ("default",) else devices[0]), None
        minute = int(self._clock() // 60)
        for device in devices:
            key = f"{self._prefix}smsgate-pace:{device}:{minute}"
            count = int(self._redis.incr(key))
            if count == 1:
                self._redis.expire(key, 120)
            if count <= self.per_minute:
                return (None if device == "default" else device), key
            self._redis.decr(key)
        seconds = 60 - self._clock() % 60
        raise SendError("every gateway SIM has sent its share this minute", code="sim_paced", retryable=True, wait=True, retry_after=seconds + 0.05)

    def send(self, message: Outgoing) -> SendResult:
        """Hand the SMS to a gateway phone; its reports come back on the webhook under our id."""
        reference = message.reference or f"shaml-{int(self._clock() * 1000)}"
        device, pace_key = self._pick_device()
        try:
            return self._post(message, reference, device)
        except SendError as exc:
            if exc.wait and pace_key and self._redis is not None:
                self._redis.decr(pace_key)  # it never reached the SIM: the slot is free again
            raise

    def _post(self, message: Outgoing, reference: str, device: str | None) -> SendResult:
        payload: dict[str, Any] = {
            "id": reference,
            "textMessage": {"text": message.body},
            "phoneNumbers": [message.address],
            "withDeliveryReport": True,
        }
        if device:
            payload["deviceId"] = device
        try:
            response = self.client.post("messages", json=payload)
        except httpx.TimeoutException:
            raise SendError("the gateway phone did not answer in time", code="gateway_offline", retryable=True, wait=True) from None
        except httpx.HTTPError as exc:
            raise SendError(f"the gateway phone is unreachable ({type(exc).__name__})", code="gateway_offline", retryable=True, wait=True) from None
        status = response.status_code
        if status in (200, 201, 202):
            return SendResult(provider_id=reference, status="accepted")
        if status == 429 or status >= 500:
            raise SendError(f"the gateway answered HTTP {status}", code="gateway_busy", retryable=True, wait=True)
        if status in (401, 403):
            raise SendError("the gateway refused our credentials (check SHAML_SMSGATE_USERNAME/PASSWORD)", code=str(status), retryable=False)
        raise SendError(f"the gateway refused the message (HTTP {status})", code=str(status), retryable=False)

    # -- webhook management (shaml smsgate register-webhooks) -----------------------------------

    def register_webhooks(self, url: str) -> list[str]:
        """Register ``url`` for each of the five events (ids ``shaml-…``, so a second run replaces them)."""
        done = []
        for event in EVENTS:
            try:
                response = self.client.post("webhooks", json={"id": f"shaml-{event.replace(':', '-')}", "url": url, "event": event})
            except httpx.HTTPError as exc:
                raise SendError(f"the gateway is unreachable ({type(exc).__name__})", code="gateway_offline", retryable=True) from None
            if response.status_code >= 300:
                raise SendError(f"the gateway refused webhook {event} (HTTP {response.status_code})", code=str(response.status_code), retryable=False)
            done.append(event)
        return done
