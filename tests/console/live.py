"""A live web service for browser tests: uvicorn on a free port in a thread, and a worker thread that runs
the gateway's real inbound and outbox steps for every contact with due work (no RQ process needed)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

from bot.gateway.context import Gateway
from bot.gateway.jobs import due_contacts
from bot.gateway.outbox import send_pending
from bot.gateway.router import process_contact


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """``with LiveServer(app, gateway) as live:`` serves ``app`` at ``live.url`` and pumps the gateway."""

    def __init__(self, app: Any, gateway: Gateway, *, pump_every: float = 0.2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.gateway = gateway
        self.pump_every = pump_every
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
                                ws="none")
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, daemon=True)
        self._pump = threading.Thread(target=self._pump_loop, daemon=True)
        self._stop = threading.Event()
        self.pump_errors: list[BaseException] = []

    def _pump_loop(self) -> None:
        while not self._stop.is_set():
            try:
                inbound, outbound = due_contacts(self.gateway)
                for contact_id in inbound:
                    process_contact(self.gateway, contact_id)
                for contact_id in set(outbound) | set(inbound):
                    send_pending(self.gateway, contact_id)
            except BaseException as exc:  # noqa: BLE001 - reported by the test after stopping
                self.pump_errors.append(exc)
            self._stop.wait(self.pump_every)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the live server did not start within 15 s")
            time.sleep(0.05)
        self._pump.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._pump.join(timeout=10)
        self.server.should_exit = True
        self._thread.join(timeout=10)
