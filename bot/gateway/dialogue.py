"""The dialogue interface the router talks to, and its real backend: Rasa's signed channel over HTTP."""

from __future__ import annotations

import json
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from bot.gateway.errors import DialogueError
from bot.internal_auth import channel_key, sign


class RedactTokens(logging.Filter):
    """Rewrites ``token=…`` and Telegram's ``/bot<token>/`` in log records to ``***``.

    Rasa takes its API token in the query string, Telegram's Bot API takes the bot token in the
    path, and httpx logs every URL at INFO; this filter, installed on the httpx loggers, keeps both
    tokens out of every log.
    """

    _PATTERN = re.compile(r"(token=)[^&\s\"']+")
    _BOT_PATH = re.compile(r"(/bot)[^/\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the formatted message in place; never drops a record."""
        message = record.getMessage()
        if "token=" in message or "/bot" in message:
            record.msg = self._BOT_PATH.sub(r"\1***", self._PATTERN.sub(r"\1***", message))
            record.args = ()
        return True


_REDACTOR = RedactTokens()


def redact_http_logs() -> None:
    """Install :class:`RedactTokens` on the HTTP client loggers (idempotent)."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)


@dataclass(frozen=True)
class Reply:
    """One message the assistant wants sent back, in order."""

    text: str | None
    custom: dict[str, Any] | None = None


class Dialogue(Protocol):
    """Takes one user turn and returns the assistant's replies. Raises :class:`DialogueError`."""

    def turn(self, sender: str, text: str, metadata: dict[str, Any]) -> list[Reply]:
        """Send ``text`` from ``sender`` (the contact id as a string) with ``metadata``; return the replies."""
        ...


class RasaRestClient:
    """Rasa's signed channel (bot/rasa_channel.py): ``POST {url}/webhooks/shaml/webhook``.

    Rasa 3.6 does not protect channel webhooks with ``--auth-token`` (the token guards only the
    server's own API routes), so each turn is signed instead: an HMAC over time and body with a
    key derived from the token (bot/internal_auth.py). The token itself goes only to API calls
    such as :meth:`ready`, and never into a URL that might be logged. See docs/gateway.md.
    """

    WEBHOOK = "/webhooks/shaml/webhook"

    def __init__(self, base_url: str, *, token: str = "", timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._key = channel_key(token)
        if token:
            redact_http_logs()
        self._http = httpx.Client(timeout=timeout)

    def __repr__(self) -> str:
        return f"RasaRestClient(base_url={self.base_url!r})"

    def turn(self, sender: str, text: str, metadata: dict[str, Any]) -> list[Reply]:
        """One turn. Timeouts, refused connections and 5xx are retryable; other failures are not."""
        try:
            # A fresh nonce makes every turn's signature unique: the channel refuses a signature it has
            # seen (a replay), and a person may well send the same text twice in one second.
            body = json.dumps({"sender": sender, "message": text, "metadata": metadata,
                               "nonce": secrets.token_hex(12)}).encode()
            headers = {"Content-Type": "application/json", **sign(self._key, body)}
            response = self._http.post(self.base_url + self.WEBHOOK, content=body, headers=headers)
        except httpx.TimeoutException:
            raise DialogueError("Rasa did not answer in time", retryable=True) from None
        except httpx.ConnectError:
            raise DialogueError("cannot reach Rasa (connection refused)", retryable=True, unreachable=True) from None
        except httpx.TransportError as exc:
            raise DialogueError(f"cannot reach Rasa ({type(exc).__name__})", retryable=True) from None
        if response.status_code >= 500 or response.status_code == 429:
            raise DialogueError(f"Rasa answered HTTP {response.status_code}", retryable=True)
        if response.status_code != 200:
            raise DialogueError(f"Rasa answered HTTP {response.status_code}", retryable=False)
        try:
            payload = response.json()
        except ValueError:
            raise DialogueError("Rasa's answer is not JSON", retryable=False) from None
        return parse_replies(payload)

    def ready(self) -> bool:
        """Whether Rasa is up with a model loaded (``GET /status``, token-protected when a token is set)."""
        params = {"token": self._token} if self._token else None
        try:
            response = self._http.get(self.base_url + "/status", params=params)
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and bool(response.json().get("model_file"))

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()


def parse_replies(payload: Any) -> list[Reply]:
    """Rasa's REST answer (a list of ``{"recipient_id", "text", "custom"?}``) as replies, in order."""
    if not isinstance(payload, list):
        raise DialogueError("Rasa's answer is not a list of messages", retryable=False)
    replies = []
    for item in payload:
        if not isinstance(item, dict):
            continue
        text = item.get("text")
        custom = item.get("custom")
        if isinstance(text, str) and text.strip():
            replies.append(Reply(text=text, custom=custom if isinstance(custom, dict) else None))
        elif isinstance(custom, dict):
            replies.append(Reply(text=None, custom=custom))
    return replies
