"""Health checks behind ``shaml doctor``: which services answer, and what is misconfigured."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from shaml.settings import Settings, mask_url


@dataclass(frozen=True)
class Check:
    """One finding: ``status`` is ok, warn or fail; ``detail`` is a plain sentence."""

    name: str
    status: str
    detail: str


def check_database(settings: Settings) -> Check:
    """Can we connect, and is the schema at the newest migration?"""
    from shaml.db import current_revision, head_revision, make_engine

    where = mask_url(settings.database_url)
    try:
        engine = make_engine(settings.database_url)
        revision = current_revision(engine)
        engine.dispose()
    except Exception as exc:  # any driver error means: not reachable
        return Check("database", "fail", f"cannot connect to {where}: {type(exc).__name__}: {exc}")
    head = head_revision()
    if revision is None:
        return Check("database", "fail", f"{where} answers but has no tables: run `shaml db upgrade`")
    if revision != head:
        return Check("database", "fail", f"{where} is at migration {revision}, code needs {head}: run `shaml db upgrade`")
    return Check("database", "ok", f"{where} answers and is at migration {revision}")


def check_redis(settings: Settings) -> Check:
    """Does Redis answer PING?"""
    import redis

    where = mask_url(settings.redis_url)
    try:
        client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        version = client.info("server").get("redis_version", "?")
    except Exception as exc:
        return Check("redis", "fail", f"no answer from {where}: {exc}")
    return Check("redis", "ok", f"{where} answers (Redis {version})")


def check_rasa(settings: Settings) -> Check:
    """Does the Rasa server answer, and is its API protected by a token?"""
    import httpx

    if not settings.rasa_token:
        token_note = "; SHAML_RASA_TOKEN is empty, so Rasa's API would be open to anyone who reaches it"
    else:
        token_note = ""
    try:
        response = httpx.get(f"{settings.rasa_url}/version", timeout=2)
        response.raise_for_status()
        version = response.json().get("version", "?")
    except Exception as exc:
        return Check("rasa", "warn", f"no answer from {settings.rasa_url} ({type(exc).__name__}){token_note}")
    return Check("rasa", "warn" if token_note else "ok", f"Rasa {version} answers at {settings.rasa_url}{token_note}")


def check_twilio(settings: Settings) -> Check:
    """Are Twilio credentials and a public URL Twilio can reach configured?"""
    if not settings.twilio_account_sid or not settings.twilio_auth_token:
        return Check(
            "twilio",
            "warn",
            "TWILIO_ACCOUNT_SID or TWILIO_AUTH_TOKEN is empty: webhooks cannot be verified and nothing can be sent "
            "(fine for the demo, which uses the simulator)",
        )
    if not settings.twilio_account_sid.startswith("AC"):
        return Check("twilio", "fail", "TWILIO_ACCOUNT_SID should start with AC")
    host = urlsplit(settings.public_url).hostname or ""
    if host in {"127.0.0.1", "localhost", "::1"} or not settings.public_url.startswith("https://"):
        return Check(
            "twilio",
            "warn",
            f"SHAML_PUBLIC_URL={settings.public_url} is not a public https address, so Twilio cannot reach "
            "the webhook and signatures will not verify",
        )
    return Check("twilio", "ok", f"credentials set; webhooks expected at {settings.public_url}/twilio/inbound")


def check_safety(settings: Settings) -> Check:
    """Would the processes start? Placeholder or short secrets, an open Redis, demo mode misplaced."""
    from shaml.safety import startup_problems

    problems = startup_problems(settings)
    if problems:
        return Check("safety", "fail", "the processes will refuse to start: " + "; ".join(problems))
    return Check("safety", "ok", "secrets and modes are fit to start")


def run_checks(settings: Settings) -> Iterator[Check]:
    """Every check, in the order a newcomer should fix them."""
    yield check_safety(settings)
    yield check_database(settings)
    yield check_redis(settings)
    yield check_rasa(settings)
    yield check_twilio(settings)
