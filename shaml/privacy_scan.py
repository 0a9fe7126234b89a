"""The leaked-dump test: look for people's numbers, names and words in every table, every Redis key and every log.

Reads as an attacker holding a dump would: every table with plain SQL (Rasa's tracker tables
included), every Redis key and value under the given prefixes (RQ's compressed job payloads
unpacked), and the logs. Each secret is looked for as written, in the forms software writes it
(without the +, national form, JSON's \\uXXXX escapes) and in base64 at every alignment.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine

#: Shorter needles match by chance (a base64 core of 8 characters is about 48 bits).
MIN_CORE = 8


@dataclass(frozen=True)
class Finding:
    """Where a secret was found: the place (table, Redis key, log), the kind of secret and the form."""

    place: str
    what: str
    form: str


def _b64_cores(raw: bytes) -> set[str]:
    """Base64 (standard and URL-safe) of ``raw`` at the three byte alignments, edges trimmed."""
    cores = set()
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + raw).decode().rstrip("=")
        core = encoded[(pad * 4 + 2) // 3 + 1 : -2]
        if len(core) >= MIN_CORE:
            cores |= {core, core.replace("+", "-").replace("/", "_")}
    return cores


def needles(secrets: dict[str, Iterable[str]]) -> dict[str, tuple[str, str]]:
    """Every form of every secret → (kind, form name). ``secrets`` maps a kind ("phone", "name") to values."""
    found: dict[str, tuple[str, str]] = {}
    for kind, values in secrets.items():
        for value in values:
            value = value.strip()
            if len(value) < 4:
                continue
            forms = {value: "plain", json.dumps(value)[1:-1]: "json-escaped"}
            if value.startswith("+963"):
                forms |= {value[1:]: "without +", "0" + value[4:]: "national"}
            for form, name in list(forms.items()):
                for core in _b64_cores(form.encode("utf-8")):
                    forms.setdefault(core, f"base64 of {name}")
            for form, name in forms.items():
                found.setdefault(form, (kind, name))
    return found


def scan_text(place: str, body: str, wanted: dict[str, tuple[str, str]]) -> list[Finding]:
    """Findings of ``wanted`` in one text."""
    return [Finding(place, kind, form) for needle, (kind, form) in wanted.items() if needle in body]


def scan_database(engine: Engine, wanted: dict[str, tuple[str, str]], skip: tuple[str, ...] = ()) -> tuple[int, list[Finding]]:
    """(tables read, findings): every row of every table in the public schema, as text, but ``skip``."""
    findings: list[Finding] = []
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
        else:
            tables = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars().all()
        tables = [t for t in tables if t not in skip]
        for table in tables:
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
            body = "\n".join("\t".join("" if v is None else str(v) for v in row) for row in rows)
            findings += scan_text(f"table {table}", body, wanted)
    return len(tables), findings


def _redis_values(client, key: bytes) -> list[bytes]:  # type: ignore[no-untyped-def]
    kind = client.type(key).decode()
    if kind == "string":
        return [client.get(key) or b""]
    if kind == "hash":
        return [b for pair in client.hgetall(key).items() for b in pair]
    if kind == "list":
        return list(client.lrange(key, 0, -1))
    if kind == "set":
        return list(client.smembers(key))
    if kind == "zset":
        return [m for m, _ in client.zrange(key, 0, -1, withscores=True)]
    if kind == "stream":
        return [repr(e).encode() for e in client.xrange(key)]
    return []


def _readable(raw: bytes) -> str:
    parts = [raw.decode("utf-8", errors="replace")]
    try:
        parts.append(zlib.decompress(raw).decode("utf-8", errors="replace"))  # RQ's job payloads
    except zlib.error:
        pass
    return "\n".join(parts)


def scan_redis(client, patterns: Iterable[str], wanted: dict[str, tuple[str, str]]) -> tuple[int, list[Finding]]:  # type: ignore[no-untyped-def]
    """(keys read, findings): the names and values of every key matching ``patterns``."""
    findings: list[Finding] = []
    seen = 0
    for pattern in patterns:
        for key in client.scan_iter(match=pattern, count=1000):
            seen += 1
            body = "\n".join([_readable(key)] + [_readable(v) for v in _redis_values(client, key)])
            findings += scan_text(f"redis {key.decode(errors='replace')[:60]}", body, wanted)
    return seen, findings
