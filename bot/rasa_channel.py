"""Rasa's input channel for the gateway: Rasa's REST webhook, but only for turns the gateway signed.

Registered in bot/assistant/credentials.yml as ``bot.rasa_channel.SignedInput`` (served at
``/webhooks/shaml/webhook``) instead of Rasa's open ``rest`` channel, which anyone who reaches Rasa
could post to under any sender id. A turn must carry the headers of :mod:`bot.internal_auth`; an
unsigned, stale, forged or replayed turn gets 401 and never reaches the dialogue.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.internal_auth import MAX_SKEW_SECONDS, SIGNATURE_HEADER, channel_key, check

log = logging.getLogger(__name__)


class ChannelConfigError(RuntimeError):
    """The channel cannot start safely (no Rasa token to derive its key from)."""


class SignedInput(InputChannel):
    """``POST /webhooks/shaml/webhook`` with ``{"sender", "message", "metadata"}``, signed by the gateway."""

    @classmethod
    def name(cls) -> str:
        """The channel's name, and its URL segment."""
        return "shaml"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> SignedInput:
        """Rasa builds the channel from credentials.yml, whose ``token: ${SHAML_RASA_TOKEN}`` Rasa fills
        from the environment (the file never holds the secret)."""
        token = str((credentials or {}).get("token") or "").strip()
        if not token:
            raise ChannelConfigError("SHAML_RASA_TOKEN is empty: the gateway's channel to Rasa cannot be authenticated")
        return cls(token)

    def __init__(self, rasa_token: str) -> None:
        self._key = channel_key(rasa_token)
        self._seen: OrderedDict[str, float] = OrderedDict()

    def _replayed(self, signature: str, now: float) -> bool:
        """Remember each good signature for the skew window; a second use is a replay."""
        while self._seen and next(iter(self._seen.values())) < now - 2 * MAX_SKEW_SECONDS:
            self._seen.popitem(last=False)
        if signature in self._seen:
            return True
        self._seen[signature] = now
        return False

    def refusal(self, body: bytes, headers: Any, now: float | None = None) -> str | None:
        """Why this request is refused (for the log), or None when it is the gateway's, signed and fresh."""
        now = time.time() if now is None else now
        problem = check(self._key, body, headers, now)
        if problem is None and self._replayed(str(headers.get(SIGNATURE_HEADER)), now):
            problem = "replayed signature"
        return problem

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The channel's routes: a health check and the signed webhook."""
        hook = Blueprint("shaml_signed_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.body or b""
            problem = self.refusal(body, request.headers)
            if problem:
                log.warning("shaml channel: turn refused (401): %s", problem)
                return response.json({"error": "unauthorized"}, status=401)
            try:
                payload = json.loads(body)
            except ValueError:
                return response.json({"error": "body is not JSON"}, status=400)
            sender, text = payload.get("sender"), payload.get("message")
            metadata = payload.get("metadata")
            if not isinstance(sender, str) or not sender or not isinstance(text, str):
                return response.json({"error": "sender and message are required"}, status=400)
            collector = CollectingOutputChannel()
            await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(),
                                             metadata=metadata if isinstance(metadata, dict) else None))
            return response.json(collector.messages)

        return hook
