"""The attacker inside the network: a pod that can reach Rasa, the action server or Redis, but holds
none of Shaml's secrets. Each test plays the forgery and asserts what it changed or disclosed: nothing.

Rasa's channel and the action server run as their real Sanic apps (Rasa's own channel registration,
rasa_sdk's own app) over ASGI; Redis is a private redis-server with an ACL user, started here (the
shared test Redis keeps its own configuration).
"""

from __future__ import annotations

import asyncio
import json
import pickle
import shutil
import socket
import subprocess
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import yaml
from fastapi.testclient import TestClient
from rq import SimpleWorker
from rq.serializers import DefaultSerializer
from sanic import Sanic
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.actions import deps
from bot.contacts import get_or_create_contact
from bot.gateway.context import JOB_SERIALIZER
from bot.internal_auth import ACTIONS_HEADER, SIGNATURE_HEADER, actions_token, channel_key, sign
from bot.models import AuditEvent, Contact
from tests.conftest import REDIS_URL

Sanic.test_mode = True  # several apps named alike in one process

ROOT = Path(__file__).resolve().parents[2]
RASA_TOKEN = "internal-test-rasa-token-" + "k" * 16


# --- helpers -------------------------------------------------------------------------------------


class RecordingAgent:
    """Stands in for Rasa's Agent behind the channel: remembers every message the channel let through."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_message(self, message: Any) -> None:
        self.messages.append(message)
        await message.output_channel.send_text_message(message.sender_id, "ok")


def _rasa_app(agent: RecordingAgent) -> Sanic:
    """A Sanic app with the channels of bot/assistant/credentials.yml, registered by Rasa's own code."""
    from rasa.core.channels.channel import register
    from rasa.core.run import create_http_input_channels

    app = Sanic(f"rasa_{id(agent)}")
    app.ctx.agent = agent
    channels = create_http_input_channels(None, str(ROOT / "bot" / "assistant" / "credentials.yml"))
    register(channels, app, route="/webhooks/")
    return app


async def _post_all(app: Sanic, requests: list[tuple[str, bytes, dict[str, str]]]) -> list[httpx.Response]:
    await app._startup()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rasa") as client:
        return [await client.post(path, content=body, headers=headers) for path, body, headers in requests]


@pytest.fixture
def rasa_env(shaml_env: pytest.MonkeyPatch, redis_prefix: str) -> pytest.MonkeyPatch:
    """Rasa's environment: the token, and the real Redis (under this test's prefix) for seen signatures."""
    shaml_env.setenv("SHAML_RASA_TOKEN", RASA_TOKEN)
    shaml_env.setenv("SHAML_REDIS_PREFIX", redis_prefix)
    return shaml_env


# --- Rasa's webhook ------------------------------------------------------------------------------


def test_a_forged_turn_for_another_contact_reaches_no_conversation(rasa_env):
    """The attacker posts "yes, I consent" as contact 42, every way Rasa's REST channel used to allow."""
    agent = RecordingAgent()
    turn = {"sender": "42", "message": "نعم موافق", "metadata": {"contact_id": 42, "channel": "whatsapp"}}
    body = json.dumps(turn).encode()
    genuine = json.dumps({"sender": "7", "message": "hello", "metadata": {}}).encode()
    genuine_headers = {"Content-Type": "application/json", **sign(channel_key(RASA_TOKEN), genuine)}
    forged_key = sign(channel_key("a-guessed-token-change-me"), body)
    stale = sign(channel_key(RASA_TOKEN), body, now=time.time() - 3600)
    replayed_signature = {"Content-Type": "application/json", **genuine_headers}
    attempts = [
        ("/webhooks/rest/webhook", body, {"Content-Type": "application/json"}),  # the old open channel
        ("/webhooks/shaml/webhook", body, {"Content-Type": "application/json"}),  # unsigned
        ("/webhooks/shaml/webhook", body, {"Content-Type": "application/json", **forged_key}),  # wrong key
        ("/webhooks/shaml/webhook", body, {"Content-Type": "application/json", **stale}),  # an old signature
        # A genuine signature over another body (the sender swapped): refused.
        ("/webhooks/shaml/webhook", body, {"Content-Type": "application/json", **genuine_headers}),
    ]
    responses = asyncio.run(_post_all(_rasa_app(agent), [*attempts, ("/webhooks/shaml/webhook", genuine, genuine_headers),
                                                          ("/webhooks/shaml/webhook", genuine, replayed_signature)]))
    refused, (good, replay) = responses[:-2], responses[-2:]
    assert [r.status_code for r in refused] == [404, 401, 401, 401, 401]
    for response in refused:
        assert "recipient_id" not in response.text and '"ok"' not in response.text
    # The gateway's own signed turn goes through (the lock has a key), once: the same bytes again are a replay.
    assert good.status_code == 200 and good.json() == [{"recipient_id": "7", "text": "ok"}]
    assert replay.status_code == 401
    assert [m.sender_id for m in agent.messages] == ["7"]


