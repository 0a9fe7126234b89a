"""A fake Telegram Bot API: records method calls, fails on demand (429, 5xx, 403, 400), builds updates."""

from __future__ import annotations

import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tests.fakes._server import FakeServer, QuietHandler

BOT_TOKEN = "123456789:AAF-fake_telegram_bot_token_" + "q7" * 4
WEBHOOK_SECRET = "tg-webhook-secret-" + "7" * 14


@dataclass
class Call:
    """One Bot API call the fake received."""

    method: str
    payload: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Planned:
    """A scripted answer: HTTP status, Telegram's description, retry_after for a 429."""

    status: int = 200
    description: str = ""
    retry_after: int | None = None


class _Handler(QuietHandler):
    fake: FakeTelegram

    def do_POST(self) -> None:  # noqa: N802
        fake = self.fake
        prefix = f"/bot{fake.token}/"
        raw = self.body()
        if not self.path.startswith(prefix):
            return self.reply(401, json.dumps({"ok": False, "error_code": 401, "description": "Unauthorized"}).encode())
        method = self.path[len(prefix):]
        payload = json.loads(raw or b"{}")
        with fake.lock:
            plan = fake.plans.popleft() if (fake.plans and method == "sendMessage") else Planned()
            fake.calls.append(Call(method, payload))
        if plan.status != 200:
            answer: dict[str, Any] = {"ok": False, "error_code": plan.status, "description": plan.description}
            if plan.retry_after is not None:
                answer["parameters"] = {"retry_after": plan.retry_after}
            return self.reply(plan.status, json.dumps(answer).encode())
        if method == "sendMessage":
            result: Any = {"message_id": next(fake.ids), "chat": {"id": payload.get("chat_id"), "type": "private"}, "text": payload.get("text")}
        elif method == "setWebhook":
            fake.webhook = payload
            result = True
        elif method == "getWebhookInfo":
            result = {"url": (fake.webhook or {}).get("url", ""), "pending_update_count": 3, "last_error_message": "Connection refused"}
        else:
            result = True
        self.reply(200, json.dumps({"ok": True, "result": result}).encode())


class FakeTelegram(FakeServer):
    """Start with ``with FakeTelegram() as tg:``; point ``SHAML_TELEGRAM_API_URL`` at ``tg.url``."""

    handler_class = _Handler

    def __init__(self, token: str = BOT_TOKEN) -> None:
        super().__init__()
        self.token = token
        self.calls: list[Call] = []
        self.plans: deque[Planned] = deque()
        self.ids = itertools.count(100)
        self.webhook: dict[str, Any] | None = None

    def fail_next(self, status: int, description: str = "", *, retry_after: int | None = None, times: int = 1) -> None:
        """The next ``times`` sendMessage calls answer ``status`` (e.g. 429 with ``retry_after``)."""
        with self.lock:
            self.plans.extend(Planned(status, description, retry_after) for _ in range(times))

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The sendMessage payloads, in order (failed ones included; see ``delivered``)."""
        return [c.payload for c in self.calls if c.method == "sendMessage"]


_update_ids = itertools.count(5000)


def user(user_id: int = 70001, **extra: Any) -> dict[str, Any]:
    """A Telegram user object."""
    return {"id": user_id, "is_bot": False, "first_name": "Um Ahmad", "language_code": "ar", **extra}


def message_update(update_id: int | None = None, *, chat_id: int = 70001, chat_type: str = "private", **content: Any) -> dict[str, Any]:
    """An update carrying a message (``text=…``, ``voice={…}``, ``contact={…}``…) from ``chat_id``."""
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    return {
        "update_id": update_id if update_id is not None else next(_update_ids),
        "message": {"message_id": 1, "from": user(abs(chat_id)), "chat": chat, "date": int(time.time()), **content},
    }


def secret_headers(secret: str | None = WEBHOOK_SECRET) -> dict[str, str]:
    """The headers Telegram sends with a webhook (the secret header left out when ``secret`` is None)."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return headers
