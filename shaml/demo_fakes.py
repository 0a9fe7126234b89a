"""The demo's outside world: a Telegram Bot API, an SMS gateway phone and Twilio, local and fake.

Demo mode only (``make demo`` and ``shaml demo --script`` start it; nothing else does). One small
HTTP server answers the three providers' APIs the way the real ones do, so Shaml's real channel code
sends to it: ``/telegram/bot{token}/sendMessage``, ``/smsgate/messages`` (basic auth, then the
gateway's signed ``sms:sent`` and ``sms:delivered`` reports back to ``/smsgate/webhook``) and
Twilio's ``Messages.json``, which refuses +963 numbers as Twilio does since September 2025.

What a fake receives is a phone's screen: kept in Redis under the deployment's prefix, where the
phone simulator and the scripted demo read it. The same module builds what a person's phone sends
Shaml: a Telegram update with the webhook secret, a gateway event signed with the signing key.

Run it as ``python -m shaml.demo_fakes --port PORT`` with the environment :func:`demo_env` made.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import logging
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import redis as redis_lib

from bot.channels.smsgate import signature

log = logging.getLogger(__name__)

#: The channels a simulated phone can be on besides ``sim``: Telegram, or SMS through the gateway phone.
PHONE_CHANNELS = ("telegram", "sms")
#: How long a demo screen is kept in Redis (seconds).
SCREEN_TTL = 7 * 86400
#: Twilio's error for a destination it will not deliver to (Syria, since 15 September 2025).
TWILIO_GEO_REFUSAL = 21408


def demo_env(fakes_url: str) -> dict[str, str]:
    """The settings that point Shaml's Telegram, SMS gateway and Twilio at the fakes at ``fakes_url``,
    with secrets made for this run. The default route (+963 to the gateway phone) then works."""
    return {
        "SHAML_TELEGRAM_API_URL": f"{fakes_url}/telegram",
        "SHAML_TELEGRAM_BOT_TOKEN": f"{secrets.randbelow(10**9) + 10**9}:{secrets.token_urlsafe(26)}",
        "SHAML_TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(24),
        "SHAML_SMSGATE_API_URL": f"{fakes_url}/smsgate",
        "SHAML_SMSGATE_USERNAME": "demo",
        "SHAML_SMSGATE_PASSWORD": secrets.token_urlsafe(18),
        "SHAML_SMSGATE_SIGNING_KEY": secrets.token_urlsafe(24),
        "SHAML_SMSGATE_DEVICES": "",
        # One demo SIM; a real one is paced at 6 a minute (docs/gateway.md), too slow to watch a demo.
        "SHAML_SMSGATE_PER_MINUTE": "60",
        "SHAML_TWILIO_API_URL": f"{fakes_url}/twilio",
        "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
        "TWILIO_AUTH_TOKEN": secrets.token_urlsafe(24),
    }


# -- screens: what reached each simulated phone --------------------------------------------------------


class Screens:
    """Each simulated phone's screen in Redis: what it sent and what reached it, in order."""

    def __init__(self, client: redis_lib.Redis, prefix: str) -> None:
        self.redis = client
        self.prefix = prefix

    def _key(self, channel: str, address: str) -> str:
        return f"{self.prefix}demo:screen:{channel}:{address}"

    def push(self, channel: str, address: str, direction: str, text: str,
             buttons: list[dict[str, Any]] | None = None) -> int:
        """Add a line to a screen (``direction`` "in" for the person's, "out" for Shaml's); returns its id."""
        entry = {"direction": direction, "body": text, "buttons": buttons or [], "at": time.time()}
        key = self._key(channel, address)
        size = int(self.redis.rpush(key, json.dumps(entry, ensure_ascii=False)))
        self.redis.expire(key, SCREEN_TTL)
        return size

    def read(self, channel: str, address: str, after: int = 0) -> list[dict[str, Any]]:
        """The lines after line ``after`` (ids count from 1)."""
        rows = self.redis.lrange(self._key(channel, address), max(0, after), -1)
        return [{"id": after + i + 1, **json.loads(raw)} for i, raw in enumerate(rows)]

    def count_twilio(self) -> None:
        """One more request reached the fake Twilio."""
        self.redis.incr(f"{self.prefix}demo:twilio-requests")

    def twilio_requests(self) -> int:
        """Requests the fake Twilio received since the demo's Redis was new."""
        return int(self.redis.get(f"{self.prefix}demo:twilio-requests") or 0)


# -- what a person's phone sends Shaml -----------------------------------------------------------------


