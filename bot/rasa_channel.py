"""Rasa's input channel for the gateway: Rasa's REST webhook, but only for turns the gateway signed.

Registered in bot/assistant/credentials.yml as ``bot.rasa_channel.SignedInput`` (served at
``/webhooks/shaml/webhook``) instead of Rasa's open ``rest`` channel, which anyone who reaches Rasa
could post to under any sender id. A turn must carry the headers of :mod:`bot.internal_auth`; an
unsigned, stale, forged or replayed turn gets 401 and never reaches the dialogue.

Replays are caught across every Rasa replica: each accepted signature is claimed in Redis (``SET NX``
with an expiry of the signature's validity window) under ``SHAML_REDIS_PREFIX``, at the Redis of
``SHAML_REDIS_URL`` (the one Rasa's lock store uses). When that Redis does not answer, the turn is
refused with 503 (fail closed): the gateway treats 503 as "try again", and Rasa could not take the
conversation's lock without Redis anyway, so nothing is lost and no replay slips through.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import redis
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.internal_auth import MAX_SKEW_SECONDS, SIGNATURE_HEADER, channel_key, check

log = logging.getLogger(__name__)


class ChannelConfigError(RuntimeError):
    """The channel cannot start safely (no Rasa token to derive its key from)."""


class ReplayCacheDown(RuntimeError):
    """Redis, where seen signatures are kept, did not answer: the turn cannot be checked for a replay."""


#: How long a seen signature is remembered: the whole window in which :func:`bot.internal_auth.check`
#: accepts its timestamp (``MAX_SKEW_SECONDS`` either side of now), so it cannot be used again while valid.
REPLAY_WINDOW_SECONDS = 2 * MAX_SKEW_SECONDS


class ReplayCache:
    """Signatures already used, shared by every Rasa replica through Redis."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix

    @classmethod
    def from_env(cls) -> ReplayCache:
        """The Redis of ``SHAML_REDIS_URL`` (as every Shaml process), with short timeouts."""
        url = os.environ.get("SHAML_REDIS_URL", "").strip() or "redis://127.0.0.1:6379/0"
        client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        return cls(client, os.environ.get("SHAML_REDIS_PREFIX", "").strip() or "shaml:")

    def first_use(self, signature: str) -> bool:
        """Claim ``signature``: True the first time it is seen in the window, False for a replay.
        Raises :class:`ReplayCacheDown` when Redis does not answer."""
        key = self._prefix + "rasa:seen:" + hashlib.sha256(signature.encode()).hexdigest()[:40]
        try:
            return bool(self._redis.set(key, b"1", nx=True, ex=REPLAY_WINDOW_SECONDS))
        except redis.RedisError as exc:
            raise ReplayCacheDown(f"{type(exc).__name__}") from None


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
        return cls(token, ReplayCache.from_env())

    def __init__(self, rasa_token: str, seen: ReplayCache) -> None:
        self._key = channel_key(rasa_token)
        self._seen = seen

    def refusal(self, body: bytes, headers: Any, now: float | None = None) -> str | None:
        """Why this request is refused (for the log), or None when it is the gateway's, signed and fresh.
        Raises :class:`ReplayCacheDown` when a good signature cannot be checked against the shared cache."""
        now = time.time() if now is None else now
        problem = check(self._key, body, headers, now)
        if problem is None and not self._seen.first_use(str(headers.get(SIGNATURE_HEADER))):
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
            try:
                problem = self.refusal(body, request.headers)
            except ReplayCacheDown as exc:
                log.error("shaml channel: turn refused (503): the replay cache in Redis does not answer (%s)", exc)
                return response.json({"error": "unavailable"}, status=503)
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
