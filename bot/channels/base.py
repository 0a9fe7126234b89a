"""What every channel shares: the web request it reads, the messages it yields, the sends it makes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from bot.gateway.errors import BadWebhook, SendError, SignatureError, WebhookError  # noqa: F401  (re-exported)

#: Half of a surrogate pair on its own (JSON can write one as "\\ud800"): no encoding can store it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def storable_text(text: str) -> str:
    """``text`` as the database can keep it: NUL, which PostgreSQL text cannot hold, is shown as
    U+FFFD; every other character (controls, bidi marks, emoji) is kept as sent.

    Raises ``ValueError`` for an unpaired surrogate, which is not text at all.
    """
    if _LONE_SURROGATE.search(text):
        raise ValueError("holds an unpaired surrogate, which is not text")
    return text.replace("\x00", "\ufffd")


@dataclass(frozen=True)
class WebRequest:
    """An HTTP request as a channel sees it: path, query string, lower-cased headers, raw body."""

    path: str
    headers: Mapping[str, str]
    body: bytes
    query: str = ""


def headers_of(raw: Mapping[str, str]) -> dict[str, str]:
    """Lower-cased header names, as :class:`WebRequest` and the channels' checks expect."""
    return {k.lower(): v for k, v in raw.items()}


@dataclass(frozen=True)
class Media:
    """One attachment of an inbound message."""

    url: str
    content_type: str


@dataclass(frozen=True)
class InboundMessage:
    """A message a person sent, read from a channel's webhook; ``address`` is already E.164 (or a sim id)."""

    channel: str  # whatsapp | sms | telegram | sim
    address: str  # E.164, a Telegram chat id, or a sim id
    provider_id: str
    body: str
    media: tuple[Media, ...] = ()
    #: The provider that carried it (twilio | smsgate | telegram | sim); replies go back on it.
    provider: str = ""
    #: A phone number the provider itself vouches for (Telegram: the sender shared their own contact).
    verified_phone: str | None = None


@dataclass(frozen=True)
class Ignored:
    """A genuine webhook that carries nothing for a conversation (a group post, an edit, a service
    message): acknowledged so the provider stops re-sending it, and not stored."""

    reason: str


@dataclass(frozen=True)
class Ping:
    """A provider's own heartbeat (an SMS gateway phone's ``system:ping``), with its health report."""

    device_id: str
    health: dict[str, object] = field(default_factory=dict)
    #: The provider's id of the event that carried it, when the provider re-sends events: handled once per id.
    event_id: str | None = None


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery report for a message we sent."""

    provider_id: str
    status: str  # accepted | sent | delivered | read | failed | undelivered
    error_code: str | None = None
    #: A failure of the sending phone rather than of the number (no signal, no credit): send again.
    retry: bool = False
    #: The gateway phone that reports it, and its reason for a failure (for operators, never personal).
    device_id: str | None = None
    reason: str | None = None
    #: The provider's id of the event that carried it, when the provider re-sends events: applied once per id.
    event_id: str | None = None


#: What a channel reads from a verified webhook; the web service acts on each kind the same way for
#: every provider (shaml.web.handle).
WebhookItem = InboundMessage | StatusUpdate | Ping | Ignored


@dataclass(frozen=True)
class Outgoing:
    """One message to send: to an address on a channel, as text or as an approved template."""

    channel: str
    address: str
    body: str
    template_sid: str | None = None
    template_variables: str | None = None  # a JSON object, as the provider wants it
    status_callback: str | None = None
    #: The reader's language (ar | en): a channel with buttons labels them in it.
    language: str = "ar"
    #: The provider chosen to carry it (the contact's own, or the route table's for a bare number).
    provider: str = ""
    #: Our id for this send (the outbox row and attempt); a provider that takes one keys its reports on it.
    reference: str | None = None


@dataclass(frozen=True)
class SendResult:
    """What the provider answered to a send: its id for the message and the status it reported."""

    provider_id: str
    status: str = "accepted"
    extra: dict[str, str] = field(default_factory=dict)


class Channel(Protocol):
    """The shape of every channel module's channel: read webhooks, read status reports, send."""

    #: Contact channels this channel serves (e.g. ("whatsapp", "sms") for Twilio).
    serves: tuple[str, ...]

    def receive(self, request: WebRequest) -> InboundMessage | Ignored:
        """Verify and read an inbound webhook; raises a ``WebhookError`` when it must be refused.

        A genuine webhook with nothing for a conversation is returned as :class:`Ignored` (acked, not stored).
        """
        ...

    def status(self, request: WebRequest) -> StatusUpdate:
        """Verify and read a delivery status callback."""
        ...

    def send(self, message: Outgoing) -> SendResult:
        """Send one message; raises :class:`SendError` carrying ``retryable``."""
        ...
