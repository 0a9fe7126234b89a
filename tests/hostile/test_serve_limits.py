"""Body limits on a real ``shaml serve`` (uvicorn, PostgreSQL, Redis), spoken to over raw sockets so the
test controls exactly what is sent: a Content-Length and no body, a chunked body cut short, a
client that will not stop sending.

Asserted: an oversized Content-Length gets 413 before one body byte is sent (even with
``Expect: 100-continue`` nothing invites the body); a chunked body is refused once past the limit and
the connection is closed, so a client streaming 256 MB gets to send only a few MB; the server's
memory does not grow with what it was sent (console upload of 50 MB included); an anonymous upload
is refused before its body is read; nothing is stored; every refusal is logged precisely and no
log line above DEBUG holds a phone number.
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import func
from sqlalchemy import select as sql_select

from bot.models import Message
from console.app import UPLOAD_BODY
from console.imports import MAX_UPLOAD
from shaml.bodylimit import MAX_WEBHOOK_BODY
from shaml.db import make_engine, session_factory
from tests.console.conftest import CSRF_META, PASSWORD, add_operator
from tests.fakes.rasa import FakeRasa
from tests.fakes.twilio import FakeTwilio, inbound_form, signed_webhook
from tests.gateway.conftest import PUBLIC_URL, assert_no_secrets, gateway_env
from tests.hostile.conftest import NUMBER

ROOT = Path(__file__).resolve().parents[2]
SHAML = str(ROOT / ".venv" / "bin" / "shaml")
MB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running ``shaml serve``: its port, process and log file."""

    port: int
    proc: subprocess.Popen
    log: Path
    upload_dir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss(self) -> int:
        """The web process's resident memory now (bytes)."""
        return int(psutil.Process(self.proc.pid).memory_info().rss)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def server(pg_only_url: str, redis_prefix: str, tmp_path: Path) -> Iterator[Server]:
    """``shaml serve`` on a free port (PostgreSQL, real Redis, fake Twilio and Rasa; not demo mode, which
    refuses a PostgreSQL database)."""
    with FakeTwilio() as twilio, FakeRasa() as rasa:
        env = {**os.environ, **gateway_env(pg_only_url, redis_prefix, twilio.url, rasa.url,
                                           SHAML_VAR_DIR=str(tmp_path / "var"), SHAML_DEMO="false")}
        port = _free_port()
        log = tmp_path / "serve.log"
        proc = subprocess.Popen([SHAML, "serve", "--port", str(port)], env=env, stdout=log.open("wb"),
                                stderr=subprocess.STDOUT, cwd=ROOT)
        srv = Server(port, proc, log, tmp_path / "var" / "uploads")
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(srv.url + "/healthz", timeout=0.5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert proc.poll() is None and time.monotonic() < deadline, srv.text()
                time.sleep(0.1)
            yield srv
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    text = srv.text()
    assert "Traceback" not in text and "Exception in ASGI application" not in text, text[-3000:]
    assert_no_secrets(text)
    loud = [line for line in text.splitlines() if " DEBUG " not in line]
    assert not [line for line in loud if NUMBER in line or NUMBER.lstrip("+") in line], "a phone number reached a log"


@dataclass
class Reply:
    """What the server answered on a raw connection, and how much of the body the client got to send."""

    status: int
    headers: dict[str, str]
    body: bytes
    sent: int
    closed: bool


def _read_reply(sock: socket.socket, sent: int, wait_close: bool) -> Reply:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        assert piece, f"connection closed before a response (after {sent} body bytes)"
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        piece = sock.recv(65536)
        assert piece, "connection closed in the middle of the response"
        body += piece
    if not wait_close:
        return Reply(int(lines[0].split()[1]), headers, body, sent, False)
    try:
        sock.settimeout(5)
        closed = sock.recv(1) == b""
    except ConnectionResetError:
        closed = True  # closed with some of what we sent unread: the kernel answers with a reset
    except TimeoutError:
        closed = False
    return Reply(int(lines[0].split()[1]), headers, body, sent, closed)


def exchange(port: int, head: str, chunks: Iterable[bytes] = (), *, timeout: float = 60,
             wait_close: bool = True) -> Reply:
    """Send ``head`` (request line and headers), then ``chunks`` one by one until the server answers or
    stops reading; then read the answer (and, with ``wait_close``, see whether the server closes)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sent = 0
    try:
        sock.sendall(head.encode("latin-1"))
        # poll, not select: a long test session may hold more than select's 1,024 descriptors.
        readable = select.poll()
        readable.register(sock, select.POLLIN)
        for chunk in chunks:
            if readable.poll(0):
                break  # the server answered already: stop sending, as a good client does
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        return _read_reply(sock, sent, wait_close)
    finally:
        sock.close()


def chunked(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """HTTP/1.1 chunked framing of ``pieces`` (without the final empty chunk: the body never ends)."""
    for piece in pieces:
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"


class PeakRss:
    """Samples a process's resident memory every 10 ms in a thread; ``peak`` is the highest seen."""

    def __init__(self, read: Callable[[], int]) -> None:
        self.read = read
        self.peak = read()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.read())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.read())