def telegram_webhook(secret: str, chat_id: int, *, text: str | None = None, contact_phone: str | None = None) -> tuple[bytes, dict[str, str]]:
    """(body, headers) of the update Telegram posts when ``chat_id`` writes ``text`` or presses "share my
    number" (``contact_phone``: a contact whose user_id is the sender's, Telegram's verified number)."""
    sender = {"id": chat_id, "is_bot": False, "first_name": "Demo", "language_code": "ar"}
    message: dict[str, Any] = {"message_id": secrets.randbelow(10**6), "from": sender,
                               "chat": {"id": chat_id, "type": "private"}, "date": int(time.time())}
    if contact_phone is not None:
        message["contact"] = {"phone_number": contact_phone.lstrip("+"), "user_id": chat_id, "first_name": "Demo"}
    else:
        message["text"] = text or ""
    update = {"update_id": secrets.randbelow(2**52), "message": message}
    body = json.dumps(update, ensure_ascii=False).encode()
    return body, {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}


def gateway_webhook(signing_key: str, kind: str, payload: dict[str, Any], *, device_id: str = "demo-phone") -> tuple[bytes, dict[str, str]]:
    """(body, headers) of one event the gateway app posts, signed as the app signs it."""
    data = {"deviceId": device_id, "event": kind, "id": f"ev-{uuid.uuid4().hex[:20]}", "payload": payload,
            "webhookId": f"shaml-{kind.replace(':', '-')}"}
    body = json.dumps(data, ensure_ascii=False).encode()
    stamp = str(int(time.time()))
    return body, {"Content-Type": "application/json", "X-Signature": signature(signing_key, body, stamp), "X-Timestamp": stamp}


def sms_received(signing_key: str, phone: str, text: str) -> tuple[bytes, dict[str, str]]:
    """(body, headers) of the ``sms:received`` event for an SMS from ``phone`` to the gateway phone."""
    payload = {"messageId": uuid.uuid4().hex[:16], "message": text, "phoneNumber": phone, "simNumber": 1,
               "receivedAt": time.strftime("%Y-%m-%dT%H:%M:%S.000+03:00")}
    return gateway_webhook(signing_key, "sms:received", payload)


# -- the fake providers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """What the fakes check, as the real providers do: the bot token, the gateway's login, Twilio's account."""

    telegram_token: str
    gateway_user: str
    gateway_password: str
    gateway_signing_key: str
    twilio_sid: str
    twilio_token: str

    @classmethod
    def from_settings(cls, settings: Any) -> Credentials:
        """From :class:`shaml.settings.Settings` (the demo's environment)."""
        return cls(settings.telegram_bot_token, settings.smsgate_username, settings.smsgate_password,
                   settings.smsgate_signing_key, settings.twilio_account_sid, settings.twilio_auth_token)


