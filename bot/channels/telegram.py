"""Telegram, through the Bot API over plain httpx: secret header first, then the update; sendMessage out.

Only private chats reach a conversation. Media are kept by ``file_id`` (nothing is downloaded). A
contact the sender shares of their own account carries Telegram's verified phone number. The bot
token is part of every API URL, so no URL, request or error from here is ever logged or raised.
"""

from __future__ import annotations

import hmac
import json
import logging
import uuid
from typing import Any

import httpx

from bot.channels.base import (
    Ignored,
    InboundMessage,
    Media,
    Outgoing,
    SendResult,
    StatusUpdate,
    WebRequest,
    storable_text,
)
from bot.channels.keyboards import SHARE_LABEL, asks_for_callback, menu_buttons
from bot.contacts import AddressError, normalise_address
from bot.gateway.dialogue import redact_http_logs
from bot.gateway.errors import BadWebhook, SendError, SignatureError

log = logging.getLogger(__name__)

#: The Bot API server used when ``SHAML_TELEGRAM_API_URL`` is empty.
DEFAULT_API_ROOT = "https://api.telegram.org"
#: The header Telegram sends with the secret given to setWebhook.
SECRET_HEADER = "x-telegram-bot-api-secret-token"
#: The longest text one sendMessage takes.
MAX_TEXT = 4096
#: The update types Shaml asks Telegram for (setWebhook's allowed_updates).
ALLOWED_UPDATES = ("message", "edited_message")
#: Media kinds stored by file_id, with the content type shown to operators.
MEDIA_KINDS = {
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "photo": "image/jpeg",
    "document": "application/octet-stream",
    "video": "video/mp4",
    "video_note": "video/mp4",
    "sticker": "image/webp",
}
#: Update keys that never carry a private conversation's message.
_NOT_FOR_US = ("channel_post", "edited_channel_post", "my_chat_member", "chat_member", "callback_query", "inline_query")


def _file_id(kind: str, value: Any) -> str | None:
    if kind == "photo":  # a list of sizes; the largest is last
        value = value[-1] if isinstance(value, list) and value else None
    if isinstance(value, dict) and isinstance(value.get("file_id"), str):
        return str(value["file_id"])[:200]
    return None


