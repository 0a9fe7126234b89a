"""Shared secrets between Shaml's own processes: signed turns to Rasa, and the action server's token.

The gateway signs every turn it posts to Rasa's channel with an HMAC over the time and the body;
Rasa (bot/rasa_channel.py) checks it and refuses anything unsigned, stale or replayed. Rasa sends
the action server a token header (endpoints ``action_endpoint.headers``), which the action server
(bot/actions/server.py) checks before running any action. Keys are derived from the Rasa token
with a label per use, so one leaked derived key does not give the other.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

#: Headers of a signed turn: Unix time in seconds, and hex HMAC-SHA256 of ``"<time>." + body``.
TIME_HEADER = "X-Shaml-Time"
SIGNATURE_HEADER = "X-Shaml-Signature"
#: Header carrying the action server's token (Rasa sends it with every action call).
ACTIONS_HEADER = "X-Shaml-Actions-Token"
#: How far (seconds) a signed turn's time may be from the receiver's clock.
MAX_SKEW_SECONDS = 300


def derive(secret: str, label: str) -> str:
    """A key for one use (``label``) derived from ``secret``: hex HMAC-SHA256(secret, label)."""
    return hmac.new(secret.encode(), label.encode(), hashlib.sha256).hexdigest()


def channel_key(rasa_token: str) -> bytes:
    """The key that signs the gateway's turns to Rasa's channel."""
    return derive(rasa_token, "shaml rasa channel v1").encode()


def actions_token(rasa_token: str, explicit: str = "") -> str:
    """The action server's token: ``explicit`` (SHAML_ACTIONS_TOKEN) when set, else derived from the Rasa token."""
    return explicit or (derive(rasa_token, "shaml action server v1") if rasa_token else "")


def sign(key: bytes, body: bytes, now: float | None = None) -> dict[str, str]:
    """The headers that sign ``body`` at ``now``."""
    stamp = str(int(now if now is not None else time.time()))
    mac = hmac.new(key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {TIME_HEADER: stamp, SIGNATURE_HEADER: mac}


def check(key: bytes, body: bytes, headers: Mapping[str, str], now: float | None = None) -> str | None:
    """Why a signed body is refused (one line for a log, never the body), or None when it is good."""
    stamp = headers.get(TIME_HEADER) or headers.get(TIME_HEADER.lower()) or ""
    given = headers.get(SIGNATURE_HEADER) or headers.get(SIGNATURE_HEADER.lower()) or ""
    if not stamp or not given:
        return "unsigned"
    if not stamp.isdigit():
        return "bad time header"
    if abs((now if now is not None else time.time()) - int(stamp)) > MAX_SKEW_SECONDS:
        return "stale or future time"
    expected = hmac.new(key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        return "bad signature"
    return None


def token_ok(expected: str, given: str | None) -> bool:
    """Whether ``given`` is the expected token (constant time; an empty expected token refuses all)."""
    return bool(expected) and bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())
