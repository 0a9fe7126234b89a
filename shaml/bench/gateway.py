"""``shaml bench gateway``: webhook ack latency under concurrent senders, reply latency, gateway overhead.

Everything runs for real on this machine: ``shaml serve`` and ``shaml worker`` processes, a
throwaway PostgreSQL database, Redis under a throwaway prefix. Twilio's REST API is replaced by a
local sink that records when each reply arrives; Rasa is a local echo server speaking the REST
channel's JSON, and the real Rasa too when one answers with a trained model. Baselines are
measured in the same run: ``GET /healthz`` under the same load, and Rasa's webhook called directly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import httpx
import psycopg2
import redis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from shaml.db import make_engine, upgrade
from shaml.settings import get_settings

PUBLIC_URL = "http://127.0.0.1:8000"
ACCOUNT_SID = "AC" + "b" * 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this, Nagle and delayed ACKs add 40 ms a request.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return

    def _read(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class Sink:
    """Stands in for Twilio's REST API: answers 201 and notes when a message to each number arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.events: dict[str, threading.Event] = {}
        self.lock = threading.Lock()
        sink = self

        class Handler(_Quiet):
            def do_POST(self) -> None:  # noqa: N802
                form = dict(parse_qsl(self._read().decode(), keep_blank_values=True))
                to = form.get("To", "")
                with sink.lock:
                    sink.arrived.setdefault(to, time.perf_counter())
                    event = sink.events.get(to)
                if event:
                    event.set()
                self._send(201, json.dumps({"sid": "SM" + uuid.uuid4().hex, "status": "queued"}).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def expect(self, to: str) -> threading.Event:
        """An event set when the first message to ``to`` arrives."""
        with self.lock:
            event = self.events.setdefault(to, threading.Event())
            if to in self.arrived:
                event.set()
        return event


class EchoRasa:
    """A local server speaking the signed channel's JSON (it does not check signatures): one echo reply per message."""

    def __init__(self) -> None:
        class Handler(_Quiet):
            def do_POST(self) -> None:  # noqa: N802
                data = json.loads(self._read())
                self._send(200, json.dumps([{"recipient_id": data["sender"], "text": "echo: " + data["message"]}]).encode())

            def do_GET(self) -> None:  # noqa: N802
                self._send(200, b'{"model_file": "echo"}')

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@contextmanager
def throwaway_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database, migrated, dropped afterwards."""
    parsed = make_url(admin_url)
    conn = psycopg2.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, password=parsed.password, dbname=parsed.database or "postgres"
    )
    conn.autocommit = True
    name = f"shaml_bench_gateway_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = parsed.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.close()


@contextmanager
def _given(url: str) -> Iterator[str]:
    """An existing database (e.g. the one a running Rasa's actions use), migrated to head."""
    upgrade(url)
    yield url


class Processes:
    """The shaml processes of one run, stopped at the end."""

    def __init__(self, env: dict[str, str], logdir: Path) -> None:
        self.env = env
        self.logdir = logdir
        self.procs: list[subprocess.Popen] = []

    def start(self, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        log = (self.logdir / f"{args[0]}-{len(self.procs)}.log").open("wb")
        env = {**self.env, **(extra_env or {})}
        proc = subprocess.Popen([sys.executable, "-m", "shaml", *args], env=env, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def stop(self, procs: list[subprocess.Popen] | None = None) -> None:
        for proc in procs or self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs or self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def inbound_form(sid: str, number: str, body: str) -> dict[str, str]:
    """The form Twilio posts for one inbound SMS (the benchmarks' phones send it)."""
    return {
        "MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID, "From": number,
        "To": "+15005550006", "Body": body, "NumMedia": "0", "NumSegments": "1", "FromZip": "", "FromCity": "",
        "ToZip": "", "MessagingServiceSid": "", "SmsStatus": "received", "ApiVersion": "2010-04-01",
    }


def telegram_update(secret: str, s: int, i: int) -> tuple[str, str, bytes | None, dict[str, str]]:
    """A private Telegram text update from chat ``s`` (its ``i``-th), with the webhook secret."""
    update = {"update_id": 10_000_000 + s * 10_000 + i, "message": {
        "message_id": i, "from": {"id": 500_000 + s, "is_bot": False, "first_name": "x"},
        "chat": {"id": 500_000 + s, "type": "private"}, "date": int(time.time()), "text": f"رسالة رقم {i}"}}
    body = json.dumps(update, ensure_ascii=False).encode()
    return "POST", "/telegram/webhook", body, {"content-type": "application/json", "x-telegram-bot-api-secret-token": secret}


def smsgate_event(key: str, s: int, i: int) -> tuple[str, str, bytes | None, dict[str, str]]:
    """An ``sms:received`` event from sender ``s`` (its ``i``-th), signed as the gateway app signs it."""
    from bot.channels.smsgate import signature

    data = {"deviceId": "bench-phone", "event": "sms:received", "id": f"bench-{s}-{i}-{uuid.uuid4().hex[:8]}",
            "payload": {"messageId": "m", "message": f"رسالة رقم {i}", "phoneNumber": f"+9639443{s:05d}"}}
    body = json.dumps(data, ensure_ascii=False).encode()
    stamp = str(int(time.time()))
    return "POST", "/smsgate/webhook", body, {"content-type": "application/json", "x-signature": signature(key, body, stamp), "x-timestamp": stamp}


def _signed(validator: RequestValidator, number: str, body: str) -> tuple[bytes, dict[str, str]]:
    form = inbound_form("SM" + uuid.uuid4().hex, number, body)
    headers = {
        "X-Twilio-Signature": validator.compute_signature(PUBLIC_URL + "/twilio/inbound", form),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return urlencode(form).encode(), headers


class _Connection:
    """One keep-alive HTTP/1.1 connection spoken by hand: a load generator far cheaper than a client
    library, so the figures measure the server, not the benchmark (each sender owns one)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        #: When the last answer was read (monotonic): an idle connection the server may have closed.
        self.used = 0.0

    async def fresh(self, idle: float = 2.0) -> None:
        """Open the connection now (outside any timing), anew if it has been idle ``idle`` s: the
        server closes idle keep-alive connections after 5 s, and a request racing that close fails."""
        if self.writer is not None and time.monotonic() - self.used > idle:
            await self.close()
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.used = time.monotonic()

    async def request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> int:
        """Send one request and read the whole answer; returns the HTTP status."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        body = body or b""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        length, close = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and "close" in value.lower():
                close = True
        if length:
            await self.reader.readexactly(length)
        self.used = time.monotonic()
        if close:
            await self.close()
        return int(status_line.split()[1])

    async def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def _load(
    base: str,
    senders: int,
    per_sender: int,
    make: Callable[[int, int], tuple[str, str, bytes | None, dict[str, str]]],
    interval: float = 0.0,
) -> tuple[list[float], float, int]:
    """``senders`` concurrent senders, each sending ``per_sender`` requests one after another.

    With ``interval`` > 0 each sender sends on a schedule, one request every ``interval`` seconds
    (staggered), like people typing; with 0 each sends again as soon as it has its answer
    (saturation: latency is then mostly queueing behind the other senders).
    """
    host, _, port = base.split("://", 1)[1].partition(":")
    latencies: list[float] = []
    failures: list[str] = []
    errors = 0

    async def sender(s: int) -> None:
        nonlocal errors
        conn = _Connection(host, int(port))
        start = time.perf_counter() + (interval * s / senders if interval else 0.0)
        for i in range(per_sender):
            if interval:
                await asyncio.sleep(max(0.0, start + i * interval - time.perf_counter()))
            method, path, content, headers = make(s, i)
            started = time.perf_counter()
            try:
                status = await conn.request(method, path, content, headers)
            except (OSError, asyncio.IncompleteReadError) as exc:
                errors += 1
                failures.append(type(exc).__name__)
                await conn.close()
                continue
            latencies.append(time.perf_counter() - started)
            errors += status != 200
        await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(sender(s) for s in range(senders)))
    elapsed = time.perf_counter() - started
    if failures:
        print(f"bench: {len(failures)} requests failed: {sorted(set(failures))}", file=sys.stderr)
    return latencies, elapsed, errors


async def _ab_rounds(
    bases: tuple[str, ...],
    senders: int,
    rounds: int,
    makes: tuple[Callable[[int, int], tuple[str, str, bytes | None, dict[str, str]]], ...],
    interval: float,
) -> tuple[list[list[list[float]]], list[int], float]:
    """Arms (one server each) in alternating short rounds (two arms: A B, B A, B A, A B, …): in each
    round every sender posts once to each arm in turn, paced over ``interval`` s. Each sender keeps
    one open connection per arm for the whole phase, so no round pays for connecting.

    Returns each arm's latencies by round, non-200 answers per arm, and the load average (1 min) at the end.
    """
    from shaml.bench.ab import order

    def connect(base: str) -> _Connection:
        host, _, port = base.split("://", 1)[1].partition(":")
        return _Connection(host, int(port))

    conns = [[connect(base) for _ in range(senders)] for base in bases]
    rounds_of: list[list[list[float]]] = [[] for _ in bases]
    errors = [0 for _ in bases]

    async def one(arm: int, s: int, i: int, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        method, path, content, headers = makes[arm](s, i)
        try:
            await conns[arm][s].fresh()
        except OSError:
            errors[arm] += 1
            return
        started = time.perf_counter()
        try:
            status = await conns[arm][s].request(method, path, content, headers)
        except (OSError, asyncio.IncompleteReadError):
            errors[arm] += 1
            await conns[arm][s].close()
            return
        rounds_of[arm][-1].append(time.perf_counter() - started)
        errors[arm] += status != 200

    for r in range(rounds):
        for arm in order(r, len(bases)):
            rounds_of[arm].append([])
            begin = time.perf_counter()
            await asyncio.gather(*(one(arm, s, r, begin + interval * s / senders) for s in range(senders)))
    for arm_conns in conns:
        for conn in arm_conns:
            await conn.close()
    return rounds_of, errors, os.getloadavg()[0]


def _wait_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


def _rasa_ready(url: str, token: str) -> tuple[bool, str]:
    try:
        response = httpx.get(url.rstrip("/") + "/status", params={"token": token} if token else None, timeout=3)
    except httpx.HTTPError as exc:
        return False, f"nothing answers at {url} ({type(exc).__name__})"
    if response.status_code != 200:
        return False, f"Rasa at {url} answered HTTP {response.status_code} to /status"
    if not response.json().get("model_file"):
        return False, f"Rasa at {url} has no trained model loaded"
    return True, ""


def _reply_latency(base: str, sink: Sink, validator: RequestValidator, turns: int, tag: int, text_of: Callable[[int], str]) -> list[float]:
    """Sequential turns, each from a new number: time from posting the webhook to the reply reaching 'Twilio'."""
    out = []
    # Fresh numbers every run, so no earlier conversation state is picked up.
    numbers = [f"+963933{n:06d}" for n in random.sample(range(1_000_000), turns)]
    with httpx.Client(base_url=base, timeout=30) as client:
        for i, number in enumerate(numbers):
            done = sink.expect(number)
            content, headers = _signed(validator, number, text_of(i))
            started = time.perf_counter()
            client.post("/twilio/inbound", content=content, headers=headers)
            if not done.wait(30):
                print(f"bench: turn {i} got no reply within 30 s; not counted", file=sys.stderr)
                continue
            out.append(sink.arrived[number] - started)
    return out


def _direct(url: str, token: str, turns: int, text_of: Callable[[int], str]) -> list[float]:
    """Rasa's signed webhook called directly (signed as the gateway signs), one turn at a time: the
    baseline for the gateway's overhead."""
    from bot.gateway.dialogue import RasaRestClient

    out = []
    client = RasaRestClient(url, token=token, timeout=30)
    try:
        for i in range(turns):
            started = time.perf_counter()
            client.turn(f"bench-direct-{uuid.uuid4().hex[:8]}", text_of(i), {})
            out.append(time.perf_counter() - started)
    finally:
        client.close()
    return out


def _ack_crypto_us(rounds: int = 2000, repeats: int = 7) -> tuple[float, float]:
    """Microseconds of the encryption work one inbound Twilio webhook does, measured alone (no I/O):
    the address sealed and indexed for the contact upsert, the body sealed, the rate limit's keyed
    hash. Median and fastest of ``repeats`` runs (the fastest is the cost on an idle core)."""
    from bot.contacts import address_hash
    from bot.crypto import blind, seal

    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        for i in range(rounds):
            number, body = f"+9639442{i:05d}", f"رسالة رقم {i}"
            seal(number)
            blind("address", number)
            seal(body)
            address_hash(number)
        runs.append((time.perf_counter() - started) / rounds * 1e6)
    return sorted(runs)[len(runs) // 2], min(runs)


def run(
    *, senders: int, messages: int, turns: int, workers: int, postgres: str, rasa_url: str, echo: Callable[[str], None], interval: float = 1.0,
    web_processes: int = 1,
    database: str = "",
) -> None:
    """Run the benchmark and print its table."""
    from shaml.keys import bench_keys

    load_before = os.getloadavg()[0]
    bench_keys()  # the web and worker processes inherit them
    settings = get_settings()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would swamp the table
    auth_token = secrets.token_hex(16)
    tg_secret, sg_key = secrets.token_hex(16), secrets.token_hex(16)
    validator = RequestValidator(auth_token)
    prefix = f"shaml-bench:{uuid.uuid4().hex[:8]}:"
    per_sender = max(1, messages // senders)
    sink, stub = Sink(), EchoRasa()
    rasa_token = settings.rasa_token or secrets.token_urlsafe(24)
    logdir = Path(settings.var_dir) / "bench-gateway"
    logdir.mkdir(parents=True, exist_ok=True)
    with throwaway_database(postgres) if not database else _given(database) as db_url:
        env = {
            **os.environ,
            "SHAML_DATABASE_URL": db_url,
            "SHAML_REDIS_URL": settings.redis_url,
            "SHAML_REDIS_PREFIX": prefix,
            "SHAML_PUBLIC_URL": PUBLIC_URL,
            "SHAML_TWILIO_API_URL": sink.url,
            "SHAML_RASA_URL": stub.url,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": auth_token,
            # The processes refuse to start without a strong token; the real Rasa measured needs its own.
            "SHAML_RASA_TOKEN": rasa_token,
            "SHAML_RATE_LIMIT_PER_MINUTE": "1000000",
            "SHAML_LOG_LEVEL": "WARNING",
            "SHAML_SWEEP_SECONDS": "60",
            "SHAML_TELEGRAM_WEBHOOK_SECRET": tg_secret,
            "SHAML_SMSGATE_SIGNING_KEY": sg_key,
            # Replies go back on the channel a message came in on; the bench measures acks, and its
            # only send sink is the fake Twilio, so no bare number is routed to a gateway phone.
            "SHAML_SMS_ROUTES": "*=twilio",
        }
        procs = Processes(env, logdir)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        try:
            procs.start("serve", "--port", str(port), "--workers", str(web_processes))
            # The same service with encryption switched off, to measure what it costs in the same run.
            plain_port = _free_port()
            plain_base = f"http://127.0.0.1:{plain_port}"
            procs.start("serve", "--port", str(plain_port), "--workers", str(web_processes),
                        extra_env={"SHAML_BENCH_PLAINTEXT": "true"})
            # A second server with encryption on: the on/on difference is what the machine's noise
            # alone makes between two identical servers (an A/A control for the on/off difference).
            twin_port = _free_port()
            twin_base = f"http://127.0.0.1:{twin_port}"
            procs.start("serve", "--port", str(twin_port), "--workers", str(web_processes))
            _wait_up(base + "/readyz")
            _wait_up(plain_base + "/readyz")
            _wait_up(twin_base + "/readyz")
            engine = make_engine(db_url)
            with engine.begin() as db:
                before = db.execute(text("SELECT count(*) FROM messages WHERE direction = 'in'")).scalar_one()
            # Warm up connections and code paths, then measure.
            asyncio.run(_load(base, 10, 5, lambda s, i: ("POST", "/twilio/inbound", *_signed(validator, f"+9639441{s:05d}", "warm"))))
            def webhook(s: int, i: int) -> tuple[str, str, bytes | None, dict[str, str]]:
                return ("POST", "/twilio/inbound", *_signed(validator, f"+9639442{s:05d}", f"رسالة رقم {i}"))

            def webhook_plain(s: int, i: int) -> tuple[str, str, bytes | None, dict[str, str]]:
                return ("POST", "/twilio/inbound", *_signed(validator, f"+9639443{s:05d}", f"رسالة رقم {i}"))

            def webhook_twin(s: int, i: int) -> tuple[str, str, bytes | None, dict[str, str]]:
                return ("POST", "/twilio/inbound", *_signed(validator, f"+9639445{s:05d}", f"رسالة رقم {i}"))

            asyncio.run(_load(plain_base, 10, 5, lambda s, i: ("POST", "/twilio/inbound", *_signed(validator, f"+9639444{s:05d}", "warm"))))
            asyncio.run(_load(twin_base, 10, 5, lambda s, i: ("POST", "/twilio/inbound", *_signed(validator, f"+9639446{s:05d}", "warm"))))
            arms = ((base, plain_base, twin_base), (webhook, webhook_plain, webhook_twin))
            # The servers warmed alike with two paced rounds each (the contacts of the measured rounds exist after).
            asyncio.run(_ab_rounds(arms[0], senders, 3, arms[1], interval))
            health, _, _ = asyncio.run(_load(base, senders, per_sender, lambda s, i: ("GET", "/healthz", None, {}), interval))
            # Encryption on, off, and on again (the twin) in alternating short rounds on warmed servers,
            # so a change in the shared machine's load falls on all alike; one message per sender per round.
            ab_rounds = max(3, per_sender)
            ab_load_before = os.getloadavg()[0]
            ab_started = time.perf_counter()
            (on_rounds, off_rounds, twin_rounds), (ack_errors, plain_errors, twin_errors), ab_load_after = asyncio.run(
                _ab_rounds(arms[0], senders, ab_rounds, arms[1], interval))
            ab_s = (time.perf_counter() - ab_started) / 3
            acks = [v for r in on_rounds for v in r]
            plain_acks = [v for r in off_rounds for v in r]
            twin_acks = [v for r in twin_rounds for v in r]
            tg_acks, tg_s, tg_errors = asyncio.run(_load(base, senders, per_sender, lambda s, i: telegram_update(tg_secret, s, i), interval))
            sg_acks, sg_s, sg_errors = asyncio.run(_load(base, senders, per_sender, lambda s, i: smsgate_event(sg_key, s, i), interval))
            sat, sat_s, sat_errors = asyncio.run(_load(base, senders, per_sender, webhook))
            sat_health, sat_health_s, _ = asyncio.run(_load(base, senders, per_sender, lambda s, i: ("GET", "/healthz", None, {})))
            # The ack phase leaves thousands of wake-ups; clear them so replies are measured on an idle queue.
            conn = redis.Redis.from_url(settings.redis_url)
            from rq import Queue

            for name in ("inbound", "outbox"):
                Queue(prefix + name, connection=conn).delete(delete_jobs=True)
            with engine.begin() as db:
                stored = db.execute(text("SELECT count(*) FROM messages WHERE direction = 'in'")).scalar_one() - before - len(plain_acks) - len(twin_acks) - 100 - 9 * senders
                db.execute(text("UPDATE messages SET status = 'processed', route = 'bench' WHERE direction = 'in'"))
            engine.dispose()
            worker_procs = [procs.start("worker") for _ in range(workers)]
            time.sleep(2.0)
            text_of = lambda i: "مرحبا"  # noqa: E731  (a greeting: one short turn in any assistant)
            _reply_latency(base, sink, validator, 5, 9, text_of)  # warm-up
            stub_e2e = _reply_latency(base, sink, validator, turns, 1, text_of)
            stub_direct = _direct(stub.url, rasa_token, turns, text_of)
            ok, why = _rasa_ready(rasa_url, settings.rasa_token)
            real_e2e = real_direct = None
            if ok:
                procs.stop(worker_procs)
                env["SHAML_RASA_URL"] = rasa_url
                worker_procs = [procs.start("worker") for _ in range(workers)]
                time.sleep(3.0)
                real_direct = _direct(rasa_url, rasa_token, turns, text_of)
                real_e2e = _reply_latency(base, sink, validator, turns, 2, text_of)
            conn.close()
        finally:
            procs.stop()
            conn2 = redis.Redis.from_url(settings.redis_url)
            keys = list(conn2.scan_iter(match=f"{prefix}*", count=1000))
            if keys:
                conn2.delete(*keys)
            conn2.close()

    n = len(acks)
    echo(f"gateway benchmark: {senders} concurrent senders, PostgreSQL + Redis, {web_processes} web process(es), {workers} workers, {os.cpu_count()} CPUs")
    echo(f"{'':50} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'per s':>8}")
    echo(f"paced: each sender posts every {interval:g} s ({n} webhooks, {senders / interval:.0f}/s offered)")
    echo(f"{'  ack POST /twilio/inbound (verify, dedupe, store)':50} {_pct(acks, .5):8.1f} {_pct(acks, .95):8.1f} {_pct(acks, .99):8.1f} {2 * n / ab_s:8.0f}")
    echo(f"{'  ack POST /telegram/webhook (secret, store)':50} {_pct(tg_acks, .5):8.1f} {_pct(tg_acks, .95):8.1f} {_pct(tg_acks, .99):8.1f} {len(tg_acks) / tg_s:8.0f}")
    echo(f"{'  ack POST /smsgate/webhook (HMAC, store)':50} {_pct(sg_acks, .5):8.1f} {_pct(sg_acks, .95):8.1f} {_pct(sg_acks, .99):8.1f} {len(sg_acks) / sg_s:8.0f}")
    echo(f"{'  baseline GET /healthz, same pacing':50} {_pct(health, .5):8.1f} {_pct(health, .95):8.1f} {_pct(health, .99):8.1f}")
    from shaml.bench.ab import compare, report

    crypto_median, crypto_fastest = _ack_crypto_us()
    compared = compare(on_rounds, off_rounds)
    control = compare(on_rounds, twin_rounds)
    echo(f"cost of encryption: POST /twilio/inbound on three warmed servers, encryption on (A), off (B, "
         f"SHAML_BENCH_PLAINTEXT) and on again (A', the control), {len(on_rounds)} alternating rounds of {senders} "
         f"paced webhooks each; load average {ab_load_before:.1f} before, {ab_load_after:.1f} after, on {os.cpu_count()} CPUs")
    for line in report(compared, a_label="ack, encryption on (A)", b_label="ack, encryption off (B)", target=(0.99, 5.0)):
        echo(line)
    echo("control: two identical servers, both with encryption on (A minus A'): the difference noise alone makes")
    for line in report(control, a_label="ack, encryption on (A)", b_label="ack, encryption on (A')", diff_label="difference (A minus A')")[2:-1]:
        echo(line)
    inside = [f"p{q * 100:g} {'yes' if control.low[q] <= compared.diff[q] <= control.high[q] else 'no'}" for q in compared.quantiles]
    echo(f"  is the on/off difference inside the on/on control's 95 % interval? {', '.join(inside)} "
         "(yes: this run cannot tell encryption's cost from two identical servers' noise)")
    echo(f"  non-200: {ack_errors} on, {plain_errors} off, {twin_errors} control")
    echo(f"  the ack's own crypto measured directly (seal number and text, blind index, rate-limit hash), in this "
         f"process: {crypto_median:.1f} µs a webhook (median of 7 runs; fastest {crypto_fastest:.1f} µs), "
         f"{crypto_median / 1000 / max(compared.a[0.5] * 1000, 1e-9) * 100:.2f} % of the ack's p50")
    echo(f"saturation: each sender posts again as soon as it is answered ({len(sat)} webhooks)")
    echo(f"{'  ack POST /twilio/inbound':50} {_pct(sat, .5):8.1f} {_pct(sat, .95):8.1f} {_pct(sat, .99):8.1f} {len(sat) / sat_s:8.0f}")
    echo(f"{'  baseline GET /healthz, same load':50} {_pct(sat_health, .5):8.1f} {_pct(sat_health, .95):8.1f} {_pct(sat_health, .99):8.1f} {len(sat_health) / sat_health_s:8.0f}")
    echo(f"  non-200 acks: {ack_errors + sat_errors + tg_errors + sg_errors}; inbound rows stored: {stored} (expected {n + len(sat) + len(tg_acks) + len(sg_acks) + 50})")
    echo(f"reply latency, webhook to Twilio send, {turns} sequential turns:")
    echo(f"{'  through the gateway, echo Rasa':50} {_pct(stub_e2e, .5):8.1f} {_pct(stub_e2e, .95):8.1f} {_pct(stub_e2e, .99):8.1f}")
    echo(f"{'  echo Rasa webhook called directly':50} {_pct(stub_direct, .5):8.1f} {_pct(stub_direct, .95):8.1f} {_pct(stub_direct, .99):8.1f}")
    echo(f"{'  gateway overhead (difference)':50} {_pct(stub_e2e, .5) - _pct(stub_direct, .5):8.1f} {_pct(stub_e2e, .95) - _pct(stub_direct, .95):8.1f}")
    if real_e2e is not None and real_direct is not None:
        echo(f"{'  through the gateway, real Rasa':50} {_pct(real_e2e, .5):8.1f} {_pct(real_e2e, .95):8.1f} {_pct(real_e2e, .99):8.1f}")
        echo(f"{'  real Rasa webhook called directly':50} {_pct(real_direct, .5):8.1f} {_pct(real_direct, .95):8.1f} {_pct(real_direct, .99):8.1f}")
        echo(f"{'  gateway overhead on real Rasa (difference)':50} {_pct(real_e2e, .5) - _pct(real_direct, .5):8.1f} {_pct(real_e2e, .95) - _pct(real_direct, .95):8.1f}")
    else:
        echo(f"  real Rasa: not measured: {why}. Start it (shaml train; shaml rasa) and pass --rasa-url.")
    echo("targets (DESIGN.md): ack p99 <= 50 ms at 100 senders; gateway adds <= 15 ms p95 to Rasa's turn")
    echo(f"machine load average (1 min): {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs")
