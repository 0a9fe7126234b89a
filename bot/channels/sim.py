"""The phone simulator: the same pipeline as Twilio, fed by JSON from the console or tests, no provider."""

from __future__ import annotations

import json
import re
import uuid

from bot.channels.base import (
    InboundMessage,
    Outgoing,
    SendResult,
    StatusUpdate,
    WebRequest,
    storable_text,
)
from bot.gateway.errors import BadWebhook

#: A simulated phone is named by a short id (letters, digits, + - _), not a real number.
_ADDRESS = re.compile(r"^[A-Za-z0-9+_\-]{1,32}$")
#: A message id: printable ASCII without spaces, like a provider's.
_ID = re.compile(r"^[\x21-\x7e]{1,64}$")


class SimChannel:
    """Simulated phones. Sending "delivers" at once; the console reads replies from the messages table."""

    serves = ("sim",)
    provider = "sim"

    def receive(self, request: WebRequest) -> InboundMessage:
        """Read ``{"from": id, "body": text, "id": optional message id}`` from a JSON body."""
        try:
            data = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise BadWebhook("simulator message is not UTF-8 JSON") from None
        except RecursionError:
            raise BadWebhook("simulator message is JSON nested deeper than the parser goes") from None
        if not isinstance(data, dict):
            raise BadWebhook("simulator message must be a JSON object")
        address = str(data.get("from", "")).strip()
        if not _ADDRESS.match(address):
            raise BadWebhook("simulator 'from' must be 1-32 letters, digits, + - or _")
        body = data.get("body", "")
        if not isinstance(body, str):
            raise BadWebhook("simulator 'body' must be text")
        try:
            body = storable_text(body)
        except ValueError as exc:
            raise BadWebhook(f"simulator 'body' {exc}") from None
        provider_id = str(data.get("id") or f"SIM{uuid.uuid4().hex}")
        if not _ID.match(provider_id):
            raise BadWebhook("simulator 'id' must be 1-64 printable ASCII characters without spaces")
        return InboundMessage(channel="sim", address=address, provider_id=provider_id, body=body, provider="sim")

    def status(self, request: WebRequest) -> StatusUpdate:
        """The simulator reports ``read`` for a message id: ``{"id": ..., "status": "read"}``."""
        try:
            data = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise BadWebhook("simulator status is not UTF-8 JSON") from None
        if not isinstance(data, dict):
            raise BadWebhook("simulator status must be a JSON object")
        status = str(data.get("status", ""))
        if status not in {"delivered", "read"} or not data.get("id"):
            raise BadWebhook("simulator status needs an id and status delivered or read")
        return StatusUpdate(provider_id=str(data["id"]), status=status)

    def send(self, message: Outgoing) -> SendResult:
        """Deliver at once: the message stays in the database, where the simulator reads it."""
        return SendResult(provider_id=f"SIM{uuid.uuid4().hex}", status="delivered")
