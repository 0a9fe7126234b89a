"""The one-command demo: prepare the data and model, start every process, print where to look."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import redis
from sqlalchemy import select

from shaml.demo_fakes import demo_env
from shaml.settings import Settings
from shaml.supervisor import Child, Supervisor

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "registry.csv"
SAMPLE_SOURCE = "sample"


class DemoError(RuntimeError):
    """The demo cannot start; the message says what to do."""


def _port(url: str, default: int) -> int:
    return urlsplit(url).port or default


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def prepare_data(settings: Settings, echo: Callable[[str], None]) -> None:
    """Migrate the database and load the synthetic sample registry (idempotent)."""
    from matching.importer import import_csv
    from matching.store import RegistrySource
    from shaml.db import make_engine, session_factory, upgrade

    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    factory = session_factory(engine)
    report = import_csv(factory, SAMPLE, source=SAMPLE_SOURCE, batch_size=settings.import_batch_size)
    with factory() as session, session.begin():
        source = session.get(RegistrySource, SAMPLE_SOURCE)
        if source is not None:
            # The sample is a released list whose source allows "on the released list" confirmations.
            source.label = "Synthetic sample list (demo)"
            source.allow_public_confirmation = True
    engine.dispose()
    echo(f"registry: {report.inserted} added, {report.unchanged + report.updated} already there (synthetic sample)")


def admin_password(settings: Settings) -> str:
    """Create the demo's ``admin`` account, or give it a fresh password; returns the password."""
    from bot.models import Operator
    from console.auth import generate_password, hash_password
    from console.routes.admin import create_operator
    from shaml.db import make_engine, session_factory

    engine = make_engine(settings.database_url)
    factory = session_factory(engine)
    password = generate_password()
    with factory() as session, session.begin():
        existing = session.execute(select(Operator).where(Operator.username == "admin")).scalar_one_or_none()
        if existing is None:
            create_operator(session, "admin", "admin", password, "مدير العرض", by=None)
        else:
            existing.password_hash = hash_password(password)
            existing.role = "admin"
            existing.active = True
            existing.failed_logins = 0
    engine.dispose()
    return password


def train_model(echo: Callable[[str], None]) -> None:
    """Train the Rasa model when its inputs changed, showing Rasa's own progress."""
    from shaml.commands.assistant import needs_training

    if not needs_training():
        echo("model: up to date")
        return
    echo("model: training the Arabic assistant (first run only; a few minutes on 2 cores)…")
    result = subprocess.run([sys.executable, "-m", "shaml", "train"], cwd=ROOT, check=False)
    if result.returncode != 0:
        raise DemoError("training failed; the lines above say why")


def redis_child(settings: Settings, env: dict[str, str], var: Path) -> Child | None:
    """Use Redis at SHAML_REDIS_URL, or a private redis-server when none answers there."""
    try:
        redis.Redis.from_url(settings.redis_url, socket_connect_timeout=1).ping()
        return None
    except redis.RedisError:
        pass
    binary = shutil.which("redis-server")
    if binary is None:
        raise DemoError(
            f"no Redis answers at {settings.redis_url} and redis-server is not installed; "
            "install it (Debian/Ubuntu: sudo apt-get install redis-server) or set SHAML_REDIS_URL"
        )
    port = _free_port()
    (var / "redis").mkdir(parents=True, exist_ok=True)
    env["SHAML_REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    return Child(
        "redis",
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(var / "redis")],
    )


def build_stack(settings: Settings, *, log: Callable[[str], None] | None = None) -> tuple[Supervisor, dict[str, str]]:
    """The supervisor with every Shaml process configured; returns it and the children's environment."""
    env = dict(os.environ)
    env["SHAML_DEMO"] = "true"
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if not settings.rasa_token:
        env["SHAML_RASA_TOKEN"] = secrets.token_urlsafe(24)  # Rasa's API is never open, even in the demo
    web_port = _port(settings.public_url, 8000)
    rasa_port = _port(settings.rasa_url, 5005)
    actions_port = _port(settings.actions_url, 5055)
    for name, port in (("web service", web_port), ("Rasa", rasa_port), ("action server", actions_port)):
        if _port_taken(port):
            raise DemoError(f"port {port} for the {name} is already in use; stop what uses it or change its SHAML_ URL")
    redis_proc = redis_child(settings, env, settings.var_dir)
    # Telegram, the SMS gateway phone and Twilio are local fakes in the demo (shaml.demo_fakes): the real
    # channel code talks to them, the simulator shows what they received, and nothing leaves the laptop.
    fakes_port = _free_port()
    env.update(demo_env(f"http://127.0.0.1:{fakes_port}"))
    supervisor = Supervisor(env, log=log)
    py = [sys.executable, "-m", "shaml"]
    children = [
        *([redis_proc] if redis_proc else []),
        Child("fakes", [sys.executable, "-m", "shaml.demo_fakes", "--port", str(fakes_port)],
              ready_url=f"http://127.0.0.1:{fakes_port}/healthz"),
        Child("rasa", [*py, "rasa", "--host", "127.0.0.1", "--port", str(rasa_port)],
              ready_url=f"{settings.rasa_url}/status", ready_params={"token": env["SHAML_RASA_TOKEN"]}),
        Child("actions", [*py, "actions", "--port", str(actions_port)],
              ready_url=f"{settings.actions_url.rsplit('/webhook', 1)[0]}/health"),
        Child("web", [*py, "serve", "--host", "127.0.0.1", "--port", str(web_port)],
              ready_url=f"{settings.public_url}/readyz"),
        Child("worker", [*py, "worker"]),
    ]
    for child in children:
        supervisor.start(child)
    return supervisor, env


def stop_on_signals() -> None:
    """Ctrl-C, SIGTERM and SIGHUP all stop the demo cleanly, even when the shell ignored SIGINT."""

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)


def run(settings: Settings, echo: Callable[[str], None]) -> int:
    """``make demo``: prepare, start everything, print the URLs, run until Ctrl-C."""
    started = time.monotonic()
    stop_on_signals()
    prepare_data(settings, echo)
    train_model(echo)
    password = admin_password(settings)
    supervisor, _env = build_stack(settings)
    try:
        supervisor.wait_ready(300, echo)
        echo("")
        echo("=" * 72)
        echo(f"Shaml is running (ready in {time.monotonic() - started:.0f} s). Ctrl-C stops everything.")
        echo(f"  phone simulator : {settings.public_url}/simulator   (open in demo mode)")
        echo(f"  operator console: {settings.public_url}/console/   user: admin   password: {password}")
        echo("  try: on the family phone send 1, then answer the questions; on the other phone send 2")
        echo("  inside Syria: the Telegram phone and the SMS gateway phone go through /telegram/webhook and")
        echo("  /smsgate/webhook to local fakes of Telegram and the gateway; `shaml demo --script` plays them")
        echo("=" * 72)
        while supervisor.dead() is None:
            time.sleep(0.5)
        gone = supervisor.dead()
        assert gone is not None and gone.proc is not None
        echo(f"{gone.name} stopped (exit code {gone.proc.returncode}); stopping the rest")
        return 1
    except KeyboardInterrupt:
        echo("\nstopping…")
        return 0
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not leave children behind
        supervisor.stop()
        echo("all processes stopped")