class TelegramChannel:
    """A Telegram bot. Holds the token and the webhook secret; neither is ever logged or shown."""

    serves = ("telegram",)
    provider = "telegram"

    def __init__(self, *, token: str, webhook_secret: str, api_url: str = "", timeout: float = 15.0) -> None:
        self._token = token
        self._secret = webhook_secret.encode()
        self.api_root = (api_url or DEFAULT_API_ROOT).rstrip("/")
        self._timeout = timeout
        self._client: httpx.Client | None = None
        redact_http_logs()  # httpx logs every URL at INFO, and the token is in the path

    def __repr__(self) -> str:
        return f"TelegramChannel(api_root={self.api_root!r})"

    # -- webhooks -------------------------------------------------------------------------------

    def check_secret(self, headers: dict[str, str] | Any) -> None:
        """Refuse (403) a webhook whose secret header is missing or wrong. Call before reading the body."""
        given = headers.get(SECRET_HEADER, "")
        if not self._secret:
            raise SignatureError("SHAML_TELEGRAM_WEBHOOK_SECRET is not set; cannot verify Telegram webhooks")
        if not given:
            raise SignatureError("missing X-Telegram-Bot-Api-Secret-Token")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self._secret):
            raise SignatureError("X-Telegram-Bot-Api-Secret-Token does not match")

    def receive(self, request: WebRequest) -> InboundMessage | Ignored:
        """Verify the secret, then read one update: a private message, or :class:`Ignored` with why."""
        self.check_secret(request.headers)
        try:
            update = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise BadWebhook("Telegram update is not UTF-8 JSON") from None
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int) or isinstance(update.get("update_id"), bool):
            raise BadWebhook("Telegram update has no integer update_id")
        provider_id = f"tg-{update['update_id']}"
        if "edited_message" in update:
            # The first version was already answered; a changed answer is for the person to send again.
            return Ignored("edited message")
        if any(key in update for key in _NOT_FOR_US):
            return Ignored("not a private message")
        message = update.get("message")
        if not isinstance(message, dict):
            return Ignored("update without a message")
        chat, sender = message.get("chat"), message.get("from")
        if not isinstance(chat, dict) or chat.get("type") != "private":
            return Ignored("group or channel message")
        if not isinstance(sender, dict) or sender.get("is_bot"):
            return Ignored("message from a bot")
        chat_id = chat.get("id")
        if not isinstance(chat_id, int) or isinstance(chat_id, bool) or not 0 < chat_id < 10**15:
            raise BadWebhook("Telegram chat id is not a positive integer")
        try:
            body = storable_text(str(message.get("text") or message.get("caption") or ""))[:4096]
        except ValueError as exc:
            raise BadWebhook(f"Telegram text {exc}") from None
        address = str(chat_id)
        contact = message.get("contact")
        if isinstance(contact, dict):
            return self._shared_contact(provider_id, address, sender, contact)
        media = []
        for kind, content_type in MEDIA_KINDS.items():
            if kind in message:
                file_id = _file_id(kind, message[kind])
                if file_id is None:
                    raise BadWebhook(f"Telegram {kind} has no file_id")
                mime = message[kind].get("mime_type") if isinstance(message[kind], dict) else None
                shown = mime if isinstance(mime, str) and len(mime) < 100 else content_type
                media.append(Media(url=f"telegram:{kind}:{file_id}", content_type=storable_text(shown)))
        if not body and not media:
            # Service messages: pins, joins, chat photo changes, polls, locations…
            return Ignored("service message")
        return InboundMessage(
            channel="telegram", address=address, provider_id=provider_id, body=body, media=tuple(media), provider="telegram"
        )

    def _shared_contact(self, provider_id: str, address: str, sender: dict[str, Any], contact: dict[str, Any]) -> InboundMessage:
        raw = str(contact.get("phone_number") or "")
        try:
            phone = normalise_address(raw if raw.startswith(("+", "00")) else f"+{raw}")
        except AddressError:
            # Not a number we can read: passed on as typed, and the form asks again.
            return InboundMessage(channel="telegram", address=address, provider_id=provider_id, body=storable_text(raw[:40]), provider="telegram")
        own = contact.get("user_id") is not None and contact.get("user_id") == sender.get("id")
        return InboundMessage(
            channel="telegram", address=address, provider_id=provider_id, body=phone, provider="telegram",
            verified_phone=phone if own else None,
        )

    def status(self, request: WebRequest) -> StatusUpdate:
        """Telegram sends no delivery reports: a message it accepted stays ``sent``."""
        raise BadWebhook("Telegram has no status callbacks")

    # -- sending --------------------------------------------------------------------------------

    @property
    def client(self) -> httpx.Client:
        """The HTTP client for ``{root}/bot{token}/``; never logged (see :func:`redact_bot_token`)."""
        if self._client is None:
            if not self._token:
                raise SendError("SHAML_TELEGRAM_BOT_TOKEN is not set", code="no_token", retryable=False)
            self._client = httpx.Client(base_url=f"{self.api_root}/bot{self._token}/", timeout=self._timeout)
        return self._client

    def call(self, method: str, payload: dict[str, Any] | None = None) -> Any:
        """Call a Bot API method; returns its ``result``. Raises :class:`SendError` (never with the URL)."""
        try:
            response = self.client.post(method, json=payload or {})
        except httpx.TimeoutException:
            raise SendError("Telegram did not answer in time", code="timeout", retryable=True) from None
        except httpx.HTTPError as exc:
            raise SendError(f"could not reach Telegram ({type(exc).__name__})", code="connection", retryable=True) from None
        try:
            data = response.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if response.status_code == 200 and data.get("ok"):
            return data.get("result")
        raise _send_error(response.status_code, data)

    def keyboard(self, message: Outgoing) -> dict[str, Any]:
        """The reply keyboard for ``message``: share-my-number, a menu, or none (removes the last one)."""
        if asks_for_callback(message.body):
            label = SHARE_LABEL.get(message.language, SHARE_LABEL["ar"])
            return {"keyboard": [[{"text": label, "request_contact": True}]], "resize_keyboard": True, "one_time_keyboard": True}
        buttons = menu_buttons(message.body, message.language)
        if buttons:
            return {"keyboard": [[{"text": b} for b in buttons]], "resize_keyboard": True, "one_time_keyboard": True}
        return {"remove_keyboard": True}

    def send(self, message: Outgoing) -> SendResult:
        """Send the text with sendMessage, in parts of at most 4,096 characters; buttons on the last."""
        from bot.gateway.outbox import split_body  # the outbox's splitter, at Telegram's limit

        parts = split_body(message.body, MAX_TEXT) if message.body else [""]
        result: Any = None
        for i, part in enumerate(parts):
            payload: dict[str, Any] = {"chat_id": int(message.address), "text": part or "…"}
            if i == len(parts) - 1:
                payload["reply_markup"] = self.keyboard(message)
            result = self.call("sendMessage", payload)
        message_id = result.get("message_id") if isinstance(result, dict) else None
        # Unique (message ids are counted per chat) and never the chat id: the address is sealed at
        # rest, so the id kept beside it must not repeat it in plain (docs/privacy.md).
        ours = message.reference or uuid.uuid4().hex[:20]
        return SendResult(provider_id=f"tg-out-{ours}-{message_id}", status="sent")

    # -- webhook management (shaml telegram …) --------------------------------------------------

    def set_webhook(self, url: str) -> Any:
        """Register ``url`` with the secret and the update types Shaml reads."""
        return self.call("setWebhook", {
            "url": url, "secret_token": self._secret.decode(), "allowed_updates": list(ALLOWED_UPDATES),
            "drop_pending_updates": False,
        })

    def webhook_info(self) -> dict[str, Any]:
        """getWebhookInfo: the registered URL, pending updates and the last error Telegram saw."""
        info = self.call("getWebhookInfo")
        return info if isinstance(info, dict) else {}


def _send_error(status: int, data: dict[str, Any]) -> SendError:
    description = str(data.get("description") or "")[:120]
    parameters = data.get("parameters") if isinstance(data.get("parameters"), dict) else {}
    if status == 429:
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        seconds = float(retry_after) if isinstance(retry_after, (int, float)) and retry_after > 0 else None
        return SendError("Telegram asks us to slow down", code="429", retryable=True, wait=True, retry_after=seconds)
    if status >= 500:
        return SendError(f"Telegram answered HTTP {status}", code=str(status), retryable=True)
    if status == 403:
        # "bot was blocked by the user", "user is deactivated": they will not read us again.
        return SendError(f"Telegram refused: {description}", code="blocked", retryable=False, loggable=False, opt_out=True)
    if status == 400 and "chat not found" in description.lower():
        return SendError("Telegram does not know this chat", code="chat_not_found", retryable=False)
    if status in (401, 404):
        return SendError("Telegram refused the bot token (check SHAML_TELEGRAM_BOT_TOKEN)", code=str(status), retryable=False)
    return SendError(f"Telegram refused the message (HTTP {status}: {description})", code=str(status), retryable=False)
