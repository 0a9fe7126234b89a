"""Rasa's HTTP API as the workflow uses it: put a conversation in context (trigger_intent), erase a tracker.

Every call carries ``?token=`` when a token is configured (``rasa run --auth-token``); the token
never appears in a log line or an error message.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from bot.gateway.dialogue import redact_http_logs

log = logging.getLogger(__name__)

#: The external intent that opens the consent question in the released person's conversation.
CONSENT_INTENT = "EXTERNAL_consent_request"


class RasaApiError(RuntimeError):
    """A Rasa API call failed; ``retryable`` says whether trying again later may work."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class RasaApi:
    """The few Rasa server endpoints the workflow needs, over one HTTP connection pool."""

    def __init__(self, base_url: str, *, token: str = "", timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._http = httpx.Client(timeout=timeout)
        redact_http_logs()  # httpx logs every URL at INFO, and the token rides in the query string

    def __repr__(self) -> str:
        return f"RasaApi(base_url={self.base_url!r})"

    def _call(self, method: str, path: str, payload: Any) -> Any:
        params = {"token": self._token} if self._token else None
        try:
            response = self._http.request(method, self.base_url + path, params=params, json=payload)
        except httpx.TimeoutException:
            raise RasaApiError(f"Rasa did not answer {method} {path.split('/')[-1]} in time", retryable=True) from None
        except httpx.TransportError as exc:
            raise RasaApiError(f"cannot reach Rasa ({type(exc).__name__})", retryable=True) from None
        if response.status_code in (401, 403):
            raise RasaApiError(f"Rasa refused the token (HTTP {response.status_code})", retryable=False)
        if response.status_code >= 500 or response.status_code == 429 or response.status_code == 409:
            raise RasaApiError(f"Rasa answered HTTP {response.status_code}", retryable=True)
        if response.status_code >= 400:
            raise RasaApiError(f"Rasa answered HTTP {response.status_code}", retryable=False)
        try:
            return response.json()
        except ValueError:
            return None

    def trigger_intent(self, sender_id: str, intent: str, entities: dict[str, Any]) -> list[dict[str, Any]]:
        """Inject ``intent`` into the conversation as if the user had said it; returns the bot's messages
        (collected by Rasa, not sent anywhere)."""
        body = self._call("POST", f"/conversations/{sender_id}/trigger_intent", {"name": intent, "entities": entities})
        messages = body.get("messages") if isinstance(body, dict) else None
        return list(messages or [])

    def open_consent(self, contact_id: int, match_id: int) -> None:
        """Put the released person's conversation in the consent question for ``match_id``."""
        self.trigger_intent(str(contact_id), CONSENT_INTENT, {"match_id": str(match_id)})

    def erase(self, sender_id: str) -> None:
        """Replace the conversation's events by none (``PUT /conversations/{id}/tracker/events``).

        That empties a Redis or in-memory tracker store. Rasa's SQL tracker store only appends on
        save, so its rows are deleted by :func:`bot.reunion.erase.finish_erasure` in the database.
        """
        self._call("PUT", f"/conversations/{sender_id}/tracker/events", [])

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()