def test_the_gateway_signs_what_the_channel_accepts(rasa_env):
    """RasaRestClient's request, byte for byte, passes the channel's check; flip one byte and it does not."""
    from bot.gateway.dialogue import RasaRestClient

    captured: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(200, json=[])

    client = RasaRestClient("http://rasa", token=RASA_TOKEN)
    client._http = httpx.Client(transport=httpx.MockTransport(handler))
    client.turn("12", "hello", {"channel": "sms", "language": "ar"})
    (request,) = captured
    assert request.url.path == "/webhooks/shaml/webhook" and "token" not in str(request.url)
    agent = RecordingAgent()
    tampered = request.content.replace(b'"12"', b'"13"')
    headers = dict(request.headers)
    results = asyncio.run(_post_all(_rasa_app(agent), [(request.url.path, tampered, headers),
                                                       (request.url.path, request.content, headers)]))
    assert [r.status_code for r in results] == [401, 200]
    assert [m.sender_id for m in agent.messages] == ["12"]


def test_the_same_words_twice_in_one_second_are_two_turns_not_a_replay(rasa_env):
    """A mother who taps send twice ("1", "1") is heard twice: each turn carries its own nonce."""
    from bot.gateway.dialogue import RasaRestClient

    captured: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(200, json=[])

    client = RasaRestClient("http://rasa", token=RASA_TOKEN)
    client._http = httpx.Client(transport=httpx.MockTransport(handler))
    client.turn("12", "1", {"channel": "sms"})
    client.turn("12", "1", {"channel": "sms"})
    first, second = captured
    assert first.content != second.content
    agent = RecordingAgent()
    results = asyncio.run(_post_all(_rasa_app(agent), [(r.url.path, r.content, dict(r.headers)) for r in captured]
                                    + [(first.url.path, first.content, dict(first.headers))]))
    # Both turns reach the dialogue; the first request sent again byte for byte is still a replay.
    assert [r.status_code for r in results] == [200, 200, 401]
    assert [(m.sender_id, m.text) for m in agent.messages] == [("12", "1"), ("12", "1")]


def test_a_turn_replayed_to_another_rasa_replica_is_refused(rasa_env, redis_prefix):
    """Two Rasa replicas (two processes' channels, each built by Rasa from credentials.yml) share the
    seen signatures through Redis: the gateway's turn accepted by one is a replay at the other."""
    from bot.rasa_channel import REPLAY_WINDOW_SECONDS

    first, second = RecordingAgent(), RecordingAgent()
    body = json.dumps({"sender": "7", "message": "نعم", "metadata": {}}).encode()
    headers = {"Content-Type": "application/json", **sign(channel_key(RASA_TOKEN), body)}
    (accepted,) = asyncio.run(_post_all(_rasa_app(first), [("/webhooks/shaml/webhook", body, headers)]))
    (replayed,) = asyncio.run(_post_all(_rasa_app(second), [("/webhooks/shaml/webhook", body, headers)]))
    assert (accepted.status_code, replayed.status_code) == (200, 401)
    assert "ok" not in replayed.text and "recipient_id" not in replayed.text
    assert [m.sender_id for m in first.messages] == ["7"] and second.messages == []
    # Redis keeps a digest of the signature (not the turn), for the signature's validity window only.
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{redis_prefix}rasa:seen:*"))
    assert len(keys) == 1 and 0 < client.ttl(keys[0]) <= REPLAY_WINDOW_SECONDS
    assert client.get(keys[0]) == b"1" and headers[SIGNATURE_HEADER] not in keys[0].decode()
    client.close()


