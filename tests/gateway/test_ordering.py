"""Ordering and recovery with real processes: ``shaml serve`` and several ``shaml worker``, on PostgreSQL and Redis.

Cases: ordering holds under concurrent delivery; a killed worker loses no message; after a
restart, pending messages are processed. Every process log is checked for secrets and numbers.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from rq import Queue
from sqlalchemy import func, select

from bot.models import Contact, Message
from tests.fakes.rasa import FakeRasa, Turn
from tests.fakes.twilio import inbound_form, signed_webhook
from tests.gateway.conftest import assert_no_secrets, gateway_env, redis_client

ROOT = Path(__file__).resolve().parents[2]
SHAML = str(ROOT / ".venv" / "bin" / "shaml")
PUBLIC_URL = "http://127.0.0.1:8000"
#: Valid Syrian mobile numbers, one per simulated family.
NUMBERS = [f"+9639441{i:05d}" for i in range(1, 40)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Processes:
    """Starts shaml processes with one environment and keeps their logs for the secret check."""

    def __init__(self, env: dict[str, str], logdir: Path) -> None:
        self.env = {**os.environ, **env}
        self.logdir = logdir
        self.running: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def start(self, *args: str) -> subprocess.Popen:
        """Start ``shaml ARGS`` with its output in a log file."""
        log = self.logdir / f"{args[0]}-{len(self.logs)}.log"
        self.logs.append(log)
        proc = subprocess.Popen([SHAML, *args], env=self.env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT)
        self.running.append(proc)
        return proc

    def serve(self) -> str:
        """Start the web service and return its base URL once /healthz answers."""
        port = _free_port()
        self.start("serve", "--port", str(port))
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return httpx.get(url + "/healthz", timeout=0.5).status_code == 200
            except httpx.HTTPError:
                return False

        _wait(up, 30, "shaml serve to answer")
        return url

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL: no clean-up, exactly like a crash."""
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        """Stop every process still running (only those this test started)."""
        for proc in self.running:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.running:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()

    def text(self) -> str:
        """All process output so far."""
        return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in self.logs if p.exists())


@pytest.fixture
def procs_for(pg_only_url, redis_prefix, fake_twilio, tmp_path) -> Iterator[Callable[..., Processes]]:  # type: ignore[no-untyped-def]
    made: list[Processes] = []

    def make(rasa: FakeRasa, **extra: str) -> Processes:
        # Real processes on PostgreSQL: not demo mode, which refuses a PostgreSQL database (shaml/safety.py).
        env = gateway_env(pg_only_url, redis_prefix, fake_twilio.url, rasa.url, SHAML_PUBLIC_URL=PUBLIC_URL,
                          SHAML_DEMO="false", **extra)
        procs = Processes(env, tmp_path)
        made.append(procs)
        return procs

    yield make
    conn = redis_client()
    for procs in made:
        procs.stop_all()
        text = procs.text()
        assert_no_secrets(text)
        info_lines = [line for line in text.splitlines() if " DEBUG " not in line]
        assert not [line for line in info_lines if any(n in line for n in NUMBERS)], "a phone number reached a log"
    for name in ("inbound", "outbox"):
        Queue(f"{redis_prefix}{name}", connection=conn).delete(delete_jobs=True)
    conn.close()


def _post_all(base: str, plan: dict[str, list[str]]) -> None:
    """Each sender posts its messages one after another; senders post at the same time."""
    errors: list[BaseException] = []

    def sender(number: str, bodies: list[str]) -> None:
        try:
            with httpx.Client(base_url=base, timeout=30) as http:
                for i, body in enumerate(bodies):
                    form = inbound_form(sid=f"SM{number[1:]}x{i:03d}", from_=number, body=body, whatsapp=i % 2 == 0)
                    content, headers = signed_webhook(PUBLIC_URL, "/twilio/inbound", form)
                    response = http.post("/twilio/inbound", content=content, headers=headers)
                    assert response.status_code == 200, response.text
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=sender, args=item) for item in plan.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def _counts(factory) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with factory() as session:
        processed = session.execute(select(func.count()).where(Message.direction == "in", Message.status == "processed")).scalar_one()
        sent = session.execute(select(func.count()).where(Message.direction == "out", Message.status == "accepted")).scalar_one()
        total = session.execute(select(func.count()).select_from(Message)).scalar_one()
    return int(processed), int(sent), int(total)


def _per_contact(factory) -> dict[str, tuple[int, list[str], list[tuple[str, int]]]]:  # type: ignore[no-untyped-def]
    """address -> (contact id, inbound bodies in id order, outbound (body, reply_to) in id order)."""
    out = {}
    with factory() as session:
        for contact in session.execute(select(Contact)).scalars():
            rows = session.execute(select(Message).where(Message.contact_id == contact.id).order_by(Message.id)).scalars().all()
            out.setdefault(contact.address, (contact.id, [], []))
            out[contact.address][1].extend(m.body for m in rows if m.direction == "in")
            out[contact.address][2].extend((m.body, m.reply_to_id) for m in rows if m.direction == "out")
    return out


