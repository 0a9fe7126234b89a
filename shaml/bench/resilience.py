"""``shaml bench resilience``: the whole stack under load, faults and abuse; fails on any loss or leak.

Everything runs for real on this machine: a throwaway PostgreSQL database holding the synthetic
sample registry, a private ``redis-server`` (so it can be restarted), the trained Rasa model,
the action server, ``shaml serve`` and three ``shaml worker`` processes, all with the production
defaults, Telegram and an SMS gateway phone configured, and +963 numbers routed to the gateway.
Only the providers' APIs are replaced (shaml/bench/fakes.py: Twilio, the Telegram Bot API and the
gateway phone), each recording every message it is asked to send and failing on command.

Phones are simulated by a load generator that behaves like the providers' webhook clients: each
message has its own id (Twilio's MessageSid, Telegram's update_id, the gateway's event id), a
contact's messages are posted one after another, and a post that gets no 2xx is retried with the
same id for about half a minute.

For every scenario the table gives:

- **sent**: distinct messages the phones sent;
- **processed**: messages the gateway finished (answered, routed to an operator, or flagged);
- **lost**: messages not stored, still unprocessed at the end, or whose replies never reached
  Twilio; **failed**: turns that failed for good and went to an operator. Both must be 0;
- **dup**: replies Twilio was asked to send more often than the outbox holds them (at-least-once
  kinds can be repeated after a crash mid-send; docs/gateway.md);
- **order**: replies that reached a provider before the reply to an earlier message of the same person;
- **p50/p99**: from a phone's first post to the first reply reaching the provider;
- **recover**: from the fault's end to the moment every message sent before it was answered
  (for the burst: from its last acknowledged post).

The sustained-load row is the baseline for the others: the same stack and phones without a fault.
After the run the logs and every table of the database are scanned for the providers' secrets
(Twilio's auth token, the Telegram bot token and webhook secret, the gateway's password and signing
key) and the Rasa token, and the log lines above DEBUG for the phones' numbers.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
import psutil
import psycopg2
from sqlalchemy import bindparam, text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from bot.channels.smsgate import signature
from bot.crypto import blind, open_value
from bot.gateway.outbox import CODE_PLACEHOLDER
from shaml.bench.fakes import FakeAPI, FakeGatewayAPI, FakeTelegramAPI, FakeTwilioAPI, telegram_key
from shaml.bench.gateway import ACCOUNT_SID, inbound_form, throwaway_database
from shaml.commands.resilience import STEPS
from shaml.db import make_engine, session_factory

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "registry.csv"
#: Replies whose delivery the outbox guarantees (bot.gateway.outbox.AT_LEAST_ONCE).
DELIVERED = ("accepted", "sent", "delivered", "read")


# -- the plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Sizes and durations of one run; ``quick`` fits in CI, the full run is what the issue asks."""

    quick: bool
    contacts: int = 200
    rate: float = 20.0  # messages per second in the sustained load
    sustained_seconds: float = 300.0
    burst: int = 2000
    fault_rate: float = 5.0  # messages per second during the fault scenarios
    fault_contacts: int = 50
    fault_before: float = 5.0  # seconds of load before a fault
    fault_after: float = 5.0  # seconds of load after it ends
    redis_down: float = 10.0
    rasa_down: float = 30.0
    twilio_failing: float = 60.0
    gateway_offline: float = 60.0  # the gateway phone takes no sends, under +963 load
    telegram_storm: float = 60.0  # every sendMessage answered 429 …
    telegram_retry_after: int = 10  # … with this retry_after
    replayed: int = 50  # messages posted five times each
    enumeration_names: int = 100
    csv_bytes: int = 1 << 30
    stall_seconds: float = 120.0  # a backlog that stops shrinking this long is reported lost
    drain_cap_seconds: float = 3600.0

    @classmethod
    def make(cls, quick: bool) -> Plan:
        if not quick:
            return cls(quick=False)
        # Every backlog costs time at Rasa's 4-8 turns a second on 2 cores, and a Rasa restart
        # costs its model load (25-50 s) whatever rasa_down is: the quick plan keeps each load
        # small enough that the run stays under five minutes on a slow day, and fewer contacts keep
        # several messages per contact, so the order of their answers is still checked.
        return cls(
            quick=True, contacts=40, fault_contacts=10, sustained_seconds=4.0, burst=80,
            fault_before=1.0, fault_after=1.5, redis_down=3.0, rasa_down=2.0, twilio_failing=5.0,
            gateway_offline=10.0, telegram_storm=8.0, telegram_retry_after=3,
            replayed=30, enumeration_names=6, stall_seconds=60.0, drain_cap_seconds=150.0,
        )