def test_without_redis_the_channel_refuses_every_turn(rasa_env):
    """Redis down: the replay check cannot run, so the channel fails closed with 503 (the gateway retries)."""
    rasa_env.setenv("SHAML_REDIS_URL", "redis://127.0.0.1:9/0")  # nothing listens there
    agent = RecordingAgent()
    body = json.dumps({"sender": "7", "message": "hello", "metadata": {}}).encode()
    headers = {"Content-Type": "application/json", **sign(channel_key(RASA_TOKEN), body)}
    forged = {"Content-Type": "application/json", **sign(channel_key("guessed-" + "x" * 20), body)}
    responses = asyncio.run(_post_all(_rasa_app(agent), [("/webhooks/shaml/webhook", body, headers),
                                                         ("/webhooks/shaml/webhook", body, forged)]))
    # The genuine turn waits (503, retried by the gateway); a forged one is still a plain 401.
    assert [r.status_code for r in responses] == [503, 401]
    assert agent.messages == []


def test_rasa_will_not_start_its_channel_without_a_token(shaml_env):
    from rasa.core.run import create_http_input_channels
    from rasa.shared.exceptions import RasaException

    from bot.rasa_channel import ChannelConfigError, SignedInput

    credentials = str(ROOT / "bot" / "assistant" / "credentials.yml")
    with pytest.raises(RasaException, match="SHAML_RASA_TOKEN"):  # unset: Rasa cannot fill the file
        create_http_input_channels(None, credentials)
    shaml_env.setenv("SHAML_RASA_TOKEN", "")
    with pytest.raises(ChannelConfigError, match="SHAML_RASA_TOKEN is empty"):
        create_http_input_channels(None, credentials)
    with pytest.raises(ChannelConfigError):
        SignedInput.from_credentials(None)


# --- the action server ---------------------------------------------------------------------------


