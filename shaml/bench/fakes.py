"""The providers ``shaml bench resilience`` talks to, faked: Twilio's REST API, the Telegram Bot API and
an SMS gateway phone's API. Each records every message it accepted as a :class:`Delivery` keyed by the
id the channel stores for it, and fails on command (500s, 429 with ``retry_after``, an offline phone).

These are the bench's own fakes, small and fast under load; tests/fakes/ holds the tests' fakes.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Delivery:
    """One message a provider was asked to send and accepted."""

    sid: str
    to: str
    body: str
    at: float


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    api: FakeAPI

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return

    def reply(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the sender was killed before it read the answer: what was accepted stays accepted

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        answer = self.api.handle(self.path, dict(self.headers.items()), raw)
        if answer is None:
            self.close_connection = True  # no answer at all: the connection drops, as with a phone gone offline
            return
        self.reply(*answer)


class FakeAPI:
    """A provider's API on a free local port, in daemon threads; ``deliveries`` holds what it accepted."""

    def __init__(self) -> None:
        self.deliveries: dict[str, Delivery] = {}
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"api": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]] | None:
        """(status, JSON answer) for one POST, or None to drop the connection unanswered."""
        raise NotImplementedError

    def accept(self, sid: str, to: str, body: str) -> None:
        """Record an accepted message. A second message under the same id is kept too (as a duplicate)."""
        with self.lock:
            key = sid
            for n in itertools.count(2):
                if key not in self.deliveries:
                    break
                key = f"{sid}#{n}"
            self.deliveries[key] = Delivery(sid, to, body, time.time())

    def snapshot(self) -> list[Delivery]:
        with self.lock:
            return list(self.deliveries.values())

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeTwilioAPI(FakeAPI):
    """Answers ``POST …/Messages.json`` like Twilio: 201 with a MessageSid; or 500s, or slowly, on command."""

    def __init__(self) -> None:
        self.refused = 0
        self.fail_until = 0.0
        self.delay = 0.0
        self.in_flight = 0
        super().__init__()

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]] | None:
        form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        if time.time() < self.fail_until:
            with self.lock:
                self.refused += 1
            return 500, {"code": 20500, "message": "Internal Server Error", "status": 500}
        sid = "SM" + uuid.uuid4().hex
        # Accepted the moment it arrives, as Twilio does: a sender that dies before reading the
        # answer has still sent the message.
        self.accept(sid, form.get("To", ""), form.get("Body", ""))
        with self.lock:
            self.in_flight += 1
        try:
            if self.delay:
                time.sleep(self.delay)
        finally:
            with self.lock:
                self.in_flight -= 1
        return 201, {"sid": sid, "status": "queued", "to": form.get("To"), "body": form.get("Body")}


def telegram_key(chat: str, message_id: object) -> str:
    """How the bench keys a Telegram send: the chat and Telegram's message id (the provider id we store
    ends in the message id, and leaves the chat id out; bot.channels.telegram)."""
    return f"tg:{chat}:{message_id}"


class FakeTelegramAPI(FakeAPI):
    """The Bot API's ``sendMessage`` at ``/bot{token}/``; during a storm every send gets 429 with ``retry_after``.

    Each send is logged per chat with its time and status, so :meth:`early` can tell whether the
    sender waited ``retry_after`` after a 429 before it sent to that chat again.
    """

    def __init__(self, token: str) -> None:
        self.token = token
        self.storm_until = 0.0
        self.retry_after = 0
        self.calls: dict[str, list[tuple[float, int, int]]] = defaultdict(list)  # chat -> (at, status, retry_after)
        self.ids = itertools.count(1000)
        super().__init__()

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]] | None:
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if path[len(prefix):] != "sendMessage":
            return 200, {"ok": True, "result": True}
        payload = json.loads(raw or b"{}")
        chat, text = str(payload.get("chat_id")), str(payload.get("text") or "")
        now = time.time()
        if now < self.storm_until:
            retry_after = self.retry_after
            with self.lock:
                self.calls[chat].append((now, 429, retry_after))
            return 429, {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after}",
                         "parameters": {"retry_after": retry_after}}
        message_id = next(self.ids)
        with self.lock:
            self.calls[chat].append((now, 200, 0))
        self.accept(telegram_key(chat, message_id), chat, text)
        return 200, {"ok": True, "result": {"message_id": message_id, "chat": {"id": payload.get("chat_id"), "type": "private"}, "text": text}}

    def storm(self, seconds: float, retry_after: int) -> None:
        """Answer every sendMessage with 429 and ``retry_after`` for ``seconds``."""
        self.retry_after = retry_after
        self.storm_until = time.time() + seconds

    def too_many(self) -> int:
        """How many sends were answered 429."""
        with self.lock:
            return sum(1 for calls in self.calls.values() for _, status, _ in calls if status == 429)

    def early(self, slack: float = 0.05) -> int:
        """Sends to a chat made before the ``retry_after`` of a 429 to that chat had run out."""
        early = 0
        with self.lock:
            chats = [sorted(calls) for calls in self.calls.values()]
        for calls in chats:
            not_before = 0.0
            for at, status, retry_after in calls:
                if at < not_before - slack:
                    early += 1
                if status == 429:
                    not_before = max(not_before, at + retry_after)
        return early


class FakeGatewayAPI(FakeAPI):
    """An "SMS Gateway for Android" phone's ``POST /messages`` (basic auth); offline on command.

    Offline, the phone takes the connection and drops it unanswered, as one whose network is gone;
    nothing it was offered then is sent. The id we give a message is the provider id we store.
    """

    def __init__(self, username: str, password: str) -> None:
        self.credentials = (username, password)
        self.offline_until = 0.0
        self.refused = 0
        super().__init__()

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]] | None:
        if time.time() < self.offline_until:
            with self.lock:
                self.refused += 1
            return None
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        user, _, password = base64.b64decode(auth.partition(" ")[2] or b"").decode("utf-8", "replace").partition(":")
        if (user, password) != self.credentials:
            return 401, {"message": "unauthorized"}
        if path.rstrip("/") != "/messages":
            return 201, {}
        payload = json.loads(raw or b"{}")
        numbers = payload.get("phoneNumbers") or [""]
        self.accept(str(payload.get("id")), str(numbers[0]), str((payload.get("textMessage") or {}).get("text") or ""))
        return 202, {"id": payload.get("id"), "state": "Pending", "recipients": [{"phoneNumber": n, "state": "Pending"} for n in numbers]}