def _buttons(markup: Any) -> list[dict[str, Any]]:
    """The reply keyboard's buttons, flattened: ``{"text": …, "contact": True}`` for "share my number"."""
    rows = markup.get("keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list):
        return []
    return [{"text": str(b.get("text", "")), "contact": bool(b.get("request_contact"))}
            for row in rows if isinstance(row, list) for b in row if isinstance(b, dict)]


def _same(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


class _Handler(BaseHTTPRequestHandler):
    fakes: DemoFakes
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    def _reply(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _basic_auth(self) -> tuple[str, str]:
        kind, _, value = self.headers.get("Authorization", "").partition(" ")
        if kind.lower() != "basic":
            return "", ""
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return "", ""
        return user, password

    def do_GET(self) -> None:  # noqa: N802
        self._reply(200 if self.path == "/healthz" else 404, {"status": "ok"} if self.path == "/healthz" else {})

    def do_POST(self) -> None:  # noqa: N802
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?", 1)[0]
        try:
            if path.startswith("/telegram/"):
                return self._telegram(path, raw)
            if path.startswith("/smsgate/"):
                return self._smsgate(path, raw)
            if path.startswith("/twilio/"):
                return self._twilio(path, raw)
        except (ValueError, KeyError, TypeError) as exc:
            return self._reply(400, {"ok": False, "description": f"bad request ({type(exc).__name__})"})
        self._reply(404, {})

    def _telegram(self, path: str, raw: bytes) -> None:
        creds, screens = self.fakes.credentials, self.fakes.screens
        token, _, method = path[len("/telegram/bot"):].partition("/")
        if not path.startswith("/telegram/bot") or not _same(token, creds.telegram_token):
            return self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        payload = json.loads(raw or b"{}")
        if method == "sendMessage":
            chat_id = payload["chat_id"]
            if not isinstance(chat_id, int):
                return self._reply(400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
            line = screens.push("telegram", str(chat_id), "out", str(payload.get("text", "")), _buttons(payload.get("reply_markup")))
            return self._reply(200, {"ok": True, "result": {"message_id": line, "chat": {"id": chat_id, "type": "private"}}})
        if method == "getWebhookInfo":
            return self._reply(200, {"ok": True, "result": {"url": "", "pending_update_count": 0}})
        self._reply(200, {"ok": True, "result": True})

    def _smsgate(self, path: str, raw: bytes) -> None:
        creds, screens = self.fakes.credentials, self.fakes.screens
        user, password = self._basic_auth()
        if not (_same(user, creds.gateway_user) and _same(password, creds.gateway_password)):
            return self._reply(401, {"message": "unauthorized"})
        payload = json.loads(raw or b"{}")
        if path == "/smsgate/webhooks":
            return self._reply(201, payload)
        if path != "/smsgate/messages":
            return self._reply(404, {"message": "not found"})
        numbers = [str(n) for n in payload.get("phoneNumbers", [])]
        text = str(payload["textMessage"]["text"])
        for number in numbers:
            screens.push("sms", number, "out", text)
        self._reply(202, {"id": payload.get("id"), "state": "Pending",
                          "recipients": [{"phoneNumber": n, "state": "Pending"} for n in numbers]})
        self.fakes.report(str(payload.get("id") or ""), numbers)

    def _twilio(self, path: str, raw: bytes) -> None:
        creds = self.fakes.credentials
        self.fakes.screens.count_twilio()
        user, password = self._basic_auth()
        if not (path.startswith(f"/twilio/2010-04-01/Accounts/{creds.twilio_sid}/Messages.json")
                and _same(user, creds.twilio_sid) and _same(password, creds.twilio_token)):
            return self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
        from urllib.parse import parse_qsl

        form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        to = form.get("To", "")
        if to.removeprefix("whatsapp:").startswith("+963"):
            return self._reply(400, {"code": TWILIO_GEO_REFUSAL, "status": 400,
                                     "message": "Permission to send an SMS has not been enabled for the region"})
        self.fakes.screens.push("twilio", to, "out", form.get("Body", ""))
        sid = "SM" + uuid.uuid4().hex
        self._reply(201, {"sid": sid, "status": "queued", "to": to, "from": form.get("From"), "body": form.get("Body"),
                          "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01"})


class DemoFakes:
    """The three fakes on one local port. ``webhook_url`` is Shaml's ``/smsgate/webhook`` for the
    gateway's delivery reports (None: no reports, the messages stay "accepted")."""

    def __init__(self, credentials: Credentials, screens: Screens, *, port: int = 0,
                 webhook_url: str | None = None) -> None:
        self.credentials = credentials
        self.screens = screens
        self.webhook_url = webhook_url
        handler = type("DemoFakesHandler", (_Handler,), {"fakes": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-fakes", daemon=True)

    @property
    def url(self) -> str:
        """The fakes' root, e.g. http://127.0.0.1:8030."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> DemoFakes:
        """Serve in a thread; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the port."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> DemoFakes:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def report(self, message_id: str, numbers: list[str]) -> None:
        """As the app does after handing an SMS to the SIM: ``sms:sent`` then ``sms:delivered``, signed."""
        if not self.webhook_url or not message_id:
            return

        def post() -> None:
            for kind in ("sms:sent", "sms:delivered"):
                time.sleep(0.3)
                for number in numbers:
                    body, headers = gateway_webhook(self.credentials.gateway_signing_key, kind,
                                                    {"messageId": message_id, "phoneNumber": number, "simNumber": 1})
                    try:
                        httpx.post(self.webhook_url or "", content=body, headers=headers, timeout=10)
                    except httpx.HTTPError as exc:
                        log.warning("demo gateway: could not report %s (%s)", kind, type(exc).__name__)

        threading.Thread(target=post, name="demo-gateway-report", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    """``python -m shaml.demo_fakes --port PORT``: serve the fakes until stopped (demo mode only)."""
    from shaml.settings import configure_logging, get_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    settings = get_settings()
    configure_logging(settings)
    if not settings.demo:
        raise SystemExit("the demo's fake providers run in demo mode only (SHAML_DEMO=true)")
    screens = Screens(redis_lib.Redis.from_url(settings.redis_url), settings.redis_prefix)
    fakes = DemoFakes(Credentials.from_settings(settings), screens, port=args.port,
                      webhook_url=f"{settings.public_url}/smsgate/webhook")
    log.info("demo fakes (Telegram, SMS gateway, Twilio) at %s", fakes.url)
    try:
        fakes._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fakes._server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