def _action_call(sender: str, action: str = "action_stop", metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    latest = {"text": "stop", "intent": {"name": "stop", "confidence": 1.0}, "entities": [], "metadata": metadata or {}}
    return {
        "next_action": action, "sender_id": sender, "version": "3.6.0", "domain": {},
        "tracker": {"sender_id": sender, "slots": {}, "latest_message": latest,
                    "events": [{"event": "user", "text": "stop", "parse_data": latest}],
                    "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"},
    }


@pytest.fixture
def two_contacts(pg_factory: sessionmaker) -> Iterator[tuple[int, int]]:
    with pg_factory() as db, db.begin():
        victim = get_or_create_contact(db, "whatsapp", "+963944000111")
        attacker = get_or_create_contact(db, "sms", "+963955000222")
        ids = (int(victim.id), int(attacker.id))
    deps.configure(pg_factory, matcher=None)  # type: ignore[arg-type]
    yield ids
    deps.reset()


def _opted_out(factory: sessionmaker) -> dict[int, bool]:
    with factory() as db:
        return {int(c.id): bool(c.opted_out) for c in db.execute(select(Contact)).scalars()}


async def _call_actions(app: Sanic, calls: list[tuple[dict[str, Any], dict[str, str]]]) -> list[httpx.Response]:
    await app._startup()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://actions") as client:
        return [await client.post("/webhook", json=body, headers=headers) for body, headers in calls] + [
            await client.get("/actions"), await client.get("/health")]


def test_a_forged_action_call_runs_nothing(two_contacts, pg_factory):
    """A pod posts Rasa's action call for the victim's conversation: opt them out so they hear nothing."""
    from bot.actions.server import create_guarded_app

    victim, _ = two_contacts
    token = actions_token(RASA_TOKEN)
    app = create_guarded_app(token)
    forged = _action_call(str(victim))
    responses = asyncio.run(_call_actions(app, [
        (forged, {}),
        (forged, {ACTIONS_HEADER: "change-me"}),
        (forged, {ACTIONS_HEADER: RASA_TOKEN}),  # the Rasa API token is not the action server's
    ]))
    *refused, listing, health = responses
    assert [r.status_code for r in refused] == [401, 401, 401]
    assert all(r.json() == {"error": "unauthorized"} for r in refused)
    assert listing.status_code == 401 and "action_" not in listing.text
    assert health.status_code == 200
    assert _opted_out(pg_factory)[victim] is False
    with pg_factory() as db:
        assert db.execute(select(AuditEvent).where(AuditEvent.action == "opt_out")).first() is None


def test_actions_act_for_the_sender_never_the_metadata_contact(two_contacts, pg_factory):
    """Rasa's own call (with the token) for the attacker's conversation, naming the victim in metadata:
    the action opts out the sender, the conversation it was called for, and leaves the victim alone."""
    from bot.actions.server import create_guarded_app

    victim, attacker = two_contacts
    app = create_guarded_app(actions_token(RASA_TOKEN))
    call = _action_call(str(attacker), metadata={"contact_id": victim, "channel": "whatsapp"})
    (response, _, _) = asyncio.run(_call_actions(app, [(call, {ACTIONS_HEADER: actions_token(RASA_TOKEN)})]))
    assert response.status_code == 200
    assert _opted_out(pg_factory) == {victim: False, attacker: True}


# --- Redis ---------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def deploy_acl_rule() -> list[str]:
    """The ACL rule deploy/docker-compose.yml gives Redis's user ``shaml`` (after the password)."""
    command = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())["services"]["redis"]["command"]
    start = next(i for i in range(len(command) - 1) if command[i:i + 2] == ["--user", "shaml"]) + 2
    end = next((i for i in range(start, len(command)) if command[i].startswith("--")), len(command))
    rule = command[start:end]
    assert rule[:2] == ["on", ">${REDIS_PASSWORD}"], rule
    return rule[2:]


@pytest.fixture(scope="module")
def acl_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    """A private redis-server configured exactly as deploy/ configures it: no default user, one ACL
    user for Shaml with the compose file's rule (read from the file). A private server, not the
    shared test Redis: if the rule let FLUSHALL or SHUTDOWN through, the probe would hurt nobody else."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is needed (it runs beside the tests' shared Redis)"
    port, password = _free_port(), "acl-test-" + "p" * 24
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path_factory.mktemp("acl-redis")),
         # DEBUG and MODULE opened at the server level, so only the ACL rule stands in their way.
         "--enable-debug-command", "yes", "--enable-module-command", "yes",
         "--user", "default", "off",
         "--user", "shaml", "on", f">{password}", *deploy_acl_rule()],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield port, password
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _clear(conn: redis.Redis) -> None:
    """Delete every key (as the ACL user, who may not FLUSHDB)."""
    keys = list(conn.scan_iter(count=1000))
    if keys:
        conn.delete(*keys)


def test_a_pod_without_the_redis_password_reads_and_writes_nothing(acl_redis):
    port, password = acl_redis
    shaml = redis.Redis.from_url(f"redis://shaml:{password}@127.0.0.1:{port}/0")
    shaml.set("shaml:console:session:abc", json.dumps({"csrf": "x", "operator_id": 1, "role": "admin"}))
    for url in (f"redis://127.0.0.1:{port}/0", f"redis://:wrong@127.0.0.1:{port}/0",
                f"redis://shaml:change-me@127.0.0.1:{port}/0", f"redis://default:@127.0.0.1:{port}/0"):
        intruder = redis.Redis.from_url(url, socket_timeout=2)
        with pytest.raises((redis.AuthenticationError, redis.ResponseError)):
            intruder.get("shaml:console:session:abc")  # read a session
        with pytest.raises((redis.AuthenticationError, redis.ResponseError)):
            intruder.set("shaml:console:session:forged", json.dumps({"operator_id": 1, "role": "admin"}))
        intruder.close()
    assert shaml.get("shaml:console:session:forged") is None
    assert list(shaml.scan_iter()) == [b"shaml:console:session:abc"]
    _clear(shaml)


def test_queued_jobs_are_json_and_a_planted_pickle_runs_nothing(acl_redis, tmp_path):
    """Whoever can write to Redis plants an RQ job whose pickle opens a file when loaded. The worker's
    JSON serializer never unpickles it; the same job under RQ's default (pickle) serializer runs the
    attacker's code, which is what the test guards against."""
    from bot.gateway.context import Gateway, GatewayConfig

    port, password = acl_redis
    conn = redis.Redis.from_url(f"redis://shaml:{password}@127.0.0.1:{port}/0")
    gateway = Gateway(factory=None, redis=conn, dialogue=None, channels={},  # type: ignore[arg-type]
                      config=GatewayConfig(redis_prefix="adv:"))
    queue = gateway.queue("outbox")
    job = queue.enqueue("bot.gateway.jobs.run_outbox", 5, result_ttl=0)
    stored = zlib.decompress(conn.hget(f"rq:job:{job.id}", "data"))  # type: ignore[arg-type]
    assert json.loads(stored)[0] == "bot.gateway.jobs.run_outbox" and json.loads(stored)[2] == [5]

    marker = tmp_path / "attacker-was-here"

    class Payload:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (open, (str(marker), "w"))

    conn.hset(f"rq:job:{job.id}", "data", zlib.compress(pickle.dumps(Payload())))
    try:
        SimpleWorker([queue], connection=conn, serializer=JOB_SERIALIZER).work(burst=True, logging_level="CRITICAL")
    except Exception:  # noqa: BLE001 - refusing the job is the point; how RQ reports it does not matter here
        pass
    assert not marker.exists()
    # Control: RQ's pickle serializer would have run it.
    DefaultSerializer.loads(zlib.decompress(conn.hget(f"rq:job:{job.id}", "data")))  # type: ignore[arg-type]
    assert marker.exists()
    _clear(conn)