def _two_replies(delay: tuple[float, float]) -> Callable[[Turn], list[dict]]:
    def respond(turn: Turn) -> list[dict]:
        time.sleep(random.uniform(*delay))
        return [{"recipient_id": turn.sender, "text": f"a:{turn.message}"}, {"recipient_id": turn.sender, "text": f"b:{turn.message}"}]

    return respond


def _dedupe_runs(items: list[str]) -> list[str]:
    """A list without immediate repeats (a turn repeated after a crash is at-least-once, not a reorder)."""
    return [x for i, x in enumerate(items) if i == 0 or items[i - 1] != x]


def _assert_ordered(factory, plan: dict[str, list[str]], rasa: FakeRasa, twilio, *, exact: bool) -> None:  # type: ignore[no-untyped-def]
    per = _per_contact(factory)
    # A contact may exist twice (SMS and WhatsApp are different channels); group by address and channel.
    for number, bodies in plan.items():
        for channel_is_wa in (True, False):
            expected = [b for i, b in enumerate(bodies) if (i % 2 == 0) == channel_is_wa]
            if not expected:
                continue
            with factory() as session:
                contact = session.execute(
                    select(Contact).where(Contact.address == number, Contact.channel == ("whatsapp" if channel_is_wa else "sms"))
                ).scalar_one()
                inbound = session.execute(
                    select(Message).where(Message.contact_id == contact.id, Message.direction == "in").order_by(Message.id)
                ).scalars().all()
                outbound = session.execute(
                    select(Message).where(Message.contact_id == contact.id, Message.direction == "out").order_by(Message.id)
                ).scalars().all()
            assert [m.body for m in inbound] == expected
            assert all(m.status == "processed" for m in inbound)
            turns = rasa.turns_of(str(contact.id))
            assert (turns if exact else _dedupe_runs(turns)) == expected
            want = [f"{p}:{b}" for b in expected for p in ("a", "b")]
            assert [m.body for m in outbound] == want  # replies queued exactly once each, in order
            to = ("whatsapp:" if channel_is_wa else "") + number
            sent = [r.form["Body"] for r in twilio.sent if r.form["To"] == to]
            assert (sent if exact else _dedupe_runs(sent)) == want
    assert per  # something was stored


def test_ordering_holds_under_concurrent_delivery(procs_for, pg_factory, fake_twilio):  # type: ignore[no-untyped-def]
    with FakeRasa(responder=_two_replies((0.0, 0.03))) as rasa:
        procs = procs_for(rasa)
        base = procs.serve()
        for _ in range(3):
            procs.start("worker")
        plan = {n: [f"رسالة {i} من {n[-3:]}" for i in range(8)] for n in NUMBERS[:6]}
        _post_all(base, plan)
        n = sum(len(b) for b in plan.values())
        _wait(lambda: _counts(pg_factory)[:2] == (n, 2 * n), 90, "every message processed and every reply sent")
        _assert_ordered(pg_factory, plan, rasa, fake_twilio, exact=True)


def test_a_killed_worker_loses_no_message(procs_for, pg_factory, fake_twilio):  # type: ignore[no-untyped-def]
    with FakeRasa(responder=_two_replies((0.15, 0.25))) as rasa:
        procs = procs_for(rasa, SHAML_GATEWAY_LOCK_SECONDS="2", SHAML_SWEEP_SECONDS="1")
        base = procs.serve()
        victim = procs.start("worker")
        procs.start("worker")
        plan = {n: [f"msg {i} from {n[-3:]}" for i in range(5)] for n in NUMBERS[10:14]}
        _post_all(base, plan)
        _wait(lambda: len(rasa.turns) >= 4, 60, "the workers to be mid-conversation")
        procs.kill(victim)  # SIGKILL in the middle of a Rasa turn or a send
        n = sum(len(b) for b in plan.values())
        assert _counts(pg_factory)[0] < n  # the kill landed while work was left
        procs.start("worker")  # a replacement, as a supervisor would start
        _wait(lambda: _counts(pg_factory)[:2] == (n, 2 * n), 120, "every message processed after the kill")
        _assert_ordered(pg_factory, plan, rasa, fake_twilio, exact=False)


def test_pending_messages_are_processed_after_a_restart(procs_for, pg_factory, fake_twilio, redis_prefix):  # type: ignore[no-untyped-def]
    with FakeRasa(responder=_two_replies((0.0, 0.0))) as rasa:
        procs = procs_for(rasa)
        base = procs.serve()
        plan = {n: [f"pending {i}" for i in range(3)] for n in NUMBERS[20:23]}
        _post_all(base, plan)  # stored and acknowledged; no worker is running
        assert _counts(pg_factory)[0] == 0
        conn = redis_client()
        for name in ("inbound", "outbox"):  # the wake-ups are lost too, as if Redis had been flushed
            Queue(f"{redis_prefix}{name}", connection=conn).empty()
        conn.close()
        worker = procs.start("worker", "--burst")
        assert worker.wait(timeout=120) == 0
        n = sum(len(b) for b in plan.values())
        assert _counts(pg_factory)[:2] == (n, 2 * n)
        _assert_ordered(pg_factory, plan, rasa, fake_twilio, exact=True)