def _messages(pg_only_url: str) -> int:
    engine = make_engine(pg_only_url)
    try:
        with session_factory(engine)() as session:
            return int(session.execute(sql_select(func.count()).select_from(Message)).scalar_one())
    finally:
        engine.dispose()


def _webhook_head(length: str, *, extra: str = "") -> str:
    return (f"POST /twilio/inbound HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"X-Twilio-Signature: x\r\n{length}{extra}\r\n")


def test_declared_gigabyte_is_refused_before_any_body_is_sent(server: Server, pg_only_url: str) -> None:
    """Content-Length: 1 GB and no body at all: the 413 arrives anyway (no ``100 Continue`` first),
    the connection is closed, and the log says what was refused and that the body was not read."""
    reply = exchange(server.port, _webhook_head("Content-Length: 1073741824\r\n", extra="Expect: 100-continue\r\n"))
    assert reply.status == 413 and reply.closed
    assert reply.headers["connection"] == "close"
    assert f"at most {MAX_WEBHOOK_BODY} bytes" in reply.body.decode()
    assert _messages(pg_only_url) == 0
    assert (f"POST /twilio/inbound refused (413): Content-Length 1073741824 is over the {MAX_WEBHOOK_BODY}-byte "
            "limit; the body was not read") in server.text()


def test_chunked_body_past_the_limit_is_refused_and_cut_off(server: Server, pg_only_url: str) -> None:
    """A chunked body a little over the limit, then silence: 413 and the connection closed; a client
    that keeps streaming (up to 256 MB) is cut off after a few MB, and the server's memory stays put."""
    reply = exchange(server.port, _webhook_head("Transfer-Encoding: chunked\r\n"),
                     [b"".join(chunked([b"a=" + b"b" * (8192 - 2)] * (MAX_WEBHOOK_BODY // 8192 + 2)))])
    assert reply.status == 413 and reply.closed
    before = server.rss()
    sent = 0
    with PeakRss(server.rss) as memory:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        try:
            sock.sendall(_webhook_head("Transfer-Encoding: chunked\r\n").encode())
            frame = next(chunked([b"b" * 65536]))
            while sent < 256 * MB:
                sock.sendall(frame)
                sent += len(frame)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            sock.close()
    assert sent < 32 * MB, f"the server kept reading: {sent} bytes were accepted"
    assert memory.peak - before < 16 * MB, f"web process grew by {(memory.peak - before) / MB:.1f} MB"
    assert _messages(pg_only_url) == 0
    streaming = "POST /twilio/inbound refused (413): the body passed the 65536-byte limit while streaming (no Content-Length)"
    assert server.text().count(streaming) == 2


def test_a_chunked_webhook_within_the_limit_is_still_served(server: Server, pg_only_url: str) -> None:
    """The limit refuses only what is over it: a signed, chunked, Twilio-sized webhook is stored."""
    body, headers = signed_webhook(PUBLIC_URL, "/twilio/inbound", inbound_form(from_=NUMBER, body="مرحبا"))
    response = httpx.post(server.url + "/twilio/inbound", content=iter([body[:50], body[50:]]), headers=headers)
    assert response.status_code == 200
    assert _messages(pg_only_url) == 1


def _login(server: Server, database_url: str) -> tuple[httpx.Client, str]:
    """An admin logged in through the real login form; returns the browser and the import page's CSRF token."""
    engine = make_engine(database_url)
    add_operator(session_factory(engine), "samir", "admin")
    engine.dispose()
    browser = httpx.Client(base_url=server.url, follow_redirects=False, timeout=30)
    token = CSRF_META.search(browser.get("/console/login").text).group(1)  # type: ignore[union-attr]
    done = browser.post("/console/login", data={"csrf": token, "username": "samir", "password": PASSWORD,
                                                "next": "/console/"})
    assert done.status_code == 303, done.text
    page = browser.get("/console/registry/import")
    return browser, CSRF_META.search(page.text).group(1)  # type: ignore[union-attr]


BOUNDARY = "shamlboundary7e1f"


def _upload_head(browser: httpx.Client | None, length: str) -> str:
    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items()) if browser else ""
    return (f"POST /console/registry/import/preview HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            + (f"Cookie: {cookie}\r\n" if cookie else "") + f"{length}\r\n")


def _form_start(csrf: str) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\nbig-list\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\nrecord_id,full_name\r\n").encode()


def test_console_uploads_over_the_limit_are_refused_with_memory_bounded(server: Server, pg_only_url: str) -> None:
    """The CSV upload, logged in as an admin: a declared size over the limit gets the bilingual 413 page
    unread; a chunked 50 MB upload that passes the limit gets 413 once past it; a file just over
    MAX_UPLOAD (inside the body limit) is read to disk and refused by size with the console's page.
    Through all of it the web process grows by far less than what it was sent, and no upload is kept."""
    browser, csrf = _login(server, pg_only_url)
    declared = exchange(server.port, _upload_head(browser, f"Content-Length: {UPLOAD_BODY + 1}\r\n"))
    assert declared.status == 413 and declared.closed
    page = declared.body.decode()
    assert "الملف أكبر من 50 ميغابايت" in page and "The file is larger than 50 MB" in page

    before = server.rss()
    with PeakRss(server.rss) as memory:
        row = b"r1,\xd9\x85\xd8\xad\xd9\x85\xd8\xaf\r\n" * 4096
        pieces = [_form_start(csrf)] + [row] * ((UPLOAD_BODY + MB) // len(row))
        streamed = exchange(server.port, _upload_head(browser, "Transfer-Encoding: chunked\r\n"), chunked(pieces))
        assert streamed.status == 413 and streamed.closed
        assert "الملف أكبر من 50 ميغابايت" in streamed.body.decode()

        content = _form_start(csrf) + b"x" * (MAX_UPLOAD + 1 - len("record_id,full_name\r\n")) + \
            f"\r\n--{BOUNDARY}--\r\n".encode()
        assert len(content) <= UPLOAD_BODY
        whole = exchange(server.port, _upload_head(browser, f"Content-Length: {len(content)}\r\n"),
                         [content[i:i + MB] for i in range(0, len(content), MB)])
        assert whole.status == 413, whole.body[:500]
        assert "الملف أكبر من 50 ميغابايت" in whole.body.decode()
    grown = (memory.peak - before) / MB
    assert grown < 24, f"the web process grew by {grown:.1f} MB while refusing 100 MB of uploads"
    assert not any(server.upload_dir.glob("*")), "a refused upload was kept"
    text = server.text()
    assert f"POST /console/registry/import/preview refused (413): Content-Length {UPLOAD_BODY + 1}" in text
    assert f"the body passed the {UPLOAD_BODY}-byte limit while streaming (no Content-Length)" in text
    browser.close()


def test_anonymous_upload_is_refused_before_its_body_is_read(server: Server) -> None:
    """No session: the answer (401) comes while the upload is still being sent, so the server did not
    wait for (or spool) the body of someone who may not upload at all."""
    reply = exchange(server.port, _upload_head(None, "Transfer-Encoding: chunked\r\n"),
                     chunked([_form_start("no-token")] + [b"x" * 65536] * 1600), timeout=30, wait_close=False)
    assert reply.status == 401 and reply.body == b"login required"
    assert reply.sent < 20 * MB