#: Commands the ACL user must never run: each would wipe, reconfigure, stall, spy on or stop Redis.
DANGEROUS = [("FLUSHALL",), ("FLUSHDB",), ("CONFIG", "SET", "maxmemory", "1"), ("CONFIG", "GET", "*"),
             ("DEBUG", "SLEEP", "0"), ("KEYS", "*"), ("SHUTDOWN", "NOSAVE"), ("MONITOR",), ("CLIENT", "LIST"),
             ("CLIENT", "KILL", "TYPE", "normal"), ("ACL", "SETUSER", "default", "on", "nopass", "+@all"),
             ("ACL", "LIST"), ("MODULE", "LIST"), ("MODULE", "LOAD", "/nonexistent.so"), ("REPLICAOF", "127.0.0.1", "1"), ("SAVE",), ("BGSAVE",),
             ("SWAPDB", "0", "1"), ("MIGRATE", "127.0.0.1", "1", "k", "0", "10"), ("SLOWLOG", "GET"),
             ("SORT", "rq:queues")]


def test_the_redis_user_runs_shaml_and_nothing_dangerous(acl_redis, factory, tmp_path, redis_prefix):  # noqa: F811
    """The deploy rule, on a real Redis, with the real code: a message through the gateway's inbound
    path and RQ (enqueue, a worker runs the jobs, the reply goes out), a console login with its
    throttle and session, a transcript poll's audit key, Rasa's lock store, the signed channel's
    replay cache and the retention sweep. Then every dangerous command is refused and the data stays."""
    from rasa.core.lock_store import RedisLockStore

    from bot.channels.base import InboundMessage
    from bot.gateway import jobs
    from bot.gateway.inbound import accept
    from bot.models import Message
    from bot.rasa_channel import ReplayCache
    from bot.retention import RetentionPolicy, purge_redis
    from shaml.settings import Settings
    from shaml.web import build_gateway, create_app
    from tests.console.conftest import add_operator, console_env, login
    from tests.fakes.rasa import FakeRasa
    from tests.fakes.twilio import FakeTwilio
    from tests.gateway.conftest import run_worker

    port, password = acl_redis
    url = f"redis://shaml:{password}@127.0.0.1:{port}/0"
    conn = redis.Redis.from_url(url)
    with FakeTwilio() as twilio, FakeRasa() as rasa:
        settings = Settings.from_env(console_env(str(factory.kw["bind"].url.render_as_string(hide_password=False)),
                                                 redis_prefix, twilio.url, rasa.url, SHAML_REDIS_URL=url,
                                                 SHAML_VAR_DIR=str(tmp_path / "var")))
        gateway = build_gateway(settings, factory=factory)
        jobs.configure(gateway)
        try:
            accepted = accept(gateway, InboundMessage(channel="sms", address="+963944555666", provider_id="SM-acl-1",
                                                      body="مرحبا", provider="twilio"))
            again = accept(gateway, InboundMessage(channel="sms", address="+963944555666", provider_id="SM-acl-1",
                                                   body="مرحبا", provider="twilio"))
            assert not accepted.duplicate and again.duplicate  # the dedupe key was written and read
            with pytest.warns(Warning, match="CLIENT SETNAME"):  # refused on purpose: RQ carries on
                run_worker(gateway)
            assert [t.message for t in rasa.turns] == ["مرحبا"]  # the inbound job ran and reached Rasa
            assert len(twilio.sent) == 1  # the outbox job ran and sent the reply
            with factory() as db:
                statuses = {m.direction: m.status for m in db.execute(select(Message)).scalars()}
            assert statuses["in"] == "processed"
            # The console: a bad login (the throttle's counters), a good one (the session), a page.
            add_operator(factory, "huda", "admin")
            with TestClient(create_app(settings, gateway=gateway), follow_redirects=False) as client:
                assert login(client, "huda", "wrong-password-here").status_code == 401
                assert login(client, "huda").status_code == 303
                assert client.get("/console/inbox").status_code == 200
                contact = accepted.contact_id
                from console.public_ids import path

                assert client.get(path("contact", contact, "/rows")).status_code == 200  # the poll's audit key
        finally:
            for name in ("inbound", "outbox"):
                gateway.queue(name).delete(delete_jobs=True)
            gateway.dialogue.close()  # type: ignore[attr-defined]
            gateway.redis.close()
    # Rasa's lock store as `shaml rasa` configures it.
    store = RedisLockStore(host="127.0.0.1", port=port, db=0, username="shaml", password=password, key_prefix="shamlrasa")

    async def one_turn() -> None:
        async with store.lock("12"):
            assert store.get_lock("12") is not None

    asyncio.run(one_turn())
    assert ReplayCache(conn, redis_prefix).first_use("sig") and not ReplayCache(conn, redis_prefix).first_use("sig")
    conn.set(redis_prefix + "rate:sms:x:1", "1")  # a rate key left without an expiry
    assert purge_redis(conn, redis_prefix, RetentionPolicy()) >= 0
    # Now the attacker with the password: nothing dangerous goes through.
    before = sorted(conn.scan_iter(count=1000))
    assert before
    for command in DANGEROUS:
        with pytest.raises(redis.exceptions.NoPermissionError):
            conn.execute_command(*command)
    assert sorted(conn.scan_iter(count=1000)) == before and conn.ping()
    _clear(conn)
    conn.close()


