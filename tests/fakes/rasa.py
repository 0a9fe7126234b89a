"""A fake Rasa server speaking the signed channel's JSON: records turns, answers by a script, fails on demand."""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.internal_auth import channel_key, check
from tests.fakes._server import FakeServer, QuietHandler


@dataclass
class Turn:
    """One turn the fake received: sender id, text and metadata, in arrival order."""

    sender: str
    message: str
    metadata: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


def echo(turn: Turn) -> list[dict[str, Any]]:
    """Default answer: one reply echoing the text."""
    return [{"recipient_id": turn.sender, "text": f"echo: {turn.message}"}]


class _Handler(QuietHandler):
    fake: FakeRasa

    def do_GET(self) -> None:  # noqa: N802
        if self.path.split("?")[0] == "/status":
            self.fake.status_queries.append(self.path)
            return self.reply(200, json.dumps({"model_file": "models/fake.tar.gz"}).encode())
        self.reply(404, b"{}")

    def do_POST(self) -> None:  # noqa: N802
        fake = self.fake
        if self.path.split("?")[0] != "/webhooks/shaml/webhook":
            return self.reply(404, b"{}")
        fake.paths.append(self.path)
        raw = self.body()
        if fake.token is not None and check(channel_key(fake.token), raw, self.headers):
            fake.refused += 1
            return self.reply(401, b'{"error": "unauthorized"}')
        data = json.loads(raw.decode("utf-8"))
        turn = Turn(sender=str(data["sender"]), message=data["message"], metadata=data.get("metadata") or {})
        with fake.lock:
            failure = fake.failures.popleft() if fake.failures else None
            if failure is None:
                fake.turns.append(turn)
        if fake.delay:
            time.sleep(fake.delay)
        if failure is not None:
            return self.reply(failure, b'{"error": "fake failure"}')
        self.reply(200, json.dumps(fake.responder(turn)).encode())


class FakeRasa(FakeServer):
    """Start with ``with FakeRasa() as rasa:``; point ``SHAML_RASA_URL`` at ``rasa.url``."""

    handler_class = _Handler

    def __init__(self, responder: Callable[[Turn], list[dict[str, Any]]] = echo, delay: float = 0.0,
                 token: str | None = None) -> None:
        super().__init__()
        #: When set, turns must be signed as Rasa's real channel (bot/rasa_channel.py) requires.
        self.token = token
        self.refused = 0
        self.responder = responder
        self.delay = delay
        self.turns: list[Turn] = []
        self.paths: list[str] = []
        self.status_queries: list[str] = []
        self.failures: deque[int] = deque()

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        """The next ``times`` turns answer HTTP ``status`` (and are not recorded as turns)."""
        with self.lock:
            self.failures.extend([status] * times)

    def turns_of(self, sender: str) -> list[str]:
        """The texts one sender sent, in the order they arrived."""
        return [t.message for t in self.turns if t.sender == sender]