# -- the stack ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _up(url: str, params: dict[str, str] | None = None) -> bool:
    try:
        return httpx.get(url, params=params, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


class Stack:
    """Every Shaml process plus a private Redis, each restartable, logging into ``logdir``."""

    def __init__(self, db_url: str, logdir: Path, echo: Callable[[str], None]) -> None:
        self.db_url = db_url
        self.logdir = logdir
        self.echo = echo
        self.auth_token = secrets.token_hex(16)
        self.rasa_token = secrets.token_urlsafe(24)
        self.telegram_secret, self.smsgate_key = secrets.token_hex(16), secrets.token_hex(16)
        self.telegram_token = f"{secrets.randbelow(9 * 10**9) + 10**9}:{secrets.token_urlsafe(26)}"
        self.smsgate_password = secrets.token_hex(16)
        self.twilio = FakeTwilioAPI()
        self.telegram = FakeTelegramAPI(self.telegram_token)
        self.gateway = FakeGatewayAPI("shaml-bench", self.smsgate_password)
        #: Every provider's fake: what the phones received is the sum of what each accepted.
        self.apis: tuple[FakeAPI, ...] = (self.twilio, self.telegram, self.gateway)
        self.redis_port, self.rasa_port, self.actions_port, self.web_port = (_free_port() for _ in range(4))
        self.web = f"http://127.0.0.1:{self.web_port}"
        self.env = {
            **os.environ,
            "SHAML_DATABASE_URL": db_url,
            "SHAML_REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "SHAML_REDIS_PREFIX": "shaml-resilience:",
            "SHAML_PUBLIC_URL": self.web,
            "SHAML_TWILIO_API_URL": self.twilio.url,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "SHAML_TELEGRAM_BOT_TOKEN": self.telegram_token,
            "SHAML_TELEGRAM_WEBHOOK_SECRET": self.telegram_secret,
            "SHAML_TELEGRAM_API_URL": self.telegram.url,
            "SHAML_SMSGATE_API_URL": self.gateway.url,
            "SHAML_SMSGATE_USERNAME": "shaml-bench",
            "SHAML_SMSGATE_PASSWORD": self.smsgate_password,
            "SHAML_SMSGATE_SIGNING_KEY": self.smsgate_key,
            # One SIM's pace (6 a minute by default) is its own guard, tested in tests/gateway; here the
            # phone carries the bench's load so that what is measured is the outage, not the pace.
            "SHAML_SMSGATE_PER_MINUTE": "100000",
            # Explicit, whatever the default: Syria through the gateway phone, the rest through Twilio.
            "SHAML_SMS_ROUTES": "+963=smsgate,*=twilio",
            "SHAML_RASA_URL": f"http://127.0.0.1:{self.rasa_port}",
            "SHAML_RASA_TOKEN": self.rasa_token,
            "SHAML_ACTIONS_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
            "SHAML_VAR_DIR": str(logdir / "var"),
            "SHAML_LOG_LEVEL": "INFO",
            "SHAML_DEMO": "false",
            "PYTHONUNBUFFERED": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "RASA_TELEMETRY_ENABLED": "false",
        }
        self.procs: dict[str, subprocess.Popen] = {}
        self.validator = RequestValidator(self.auth_token)

    def _start(self, name: str, argv: list[str]) -> None:
        log = (self.logdir / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def start_redis(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed; the bench restarts its own Redis")
        self._start("redis", [binary, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                              "--dir", str(self.logdir)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.redis_port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def start_rasa(self) -> None:
        self._start("rasa", [sys.executable, "-m", "shaml", "rasa", "--host", "127.0.0.1", "--port", str(self.rasa_port)])

    def start_workers(self) -> None:
        for i in range(3):
            self._start(f"worker{i}", [sys.executable, "-m", "shaml", "worker"])

    def start(self) -> None:
        self.start_redis()
        self._start("actions", [sys.executable, "-m", "shaml", "actions", "--port", str(self.actions_port)])
        self.start_rasa()
        self._start("web", [sys.executable, "-m", "shaml", "serve", "--host", "127.0.0.1", "--port", str(self.web_port)])
        self.start_workers()

    def rasa_ready(self) -> bool:
        return _up(f"http://127.0.0.1:{self.rasa_port}/status", {"token": self.rasa_token})

    def wait_ready(self, timeout: float, names: Iterable[str] = ("web", "actions", "rasa")) -> None:
        every = {
            "web": lambda: _up(self.web + "/healthz"),
            "actions": lambda: _up(f"http://127.0.0.1:{self.actions_port}/health"),
            "rasa": self.rasa_ready,
        }
        checks = {name: every[name] for name in names}
        deadline = time.monotonic() + timeout
        while checks:
            for name, check in list(checks.items()):
                if self.procs[name].poll() is not None:
                    raise RuntimeError(f"{name} exited with code {self.procs[name].returncode}; see {self.logdir / (name + '.log')}")
                if check():
                    del checks[name]
            if time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {timeout:.0f} s: {', '.join(checks)}")
            time.sleep(0.5)

    def kill(self, *names: str, sig: int = signal.SIGKILL) -> None:
        for name in names:
            proc = self.procs[name]
            if proc.poll() is None:
                os.killpg(proc.pid, sig)
            proc.wait(timeout=30)

    def worker_names(self) -> list[str]:
        return [n for n in self.procs if n.startswith("worker")]

    def rss_mb(self, name: str) -> float:
        try:
            proc = psutil.Process(self.procs[name].pid)
            return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 1e6
        except psutil.Error:
            return float("nan")

    def stop(self) -> None:
        # Redis last: a worker told to stop finishes its job, and that needs Redis.
        names = [n for n in self.procs if n != "redis"]
        for group in (names, ["redis"] if "redis" in self.procs else []):
            for name in group:
                if self.procs[name].poll() is None:
                    try:
                        os.killpg(self.procs[name].pid, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
            for name in group:
                proc = self.procs[name]
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        for api in self.apis:
            api.stop()

    # -- webhooks --

    def signed(self, form: dict[str, str]) -> tuple[bytes, dict[str, str]]:
        headers = {
            "X-Twilio-Signature": self.validator.compute_signature(self.web + "/twilio/inbound", form),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return urlencode(form).encode(), headers


# -- phones ------------------------------------------------------------------------------------


@dataclass
class Sent:
    """One message as the phone saw it."""

    sid: str
    number: str
    body: str
    seq: int  # position in its contact's conversation
    first: float = 0.0  # time of the first post
    acked: float = 0.0  # time of the 2xx, 0 if none ever came
    posts: int = 0
    last_status: int = 0


#: What the simulated families type: a search conversation, then ordinary follow-ups.
SCRIPT = ("مرحبا", "بدي دور على أخي", "{name}", "{father}", "{mother}", "{year}", "{governorate}", "لا أعرف", "سامر", "أخوه",
          "نعم", "نعم", "شكرا", "في أخبار؟", "كيف بعرف إذا لقيتوه؟")
FIRST = ("وسيم", "باسل", "غياث", "مهند", "طارق", "أيهم", "نزار", "عمار", "فادي", "رضوان")
FAMILY = ("القاسم", "الدروبي", "الشامي", "المصري", "الحوراني", "العكاري", "الزين", "البيطار")
GOVERNORATES = ("حلب", "حمص", "حماة", "درعا", "إدلب", "دمشق", "ريف دمشق", "اللاذقية")


def script_line(contact: int, seq: int) -> str:
    rnd = random.Random(contact)
    line = SCRIPT[seq % len(SCRIPT)]
    return line.format(
        name=f"{rnd.choice(FIRST)} {rnd.choice(FIRST)} {rnd.choice(FAMILY)}", father=rnd.choice(FIRST), mother="سلمى",
        year=str(rnd.randint(1960, 2000)), governorate=rnd.choice(GOVERNORATES),
    )


#: Telegram's update ids, increasing as Telegram's do.
_UPDATE_IDS = itertools.count(900_000_000)
#: Where each provider posts a person's message.
WEBHOOKS = {"twilio": "/twilio/inbound", "telegram": "/telegram/webhook", "smsgate": "/smsgate/webhook"}


class Phones:
    """Simulated people writing through one provider (Twilio, Telegram or the SMS gateway phone):
    signed webhooks to the web service, retried as the providers retry them."""

    RETRY_DELAYS = (0.5, 1, 2, 4, 8, 15)

    def __init__(self, stack: Stack, prefix: str, provider: str = "twilio") -> None:
        self.stack = stack
        self.prefix = prefix  # distinct numbers per scenario
        self.provider = provider
        self.sent: list[Sent] = []

    def number(self, contact: int) -> str:
        """The contact's address: a Syrian mobile number (9 digits after 963), or a Telegram chat id."""
        if self.provider == "telegram":
            return f"5{self.prefix}{contact:05d}"
        return f"+9639{self.prefix}{contact:05d}"

    def _request(self, message: Sent, form: dict[str, str] | None) -> tuple[bytes, dict[str, str]]:
        """The webhook the provider would post for ``message`` (the gateway signs each attempt anew)."""
        if self.provider == "telegram":
            update = {"update_id": int(message.sid.removeprefix("tg-")), "message": {
                "message_id": message.seq + 1, "from": {"id": int(message.number), "is_bot": False, "first_name": "x"},
                "chat": {"id": int(message.number), "type": "private"}, "date": int(message.first), "text": message.body}}
            return json.dumps(update).encode(), {"Content-Type": "application/json",
                                                 "X-Telegram-Bot-Api-Secret-Token": self.stack.telegram_secret}
        if self.provider == "smsgate":
            event = {"deviceId": "bench-phone", "event": "sms:received", "id": message.sid.removeprefix("sg-"),
                     "payload": {"messageId": "1", "message": message.body, "phoneNumber": message.number, "simNumber": 1}}
            body = json.dumps(event, ensure_ascii=False).encode()
            stamp = str(int(time.time()))
            return body, {"Content-Type": "application/json", "X-Signature": signature(self.stack.smsgate_key, body, stamp),
                          "X-Timestamp": stamp}
        return self.stack.signed(form or inbound_form(message.sid, message.number, message.body))

    async def post(self, client: httpx.AsyncClient, message: Sent, form: dict[str, str] | None = None) -> None:
        message.first = message.first or time.time()
        for delay in (*self.RETRY_DELAYS, None):
            message.posts += 1
            content, headers = self._request(message, form)
            try:
                response = await client.post(WEBHOOKS[self.provider], content=content, headers=headers)
                message.last_status = response.status_code
                if response.status_code < 300:
                    message.acked = time.time()
                    return
                if response.status_code < 500:
                    return  # refused for good; Twilio does not retry a 4xx (counted lost if it was ours)
            except httpx.HTTPError:
                message.last_status = 0
            if delay is None:
                return
            await asyncio.sleep(delay)

    def new(self, contact: int, seq: int, body: str | None = None) -> Sent:
        """A new message; its id is the provider id the gateway stores it under."""
        sid = {"twilio": "SM" + uuid.uuid4().hex, "telegram": f"tg-{next(_UPDATE_IDS)}",
               "smsgate": f"sg-bench-{uuid.uuid4().hex[:20]}"}[self.provider]
        message = Sent(sid, self.number(contact), body or script_line(contact, seq), seq)
        self.sent.append(message)
        return message

    async def paced(self, contacts: int, rate: float, seconds: float, on_tick: Callable[[float], None] | None = None) -> None:
        """``contacts`` phones sharing ``rate`` messages per second for ``seconds``; each phone in order."""
        interval = contacts / rate
        start = time.monotonic()
        count = int(seconds * rate)

        async def phone(c: int, client: httpx.AsyncClient) -> None:
            seq = 0
            while True:
                due = start + (c / rate) + seq * interval
                if due - start >= seconds or c + seq * contacts >= count:
                    return
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                await self.post(client, self.new(c, seq))
                seq += 1

        async def ticker() -> None:
            while time.monotonic() - start < seconds:
                if on_tick:
                    await asyncio.get_running_loop().run_in_executor(None, on_tick, time.monotonic() - start)
                await asyncio.sleep(0.2)

        async with self.client() as client:
            await asyncio.gather(*(phone(c, client) for c in range(contacts)), ticker())

    async def burst(self, contacts: int, total: int) -> None:
        """``total`` messages at once from ``contacts`` phones (each phone's own still in order)."""
        per, extra = divmod(total, contacts)

        async def phone(c: int, client: httpx.AsyncClient) -> None:
            for seq in range(per + (1 if c < extra else 0)):
                await self.post(client, self.new(c, seq))

        async with self.client() as client:
            await asyncio.gather(*(phone(c, client) for c in range(contacts)))

    def client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        return httpx.AsyncClient(base_url=self.stack.web, timeout=30, limits=limits)


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Row:
    """One scenario's figures."""

    name: str
    sent: int = 0
    processed: int = 0
    lost: int = 0
    failed: int = 0
    erased: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    recover_s: float | None = None
    per_second: float = float("nan")  # messages finished per second, first post to last answer
    note: str = ""
    lost_examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.failed == 0 and self.out_of_order == 0


#: A verification text as the provider saw it: a six-digit code (bot/reunion/texts.py).
_CODE_TEXT = re.compile(r"(?<!\d)\d{6}(?!\d)")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _opened(value: str | None) -> str | None:
    """A sealed value read with plain SQL, opened (docs/privacy.md)."""
    return None if value is None else open_value(value)


def sent_as(provider_id: str | None, address: str | None) -> str | None:
    """The key a provider's fake holds a send under, from the provider id we stored: the same id,
    but for Telegram, whose stored id leaves the chat out (shaml.bench.fakes.telegram_key)."""
    if provider_id and provider_id.startswith("tg-out-"):
        return telegram_key(str(address), provider_id.rsplit("-", 1)[1])
    return provider_id


class Ledger:
    """Reads what became of a scenario's messages from the database and the providers' fakes."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.engine = make_engine(stack.db_url)

    def _inbound(self, sids: list[str]) -> dict[str, tuple]:
        rows: dict[str, tuple] = {}
        query = text(
            "SELECT provider_id, id, status, route, extract(epoch FROM updated_at) FROM messages "
            "WHERE direction = 'in' AND provider_id IN :sids"
        ).bindparams(bindparam("sids", expanding=True))
        with self.engine.connect() as conn:
            for chunk in range(0, len(sids), 2000):
                for row in conn.execute(query, {"sids": sids[chunk:chunk + 2000]}):
                    rows[row[0]] = tuple(row[1:])
        return rows

    def _handed_over(self) -> Counter:
        """(number, text) of every outbound message a provider took, replies or not (a code, a consent
        question, a notice the worker starts has no message it answers)."""
        query = text("SELECT o.body, c.address FROM messages o JOIN contacts c ON c.id = o.contact_id "
                     "WHERE o.direction = 'out' AND o.status IN :delivered").bindparams(bindparam("delivered", expanding=True))
        with self.engine.connect() as conn:
            return Counter((_opened(address), _opened(body)) for body, address in conn.execute(query, {"delivered": list(DELIVERED)}))

    def _replies(self, ids: list[int]) -> list[tuple]:
        query = text(
            "SELECT o.id, o.reply_to_id, o.status, o.kind, o.provider_id, o.body, c.address FROM messages o "
            "JOIN contacts c ON c.id = o.contact_id WHERE o.direction = 'out' AND o.reply_to_id IN :ids ORDER BY o.id"
        ).bindparams(bindparam("ids", expanding=True))
        out: list[tuple] = []
        with self.engine.connect() as conn:
            for chunk in range(0, len(ids), 2000):
                if ids[chunk:chunk + 2000]:
                    # body and address are sealed at rest (docs/privacy.md): opened here to compare them
                    out.extend((*r[:5], _opened(r[5]), _opened(r[6])) for r in conn.execute(query, {"ids": ids[chunk:chunk + 2000]}))
        return out

    def pending(self, sent: list[Sent]) -> int:
        """Messages not yet finished: unstored, unprocessed, or with a reply still to send."""
        from bot.contacts import address_hash

        acked = [m for m in sent if m.acked]
        inbound = self._inbound([m.sid for m in acked])
        erased = self._erased()
        unfinished = sum(1 for m in acked if (m.sid not in inbound and address_hash(m.number) not in erased)
                         or (m.sid in inbound and inbound[m.sid][1] == "received"))
        replies = self._replies([row[0] for row in inbound.values()])
        unfinished += sum(1 for r in replies if r[2] in ("queued", "sending"))
        return unfinished

    def drain(self, sent: list[Sent], stall: float, cap: float) -> None:
        """Wait until every message is finished. A backlog still shrinking is waited for (up to
        ``cap`` s); one that has not shrunk for ``stall`` s is what the row then reports as lost."""
        started = progress = time.monotonic()
        best = self.pending(sent)
        while best and time.monotonic() - progress < stall and time.monotonic() - started < cap:
            time.sleep(0.5)
            left = self.pending(sent)
            if left < best:
                best, progress = left, time.monotonic()

    def waiting(self, provider: str) -> int:
        """Outbound messages on ``provider`` still to be sent."""
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM messages WHERE direction = 'out' AND provider = :p "
                                         "AND status IN ('queued', 'sending')"), {"p": provider}).scalar_one())

    def _erased(self) -> set[str]:
        """Hashes of the numbers whose data was erased at their own confirmed request."""
        with self.engine.connect() as conn:
            details = conn.execute(text("SELECT detail FROM audit_events WHERE action = 'delete_data'")).scalars().all()
        return {str((d if isinstance(d, dict) else json.loads(d)).get("address")) for d in details if d}

    def measure(self, name: str, sent: list[Sent], *, cleared: float | None = None, note: str = "") -> Row:
        from bot.contacts import address_hash

        row = Row(name, sent=len(sent), note=note)
        inbound = self._inbound([m.sid for m in sent])
        erased = self._erased()
        erased_numbers = {m.number for m in sent if address_hash(m.number) in erased}
        by_id = {v[0]: sid for sid, v in inbound.items()}
        # each reply with the key its provider's fake holds it under
        replies = [(*r[:4], sent_as(r[4], r[6]), *r[5:]) for r in self._replies(list(by_id))]
        accepted = [d for api in self.stack.apis for d in api.snapshot()]
        deliveries = {d.sid: d for d in accepted}
        replies_of: dict[str, list[tuple]] = defaultdict(list)
        for r in replies:
            replies_of[by_id[r[1]]].append(r)
        latencies, finished_at = [], {}
        for m in sent:
            stored = inbound.get(m.sid)
            if stored is None and m.number in erased_numbers:
                row.erased += 1  # deleted with the rest of that person's data, at their request
                continue
            if stored is None or stored[1] == "received":
                row.lost += 1
                row.lost_examples.append(f"{m.sid}: {'never stored (last HTTP ' + str(m.last_status) + ')' if stored is None else 'still unprocessed'}")
                continue
            if stored[1] == "failed":
                row.failed += 1
                continue
            undelivered = [r for r in replies_of[m.sid] if r[2] not in DELIVERED or r[4] not in deliveries]
            if any(r[3] in ("reply", "operator", "consent", "disclosure", "verification") for r in undelivered):
                row.lost += 1
                row.lost_examples.append(f"{m.sid}: a reply was never sent ({undelivered[0][2]})")
                continue
            row.processed += 1
            arrivals = [deliveries[r[4]].at for r in replies_of[m.sid] if r[4] in deliveries]
            if arrivals:
                latencies.append((min(arrivals) - m.first) * 1000)
                finished_at[m.sid] = max(arrivals)
            else:
                finished_at[m.sid] = float(stored[3])
        row.p50_ms, row.p99_ms = _pct(latencies, 0.5), _pct(latencies, 0.99)
        if finished_at:
            span = max(finished_at.values()) - min(m.first for m in sent if m.first)
            row.per_second = row.processed / span if span > 0 else float("nan")
        # A provider asked to send a (recipient, text) more often than the outbox holds it: a duplicate.
        numbers = {m.number for m in sent} - erased_numbers  # an erasure deletes the outbox rows too
        asked = Counter((d.to, d.body) for d in accepted if d.to in numbers)
        held = self._handed_over()
        # A sent verification code's text is scrubbed from the outbox (CODE_PLACEHOLDER): each such row
        # stands for one text the provider was asked to send to that number, whatever the code was.
        scrubbed = Counter({to: n for (to, body), n in held.items() if body == CODE_PLACEHOLDER})
        row.duplicates = 0
        for (to, body), n in asked.items():
            extra = max(0, n - held[(to, body)])
            credit = min(extra, scrubbed[to]) if _CODE_TEXT.search(body) else 0
            scrubbed[to] -= credit
            row.duplicates += extra - credit
        # In order: a contact's replies reach the provider in the order of the messages they answer.
        seq_of = {m.sid: m.seq for m in sent}
        per_contact: dict[str, list[tuple[float, int]]] = defaultdict(list)
        for sid, rs in replies_of.items():
            for r in rs:
                if r[4] in deliveries:
                    per_contact[r[6]].append((deliveries[r[4]].at, seq_of[sid]))
        for arrivals in per_contact.values():
            seqs = [s for _, s in sorted(arrivals)]
            row.out_of_order += sum(1 for a, b in zip(seqs, seqs[1:], strict=False) if b < a)
        if cleared is not None:
            before = [finished_at[m.sid] for m in sent if m.first <= cleared and m.sid in finished_at]
            row.recover_s = max(0.0, max(before, default=cleared) - cleared)
        return row

    def dispose(self) -> None:
        self.engine.dispose()


# -- scenarios ---------------------------------------------------------------------------------


class Run:
    """One resilience run: the stack, the plan, the rows of figures and the abuse checks."""

    def __init__(self, stack: Stack, plan: Plan, echo: Callable[[str], None]) -> None:
        self.stack = stack
        self.plan = plan
        self.echo = echo
        self.ledger = Ledger(stack)
        self.rows: list[Row] = []
        self.checks: list[tuple[str, bool, str]] = []
        self.numbers: set[str] = set()
        self.typed: set[str] = set()  # what the families typed that no other text would contain
        self._prefix = 10

    def phones(self, provider: str = "twilio") -> Phones:
        self._prefix += 1
        return Phones(self.stack, f"4{self._prefix % 100:02d}", provider)

    def finish(self, name: str, phones: Phones, *, cleared: float | None = None, note: str = "") -> Row:
        self.ledger.drain(phones.sent, self.plan.stall_seconds, self.plan.drain_cap_seconds)
        row = self.ledger.measure(name, phones.sent, cleared=cleared, note=note)
        self.numbers.update(m.number for m in phones.sent)
        self.typed.update(m.body for m in phones.sent if len(m.body) >= 10 and " " in m.body)
        self.rows.append(row)
        self.echo(f"  {name}: sent {row.sent}, processed {row.processed}, lost {row.lost}, failed {row.failed}, "
                  f"dup {row.duplicates}, p50 {row.p50_ms:.0f} ms, p99 {row.p99_ms:.0f} ms"
                  + (f", recovered in {row.recover_s:.1f} s" if row.recover_s is not None else "") + (f" ({note})" if note else ""))
        for example in row.lost_examples[:3]:
            self.echo(f"    lost: {example}")
        return row

    def sustained(self) -> None:
        p = self.plan
        phones = self.phones()
        asyncio.run(phones.paced(p.contacts, p.rate, p.sustained_seconds))
        self.finish(f"sustained {p.rate:.0f}/s for {p.sustained_seconds:.0f} s, {p.contacts} contacts", phones)

    def burst(self) -> None:
        phones = self.phones()
        asyncio.run(phones.burst(self.plan.contacts, self.plan.burst))
        cleared = max((m.acked for m in phones.sent), default=time.time())
        self.finish(f"burst of {self.plan.burst}", phones, cleared=cleared)

    def with_fault(self, name: str, duration: float, begin: Callable[[], None], end: Callable[[], str | None],
                   phones: Phones | None = None) -> Row:
        """Load at ``fault_rate`` (Twilio's phones unless ``phones`` are given); ``begin`` the fault
        after ``fault_before`` s, ``end`` it ``duration`` s later."""
        p = self.plan
        phones = phones or self.phones()
        state: dict[str, object] = {"phase": 0, "note": ""}

        def tick(elapsed: float) -> None:
            if state["phase"] == 0 and elapsed >= p.fault_before:
                state["phase"] = 1
                begin()
                state["began"] = time.monotonic()
            if state["phase"] == 1 and time.monotonic() - float(state["began"]) >= duration:  # type: ignore[arg-type]
                state["phase"] = 2
                state["note"] = end() or ""
                state["cleared"] = time.time()

        asyncio.run(phones.paced(p.fault_contacts, p.fault_rate, p.fault_before + duration + p.fault_after, tick))
        if state["phase"] == 1:
            state["note"] = end() or ""
            state["cleared"] = time.time()
        return self.finish(name, phones, cleared=float(state.get("cleared", time.time())), note=str(state["note"]))  # type: ignore[arg-type]

    def kill_workers(self) -> None:
        stack = self.stack

        def begin() -> None:
            stack.twilio.delay = 0.3  # sends take a while, so the kill lands mid-send
            deadline = time.monotonic() + 10
            while stack.twilio.in_flight == 0 and time.monotonic() < deadline:
                time.sleep(0.005)
            self._mid_send = stack.twilio.in_flight
            stack.kill(*stack.worker_names())

        def end() -> str:
            stack.twilio.delay = 0.0
            stack.start_workers()
            return f"all 3 workers SIGKILLed with {self._mid_send} sends in flight, restarted after 3 s"

        self.with_fault("kill the workers mid-send", 3.0, begin, end)

    def restart_redis(self) -> None:
        stack = self.stack
        self.with_fault(f"Redis down {self.plan.redis_down:.0f} s (restart, no persistence)", self.plan.redis_down,
                        lambda: stack.kill("redis"), lambda: stack.start_redis() or "every key lost")

    def drop_postgres(self) -> None:
        admin = make_url(self.stack.db_url)
        name = admin.database
        dropped = []

        def terminate() -> None:
            conn = psycopg2.connect(host=admin.host, port=admin.port or 5432, user=admin.username, password=admin.password, dbname="postgres")
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
                dropped.append(cur.fetchone()[0])
            conn.close()

        def begin() -> None:
            terminate()

        def end() -> str:
            terminate()
            terminate()
            return f"all connections terminated 3 times ({', '.join(map(str, dropped))})"

        self.with_fault("PostgreSQL connections dropped", 2.0, begin, end)

    def stop_rasa(self) -> None:
        stack = self.stack

        def end() -> str:
            started = time.monotonic()
            stack.start_rasa()
            while not stack.rasa_ready() and time.monotonic() - started < 300:
                time.sleep(0.2)
            return f"Rasa restarted; its model was loaded {time.monotonic() - started:.0f} s later"

        self.with_fault(f"Rasa stopped {self.plan.rasa_down:.0f} s + its restart", self.plan.rasa_down, lambda: stack.kill("rasa", sig=signal.SIGTERM), end)

    def twilio_500s(self) -> None:
        twilio = self.stack.twilio
        before = twilio.refused

        def begin() -> None:
            twilio.fail_until = time.time() + self.plan.twilio_failing

        def end() -> str:
            twilio.fail_until = 0.0
            return f"{twilio.refused - before} sends answered 500"

        self.with_fault(f"Twilio answers 500 for {self.plan.twilio_failing:.0f} s", self.plan.twilio_failing, begin, end)

    def _shortened(self, full: float) -> str:
        return f" (quick; {full:.0f} s full)" if self.plan.quick else ""

    def gateway_offline(self) -> None:
        """+963 people text the gateway phone's SIM while the phone takes no sends: their replies wait, then all go, in order."""
        gateway, seconds = self.stack.gateway, self.plan.gateway_offline
        before = gateway.refused
        held: list[int] = []

        def begin() -> None:
            gateway.offline_until = time.time() + 3600

        def end() -> str:
            held.append(self.ledger.waiting("smsgate"))
            gateway.offline_until = 0.0
            return (f"{gateway.refused - before} sends dropped unanswered; {held[0]} replies waiting when it came back; "
                    f"SIM pace lifted for the bench")

        name = f"gateway phone offline {seconds:.0f} s{self._shortened(Plan.gateway_offline)}"
        row = self.with_fault(name, seconds, begin, end, phones=self.phones("smsgate"))
        self.check("gateway phone offline: replies waited, none lost", gateway.refused > before and row.ok and row.duplicates == 0,
                   f"{gateway.refused - before} sends offered to the offline phone; lost {row.lost}, failed {row.failed}, "
                   f"dup {row.duplicates}, out of order {row.out_of_order}; all sent {row.recover_s or 0:.1f} s after it came back")

    def telegram_429(self) -> None:
        """Telegram users write while the Bot API answers every send 429 with retry_after: nothing is sent early, lost or doubled."""
        telegram, seconds, wait = self.stack.telegram, self.plan.telegram_storm, self.plan.telegram_retry_after
        before = telegram.too_many()

        def begin() -> None:
            telegram.storm(3600, wait)

        def end() -> str:
            telegram.storm_until = 0.0
            return f"{telegram.too_many() - before} sends answered 429 (retry_after {wait} s)"

        name = f"Telegram 429s {seconds:.0f} s, retry_after {wait} s{self._shortened(Plan.telegram_storm)}"
        row = self.with_fault(name, seconds, begin, end, phones=self.phones("telegram"))
        early, storm = telegram.early(), telegram.too_many() - before
        self.check("Telegram 429: retry_after honoured, none lost", storm > 0 and early == 0 and row.ok and row.duplicates == 0,
                   f"{storm} sends answered 429, {early} sends to a chat before its retry_after ran out; lost {row.lost}, "
                   f"failed {row.failed}, dup {row.duplicates}, out of order {row.out_of_order}")

    # -- abuse --

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append((name, ok, detail))
        self.echo(f"  {'PASS' if ok else 'FAIL'} {name}: {detail}")

    def forged(self) -> None:
        phones = self.phones()
        other = RequestValidator(secrets.token_hex(16))
        attempts: list[tuple[str, bytes, dict[str, str]]] = []
        for i in range(90):
            m = phones.new(i, 0, "مرحبا")
            form = inbound_form(m.sid, m.number, m.body)
            body = urlencode(form).encode()
            kind = i % 3
            if kind == 0:
                headers = {"Content-Type": "application/x-www-form-urlencoded"}
            elif kind == 1:
                headers = {"Content-Type": "application/x-www-form-urlencoded",
                           "X-Twilio-Signature": other.compute_signature(self.stack.web + "/twilio/inbound", form)}
            else:  # signed, then the body changed on the way
                _, headers = self.stack.signed(form)
                body = urlencode({**form, "Body": "رسالة مزورة"}).encode()
            attempts.append((m.sid, body, headers))
        statuses = Counter(httpx.post(self.stack.web + "/twilio/inbound", content=b, headers=h, timeout=10).status_code
                           for _, b, h in attempts)
        stored = len(self.ledger._inbound([sid for sid, _, _ in attempts]))
        self.check("forged signatures", stored == 0 and set(statuses) == {403},
                   f"{len(attempts)} posts (unsigned, wrong key, altered body): HTTP {dict(statuses)}, {stored} stored")

    def forged_channels(self) -> None:
        """Forged and replayed Telegram updates and SMS gateway events: forged ones store nothing,
        a replayed one is stored once."""
        web, n = self.stack.web, self.plan.replayed
        token = secrets.token_hex(4)

        def update(i: int) -> bytes:
            return json.dumps({"update_id": 700_000_000 + i, "message": {
                "message_id": i, "from": {"id": 800_000 + i, "is_bot": False, "first_name": "x"},
                "chat": {"id": 800_000 + i, "type": "private"}, "date": int(time.time()), "text": "مرحبا"}}).encode()

        def event(i: int, kind: str = "sms:received") -> bytes:
            return json.dumps({"deviceId": "resilience", "event": kind, "id": f"res-{token}-{i}",
                               "payload": {"messageId": "1", "message": "1", "phoneNumber": f"+9639447{i:05d}"}}).encode()

        def gate_headers(body: bytes, key: str, at: float) -> dict[str, str]:
            stamp = str(int(at))
            return {"Content-Type": "application/json", "X-Signature": signature(key, body, stamp), "X-Timestamp": stamp}

        forged: list[tuple[str, bytes, dict[str, str]]] = []
        for i in range(n):
            forged.append(("/telegram/webhook", update(i), {"Content-Type": "application/json"}))
            forged.append(("/telegram/webhook", update(i), {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "guess"}))
            forged.append(("/smsgate/webhook", event(i), {"Content-Type": "application/json"}))
            forged.append(("/smsgate/webhook", event(i), gate_headers(event(i), secrets.token_hex(16), time.time())))
            forged.append(("/smsgate/webhook", event(i), gate_headers(event(i), self.stack.smsgate_key, time.time() - 600)))
            altered = gate_headers(event(i), self.stack.smsgate_key, time.time())
            forged.append(("/smsgate/webhook", event(i).replace(b"+9639447", b"+9639448"), altered))
        statuses = Counter(httpx.post(web + path, content=b, headers=h, timeout=10).status_code for path, b, h in forged)
        ids = [f"tg-{700_000_000 + i}" for i in range(n)] + [f"sg-res-{token}-{i}" for i in range(n)]
        stored = len(self.ledger._inbound(ids))
        self.check("forged Telegram and SMS gateway webhooks", stored == 0 and set(statuses) == {403},
                   f"{len(forged)} posts (no or wrong secret; unsigned, wrong key, stale, altered): HTTP {dict(statuses)}, {stored} stored")

        async def replay() -> Counter:
            async with httpx.AsyncClient(timeout=30) as client:
                posts = [client.post(web + "/telegram/webhook", content=update(i),
                                     headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": self.stack.telegram_secret})
                         for i in range(n) for _ in range(3)]
                posts += [client.post(web + "/smsgate/webhook", content=event(i), headers=gate_headers(event(i), self.stack.smsgate_key, time.time()))
                          for i in range(n) for _ in range(3)]
                return Counter(r.status_code for r in await asyncio.gather(*posts))

        replayed = asyncio.run(replay())
        stored = len(self.ledger._inbound(ids))
        self.check("replayed Telegram updates and gateway events", stored == 2 * n and set(replayed) == {200},
                   f"{2 * n} updates and events posted 3 times each: HTTP {dict(replayed)}, {stored} stored (expected {2 * n})")

    def replayed(self) -> None:
        phones = self.phones()

        async def go() -> None:
            async with phones.client() as client:
                messages = [phones.new(c, 0, "مرحبا") for c in range(self.plan.replayed)]
                # Twilio's retries and an attacker's replays: the same signed form, concurrently and later.
                await asyncio.gather(*(phones.post(client, m) for m in messages for _ in range(3)))
                await asyncio.sleep(1.0)
                await asyncio.gather(*(phones.post(client, m) for m in messages for _ in range(2)))

        asyncio.run(go())
        unique = {m.sid: m for m in phones.sent}
        posts = sum(m.posts for m in phones.sent)
        phones.sent = list(unique.values())
        self.finish("replayed webhooks (each 5 times)", phones, note=f"{posts} posts")

    def enumeration(self) -> None:
        """One contact types search after search for names from the registry, at machine speed."""
        phones = self.phones()
        with self.ledger.engine.connect() as conn:
            people = conn.execute(text(
                "SELECT full_name, father_name, mother_name, birth_year, governorate FROM registry_records "
                "WHERE father_name IS NOT NULL AND birth_year IS NOT NULL ORDER BY id LIMIT :n"), {"n": self.plan.enumeration_names}).all()
        turns = 0

        async def go() -> None:
            nonlocal turns
            async with phones.client() as client:
                for person in people:
                    for line in ("بدي دور على أخي", person[0], person[1], person[2] or "لا أعرف", str(person[3]), person[4] or "حلب",
                                 "لا أعرف", "سامر", "أخوه", "نعم", "نعم"):
                        message = phones.new(0, turns, line)
                        await phones.post(client, message)
                        turns += 1
                        await asyncio.get_running_loop().run_in_executor(None, self._processed, message.sid)

        asyncio.run(go())
        self.finish(f"enumeration: one contact, {len(people)} names", phones, note=f"{turns} turns")
        number = phones.number(0)
        with self.ledger.engine.connect() as conn:
            contact = conn.execute(text("SELECT id FROM contacts WHERE address_bidx = :a"), {"a": blind("address", number)}).scalar_one()
            searches = conn.execute(text("SELECT count(*) FROM search_requests WHERE contact_id = :c"), {"c": contact}).scalar_one()
            disclosed = conn.execute(text(
                "SELECT count(*) FROM messages WHERE contact_id = :c AND direction = 'out' AND kind IN ('disclosure', 'consent')"), {"c": contact}).scalar_one()
            audited = conn.execute(text("SELECT count(*) FROM audit_events WHERE action LIKE 'disclos%%' AND detail::text LIKE :c"),
                                   {"c": f"%{contact}%"}).scalar_one()
            reasons = conn.execute(text("SELECT reason FROM escalations WHERE contact_id = :c"), {"c": contact}).scalars().all()
            bodies = [_opened(b) for b in conn.execute(
                text("SELECT body FROM messages WHERE contact_id = :c AND direction = 'out'"), {"c": contact}).scalars()]
        typed = {str(v) for p in people for v in p if v}
        leaked = [b for b in bodies if any(str(p[3]) in (b or "") and str(p[3]) not in typed for p in people)]
        limit = int(self.stack.env.get("SHAML_SEARCH_LIMIT_PER_DAY", "5"))
        ok = searches <= limit and disclosed == 0 and audited == 0 and not leaked and ("enumeration" in reasons or searches < len(people))
        self.check("enumeration refused, nothing disclosed", ok,
                   f"{len(people)} names in {turns} turns: {searches} searches opened (limit {limit}), {disclosed} disclosures, "
                   f"{audited} audited disclosures, escalations {sorted(set(reasons))}")

    def prober(self) -> None:
        """Name-only searches from several numbers: the same reply whatever the registry holds (shaml/bench/trust.py)."""
        from shaml.bench.trust import prober

        prober(self)

    def fake_survivor(self) -> None:
        """One phone registering many names: caps, holds and what it was told (shaml/bench/trust.py)."""
        from shaml.bench.trust import fake_survivor

        fake_survivor(self)

    def _processed(self, sid: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            stored = self.ledger._inbound([sid]).get(sid)
            if stored is not None and stored[1] != "received":
                return
            time.sleep(0.05)

    def hostile_bodies(self) -> None:
        web = self.stack.web + "/twilio/inbound"
        before = self.stack.rss_mb("web")
        m = inbound_form("SM" + uuid.uuid4().hex, "+963944999001", "مرحبا")
        signed_body, signed_headers = self.stack.signed(m)
        huge = b"Body=" + b"A" * (20 << 20)

        def chunks() -> Iterator[bytes]:
            for _ in range(20):
                yield b"B" * (1 << 20)

        cases: list[tuple[str, dict]] = [
            ("20 MiB body with Content-Length", {"content": huge, "headers": {"Content-Type": "application/x-www-form-urlencoded"}}),
            ("20 MiB chunked body", {"content": chunks(), "headers": {"Content-Type": "application/x-www-form-urlencoded"}}),
            ("invalid UTF-8", {"content": signed_body.replace(b"Body=", b"Body=%FF%FE\xff"), "headers": signed_headers}),
            ("JSON instead of a form", {"content": json.dumps(m).encode(), "headers": {**signed_headers, "Content-Type": "application/json"}}),
            ("broken percent-encoding", {"content": b"From=%ZZ&Body=%&MessageSid=%E0%A4%A", "headers": signed_headers}),
            ("no fields at all", {"content": b"", "headers": signed_headers}),
            ("NUL bytes", {"content": signed_body + b"%00\x00\x00", "headers": signed_headers}),
        ]
        results = []
        for label, kwargs in cases:
            try:
                status = httpx.post(web, timeout=30, **kwargs).status_code
            except httpx.HTTPError as exc:
                status = -1
                label += f" ({type(exc).__name__})"
            results.append((label, status))
        healthy = _up(self.stack.web + "/healthz")
        grew = self.stack.rss_mb("web") - before
        stored = len(self.ledger._inbound([m["MessageSid"]]))
        # Refusing a huge body may mean closing the connection while the client is still writing.
        bad = [(label, s) for label, s in results if s >= 500 or s == 200 or (s == -1 and "20 MiB" not in label)]
        self.check("huge and malformed bodies", not bad and healthy and stored == 0 and grew < 100,
                   "; ".join(f"{label}: {s}" for label, s in results) + f"; web RSS {grew:+.0f} MB; healthy {healthy}; {stored} stored")

    def hostile_csv(self, workdir: Path) -> None:
        path = workdir / "hostile.csv"
        good = [
            ("H1", "=cmd|' /C calc'!A0", "أحمد", "فاطمة", "1980", "حلب"),
            ("H2", "+1+1 خالد العلي", "محمود", "نجوى", "1975", "حمص"),
            ("H3", "@SUM(A1:A9) سامي", "يوسف", "", "1990", "درعا"),
            ("H4", "-2+3 رامي الحسن", "حسن", "هدى", "1985", "إدلب"),
        ]
        last = ("H5", "سعيد محمد الأخير", "محمد", "سلمى", "1970", "حماة")
        with path.open("wb") as f:
            f.write(b"record_id,full_name,father_name,mother_name,birth_year,governorate\n")
            for row in good:
                f.write((",".join(f'"{c}"' for c in row) + "\n").encode())
            f.write(b"H9," + "سطر بترميز خاطئ ".encode() + "أحمد".encode("cp1256") + b",x,y,1980,\xff\xfe\n")
            block = (b"Z" * 1023 + b",") * 1024  # one line of a million columns, about 1 GB
            written = path.stat().st_size
            while written < self.plan.csv_bytes:
                f.write(block)
                written += len(block)
            f.write(b"\n")
            f.write((",".join(f'"{c}"' for c in last) + "\n").encode())
        size = path.stat().st_size
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "shaml", "import", str(path), "--source", "hostile"], env=self.stack.env,
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        peak = 0.0
        ps = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                peak = max(peak, ps.memory_info().rss / 1e6)
            except psutil.Error:
                break
            time.sleep(0.05)
        output = (proc.stdout.read() if proc.stdout else b"").decode("utf-8", "replace")
        seconds = time.monotonic() - started
        path.unlink()
        with self.ledger.engine.connect() as conn:
            names = set(conn.execute(text("SELECT full_name FROM registry_records WHERE source = 'hostile'")).scalars())
        literal = all(row[1] in names for row in good) and last[1] in names
        ok = "Traceback" not in output and peak < 400 and literal
        self.check("hostile CSV import", ok,
                   f"{size / 2**30:.2f} GiB file streamed in {seconds:.0f} s, peak RSS {peak:.0f} MB, exit {proc.returncode}; "
                   f"{len(names)} rows imported (formula cells kept as text: {literal}); bad lines reported")
        (self.stack.logdir / "hostile-import.txt").write_text(output, encoding="utf-8")

    # -- privacy --

    def privacy(self) -> None:
        stack = self.stack
        secrets_ = {"Twilio auth token": stack.auth_token, "Rasa token": stack.rasa_token, "Telegram bot token": stack.telegram_token,
                    "Telegram webhook secret": stack.telegram_secret, "gateway password": stack.smsgate_password,
                    "gateway signing key": stack.smsgate_key}
        logs = {p.name: p.read_text(encoding="utf-8", errors="replace") for p in self.stack.logdir.glob("*.log")}
        in_logs = [f"{what} in {name}" for name, body in logs.items() for what, value in secrets_.items() if value in body]
        digits = {n.lstrip("+") for n in self.numbers}
        phone_lines = []
        for name, body in logs.items():
            for line in info_lines(body):
                if any(d in line for d in digits) or re.search(r"\+?9639\d{8}", line):
                    phone_lines.append(f"{name}: {line[:160]}")
        typed_lines = []
        # as typed, and as a JSON log line writes it (structlog escapes non-ASCII)
        typed = self.typed | {json.dumps(t)[1:-1] for t in self.typed}
        for name, body in logs.items():  # every line: the stack runs at INFO, so a debug line is a leak too
            for line in body.splitlines():
                hit = next((t for t in typed if t in line), None)
                if hit is not None:
                    typed_lines.append(f"{name}: {len(hit)} typed characters")
        in_db = []
        with self.ledger.engine.connect() as conn:
            tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
            for table in tables:
                for what, value in secrets_.items():
                    hit = conn.execute(text(f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE :v'), {"v": f"%{value}%"}).scalar_one()
                    if hit:
                        in_db.append(f"{what} in {table} ({hit} rows)")
        lines = sum(len(b.splitlines()) for b in logs.values())
        self.check("no secret in logs or database", not in_logs and not in_db,
                   f"{len(logs)} logs ({lines} lines) and {len(tables)} tables scanned" + (": " + "; ".join(in_logs + in_db) if in_logs or in_db else ""))
        self.check("no phone number in a log line above DEBUG", not phone_lines,
                   f"{len(digits)} numbers looked for" + (": " + " | ".join(phone_lines[:3]) if phone_lines else ""))
        # Names of the missing and their mothers, a survivor's story: what people type stays in
        # the database and out of the logs (Rasa's own debug events included, see shaml rasa).
        self.check("no message text in any log", not typed_lines,
                   f"{len(self.typed)} texts looked for" + (": " + " | ".join(typed_lines[:3]) if typed_lines else ""))
        self.leaked_dump()

    def leaked_dump(self) -> None:
        """As a leaked dump would be read: every table and every Redis key, for numbers and typed text,
        plain, JSON-escaped or in base64 (docs/privacy.md)."""
        import redis as redis_client

        from shaml.privacy_scan import needles, scan_database, scan_redis

        wanted = needles({"phone number": sorted(self.numbers), "typed text": sorted(self.typed)})
        # The registry of imported released lists is plain by design (the matcher searches it; see
        # docs/privacy.md); the fake survivor and the prober type names copied from it.
        tables, in_db = scan_database(self.ledger.engine, wanted, skip=("registry_records",))
        client = redis_client.Redis.from_url(self.stack.env["SHAML_REDIS_URL"])
        try:
            keys, in_redis = scan_redis(client, ["*"], wanted)
        finally:
            client.close()
        found = [f"{f.what} ({f.form}) in {f.place}" for f in in_db + in_redis]
        self.check("no number or typed text readable in the database or Redis", not found,
                   f"{len(self.numbers)} numbers and {len(self.typed)} texts in {len(wanted)} forms looked for in "
                   f"{tables} tables and {keys} Redis keys" + (": " + "; ".join(sorted(set(found))[:4]) if found else ""))

    # -- the report --

    def table(self) -> list[str]:
        head = f"{'scenario':54} {'sent':>6} {'processed':>9} {'lost':>5} {'failed':>6} {'erased':>6} {'dup':>4} {'order':>5} {'p50 ms':>8} {'p99 ms':>8} {'recover s':>9} {'done/s':>6}"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            recover = f"{r.recover_s:9.1f}" if r.recover_s is not None else f"{'—':>9}"
            lines.append(f"{r.name[:54]:54} {r.sent:6d} {r.processed:9d} {r.lost:5d} {r.failed:6d} {r.erased:6d} {r.duplicates:4d} {r.out_of_order:5d} "
                         f"{r.p50_ms:8.0f} {r.p99_ms:8.0f} {recover} {r.per_second:6.1f}")
        notes = [f"  {r.name}: {r.note}" for r in self.rows if r.note]
        return lines + ([""] + notes if notes else [])


def info_lines(logs: str) -> list[str]:
    """Log lines above DEBUG; a line without its own timestamp belongs to the record before it."""
    kept, debug = [], False
    for line in logs.splitlines():
        if re.match(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d", line):
            debug = " DEBUG " in line or "[debug" in line
        if not debug:
            kept.append(line)
    return kept


def _load_registry(url: str) -> int:
    from matching.importer import import_csv

    engine = make_engine(url)
    report = import_csv(session_factory(engine), SAMPLE, source="sample")
    engine.dispose()
    return report.inserted


#: Steps that need only the web service and the database: they run while Rasa loads.
WHILE_RASA_LOADS = frozenset({"forged", "forged_channels", "hostile_bodies", "hostile_csv"})


@contextmanager
def _stack(plan: Plan, admin_url: str, logdir: Path, echo: Callable[[str], None]) -> Iterator[Stack]:
    with throwaway_database(admin_url) as url:
        echo(f"registry: {_load_registry(url)} synthetic rows (source does not allow confirmation)")
        stack = Stack(url, logdir, echo)
        try:
            stack.start()
            stack.wait_ready(300, ["web"])
            yield stack
        finally:
            stack.stop()


def run(*, quick: bool, admin_url: str, logdir: Path, echo: Callable[[str], None], only: Iterable[str] = ()) -> int:
    """Run every scenario; print the tables; return 0 when nothing was lost or leaked, else 1."""
    from shaml.demo import stop_on_signals, train_model
    from shaml.keys import bench_keys

    stop_on_signals()  # Ctrl-C or SIGTERM still stops every process and drops the database
    bench_keys()  # the stack's processes inherit them
    plan = Plan.make(quick)
    logdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    train_model(echo)
    chosen = [s for s in STEPS if not only or s in only] + ["privacy"]
    with _stack(plan, admin_url, logdir, echo) as stack:
        bench = Run(stack, plan, echo)

        def run_step(step: str) -> None:
            echo(f"[{time.monotonic() - started:5.0f} s] {step.replace('_', ' ')}")
            method = getattr(bench, step)
            method(logdir) if step == "hostile_csv" else method()

        booting = time.monotonic()
        # The checks that need only the web service and the database run while Rasa loads its
        # model (about a minute on 2 cores); the rest need the whole stack.
        for step in (s for s in chosen if s in WHILE_RASA_LOADS):
            run_step(step)
        stack.wait_ready(300)
        echo(f"stack ready in {time.monotonic() - booting:.0f} s (web, 3 workers, Rasa, actions, Redis; logs in {logdir})")
        for step in (s for s in chosen if s not in WHILE_RASA_LOADS):
            run_step(step)
        bench.ledger.dispose()
    echo("")
    echo(f"shaml bench resilience{' --quick' if quick else ''}: {time.monotonic() - started:.0f} s in all; "
         "the sustained row is the baseline (same stack, no fault)")
    for line in bench.table():
        echo(line)
    echo("")
    for name, ok, detail in bench.checks:
        echo(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    report = {
        "quick": quick,
        "rows": [{k: v for k, v in r.__dict__.items() if k != "lost_examples"} for r in bench.rows],
        "checks": [{"name": n, "ok": ok, "detail": d} for n, ok, d in bench.checks],
    }
    (logdir / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    failed = [r.name for r in bench.rows if not r.ok] + [n for n, ok, _ in bench.checks if not ok]
    if failed:
        echo(f"FAILED: {', '.join(failed)}")
        return 1
    echo("nothing lost, nothing leaked")
    return 0