# --- deployment files ----------------------------------------------------------------------------


def _kustomize() -> list[dict[str, Any]]:
    assert shutil.which("kubectl"), "kubectl is needed to render the manifests"
    done = subprocess.run(["kubectl", "kustomize", str(ROOT / "deploy" / "k8s")], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def _allowed(policies: list[dict[str, Any]], source: str, target: str, port: int) -> bool:
    """Whether an ingress rule of some policy selecting ``target`` pods admits ``source`` pods on ``port``."""
    for policy in policies:
        selected = policy["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name")
        if selected != target or "Ingress" not in policy["spec"]["policyTypes"]:
            continue
        for rule in policy["spec"].get("ingress", []):
            ports = {p.get("port") for p in rule.get("ports", [])}
            sources = {f.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name")
                       for f in rule.get("from", [])}
            if port in ports and source in sources:
                return True
    return False


def test_kustomize_output_closes_the_internal_network():
    docs = _kustomize()
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    default_deny = [p for p in policies if p["spec"]["podSelector"] == {}]
    assert default_deny and {"Ingress", "Egress"} <= set(default_deny[0]["spec"]["policyTypes"])
    assert not default_deny[0]["spec"].get("ingress") and not default_deny[0]["spec"].get("egress")
    every = ("web", "worker", "rasa", "actions")
    # Exactly the calls Shaml makes: the gateway (web, worker) to Rasa, Rasa to the action server.
    for source in every:
        assert _allowed(policies, source, "rasa", 5005) is (source in ("web", "worker")), source
        assert _allowed(policies, source, "actions", 5055) is (source == "rasa"), source
        assert not _allowed(policies, source, "worker", 8000)
    # Egress: every app pod may reach PostgreSQL and Redis; only web and worker reach the internet (Twilio).
    egress = {p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name"): p for p in policies
              if "Egress" in p["spec"]["policyTypes"] and p["spec"]["podSelector"]}
    for name in every:
        ports = {port.get("port") for rule in egress[name]["spec"]["egress"] for port in rule.get("ports", [])}
        assert {5432, 6379} <= ports, name
    assert 443 not in {port.get("port") for rule in egress["rasa"]["spec"]["egress"] for port in rule.get("ports", [])}


def test_kustomize_output_holds_no_secret_with_example_values():
    docs = _kustomize()
    assert [d for d in docs if d["kind"] == "Secret"] == []
    kustomization = yaml.safe_load((ROOT / "deploy" / "k8s" / "kustomization.yaml").read_text())
    assert not any("secret" in r for r in kustomization["resources"])
    assert "secretGenerator" not in kustomization
    # The pods still read the Secret the operator creates (deploy/README.md says how).
    for doc in docs:
        if doc["kind"] == "Deployment":
            assert {"secretRef": {"name": "shaml-secrets"}} in doc["spec"]["template"]["spec"]["containers"][0]["envFrom"]


def test_compose_gives_redis_a_password_and_every_service_uses_it():
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
    redis_service = compose["services"]["redis"]
    command = " ".join(redis_service["command"])
    assert "--user default off" in command and "--user shaml on >${REDIS_PASSWORD}" in command
    # Least privilege, and the same rule wherever deploy/ tells an operator how to create the user.
    rule = " ".join(deploy_acl_rule())
    assert "+@all" not in rule and "-@dangerous" in rule and "-@admin" in rule
    for place in ("README.md", "k8s/secret.template.yaml"):
        assert "ACL SETUSER shaml on >" in (ROOT / "deploy" / place).read_text() and rule in (ROOT / "deploy" / place).read_text(), place
    assert "${REDIS_PASSWORD}" in " ".join(redis_service["healthcheck"]["test"])
    shared = compose["x-shaml"]["environment"]
    assert shared["SHAML_REDIS_URL"] == "redis://shaml:${REDIS_PASSWORD}@redis:6379/0"
    example = (ROOT / "deploy" / ".env.example").read_text()
    assert "REDIS_PASSWORD=" in example


# --- a careless deployment -----------------------------------------------------------------------


def _example_environment() -> dict[str, str]:
    """What `kubectl apply` of the template Secret and the ConfigMap would give every pod."""
    k8s = ROOT / "deploy" / "k8s"
    env = dict(yaml.safe_load((k8s / "configmap.yaml").read_text())["data"])
    env.update(yaml.safe_load((k8s / "secret.template.yaml").read_text())["stringData"])
    return env


def _compose_example_environment() -> dict[str, str]:
    """What the compose file gives every service when deploy/.env is the example copied unchanged."""
    example = dict(line.split("=", 1) for line in (ROOT / "deploy" / ".env.example").read_text().splitlines()
                   if line and not line.startswith("#") and "=" in line)
    shared = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())["x-shaml"]["environment"]
    env = {**example}
    for key, value in shared.items():
        env[key] = value.replace("${POSTGRES_PASSWORD}", example["POSTGRES_PASSWORD"]).replace(
            "${REDIS_PASSWORD}", example["REDIS_PASSWORD"])
    return env


@pytest.mark.parametrize("source", [_example_environment, _compose_example_environment])
@pytest.mark.parametrize("command", [["serve"], ["worker"], ["actions"], ["rasa"]])
def test_every_process_refuses_the_example_secrets(shaml_env, monkeypatch, source, command):
    import uvicorn

    from bot.actions import server
    from shaml.cli import cli
    from shaml.commands import gateway as gateway_commands
    from shaml.settings import reset_settings

    def started(*_: Any, **__: Any) -> None:
        raise AssertionError("the process started with the example secrets")

    monkeypatch.setattr(uvicorn, "run", started)
    monkeypatch.setattr(server, "serve", started)
    monkeypatch.setattr(gateway_commands, "run_worker", started)
    env = source()
    for key, value in env.items():
        shaml_env.setenv(key, value)
    reset_settings()
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 1, result.output
    assert "refusing to start" in result.output and "SHAML_RASA_TOKEN is a placeholder" in result.output
    assert "TWILIO_AUTH_TOKEN is a placeholder" in result.output
    assert "SHAML_DATABASE_URL: its password is a placeholder" in result.output
    assert "SHAML_REDIS_URL: its password is a placeholder" in result.output
    # The refusal names each variable and never echoes a value.
    for value in env.values():
        if len(value) > 6 and value.lower() not in ("false", "true"):
            assert value not in result.output, value


@pytest.mark.parametrize("env, why", [
    ({"SHAML_DATABASE_URL": "postgresql://shaml@db.internal:5432/shaml"}, "with a PostgreSQL database"),
    ({"SHAML_PUBLIC_URL": "https://shaml.example.org"}, "with an https SHAML_PUBLIC_URL"),
])
def test_demo_mode_refuses_a_real_deployment(shaml_env, monkeypatch, env, why):
    import uvicorn

    from shaml.cli import cli
    from shaml.settings import reset_settings

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: (_ for _ in ()).throw(AssertionError("started")))
    shaml_env.setenv("SHAML_DEMO", "true")
    for key, value in env.items():
        shaml_env.setenv(key, value)
    reset_settings()
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 1 and why in result.output, result.output


def test_a_well_configured_deployment_passes_the_check():
    from shaml.safety import startup_problems
    from shaml.settings import Settings

    strong = "k" + "7Hq2-xZ9pL4mN8vB3cR6tY1wE5" * 2
    settings = Settings.from_env({
        "SHAML_DATABASE_URL": f"postgresql://shaml:{strong}@db.internal:5432/shaml",
        "SHAML_REDIS_URL": f"redis://shaml:{strong}@redis.internal:6379/0",
        "SHAML_RASA_TOKEN": strong, "TWILIO_AUTH_TOKEN": strong[:32], "SHAML_PUBLIC_URL": "https://shaml.example.org",
        # The default route sends +963 numbers to the gateway phone, so it is configured.
        "SHAML_SMSGATE_API_URL": "http://10.0.0.7:8080", "SHAML_SMSGATE_USERNAME": "sms",
        "SHAML_SMSGATE_PASSWORD": strong[1:25], "SHAML_SMSGATE_SIGNING_KEY": strong[2:30],
    })
    assert startup_problems(settings) == []
    abroad = {"SHAML_SMS_ROUTES": "*=twilio"}  # a deployment for families abroad only: no gateway phone
    open_redis = Settings.from_env({"SHAML_REDIS_URL": "redis://redis.internal:6379/0", "SHAML_RASA_TOKEN": strong,
                                    "TWILIO_AUTH_TOKEN": strong, **abroad})
    assert [p.split(" has no password")[0] for p in startup_problems(open_redis)] == ["SHAML_REDIS_URL"]
    short = Settings.from_env({"SHAML_RASA_TOKEN": "abc123", "TWILIO_AUTH_TOKEN": strong, **abroad})
    assert startup_problems(short) == ["SHAML_RASA_TOKEN is shorter than 16 characters"]
