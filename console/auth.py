"""Operator authentication: argon2 password hashes, Redis-backed sessions, CSRF tokens, login throttling."""

from __future__ import annotations

import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: Roles an operator account can have. An operator sees the queue and what they hold; a supervisor
#: sees every case and may reveal numbers; an admin also manages imports, accounts and the audit log.
ROLES = ("operator", "supervisor", "admin")
#: Shortest password ``shaml operator add`` accepts.
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# Verifying against this keeps an unknown username as slow as a wrong password (no user enumeration).
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` for ``Operator.password_hash``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches the stored hash; takes the same time when there is no hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """A random password an operator can type on a phone: 4 groups of 4 letters and digits."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


@dataclass
class SessionData:
    """What a browser session holds: its CSRF token and, once logged in, the operator."""

    sid: str
    csrf: str
    #: Unix time of the login (absolute lifetime); 0 for an anonymous session.
    started: float = 0.0
    operator_id: int | None = None
    role: str | None = None
    username: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def authenticated(self) -> bool:
        """Whether an operator is logged in on this session."""
        return self.operator_id is not None

    def csrf_ok(self, token: str | None) -> bool:
        """Whether a submitted CSRF token is this session's (constant-time comparison)."""
        return bool(token) and hmac.compare_digest(self.csrf, str(token))


class SessionStore:
    """Server-side sessions in Redis: the cookie holds only a random id, so logout and rotation are real.

    Anonymous sessions (login page, demo simulator) live ``anonymous_ttl`` seconds; logged-in ones
    ``ttl`` seconds after their last use, and never more than ``max_age`` seconds after the login.
    """

    def __init__(self, client: redis.Redis, prefix: str, *, ttl: int = 3600, anonymous_ttl: int = 3600,
                 max_age: int = 12 * 3600) -> None:
        self.client = client
        self.prefix = prefix
        self.ttl = ttl
        self.anonymous_ttl = anonymous_ttl
        self.max_age = max_age

    def _key(self, sid: str) -> str:
        return f"{self.prefix}console:session:{sid}"

    def new(self) -> SessionData:
        """A fresh anonymous session (not stored until :meth:`save`)."""
        return SessionData(sid=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32))

    def load(self, sid: str | None) -> SessionData | None:
        """The session with this id, or None when it is unknown or expired."""
        if not sid or len(sid) > 100:
            return None
        raw = self.client.get(self._key(sid))
        if raw is None:
            return None
        data = json.loads(raw)
        started = float(data.get("started") or 0)
        if data.get("operator_id") is not None and time.time() - started > self.max_age:
            self.destroy(sid)  # past its absolute lifetime: log in again
            return None
        return SessionData(
            sid=sid,
            csrf=data["csrf"],
            started=started,
            operator_id=data.get("operator_id"),
            role=data.get("role"),
            username=data.get("username"),
            extra=data.get("extra") or {},
        )

    def save(self, session: SessionData) -> None:
        """Store the session and restart its lifetime."""
        payload = {
            "csrf": session.csrf,
            "started": session.started,
            "operator_id": session.operator_id,
            "role": session.role,
            "username": session.username,
            "extra": session.extra,
        }
        ttl = self.ttl if session.authenticated else self.anonymous_ttl
        if session.authenticated:
            ttl = max(1, min(ttl, int(session.started + self.max_age - time.time())))
        self.client.set(self._key(session.sid), json.dumps(payload), ex=ttl)

    def destroy(self, sid: str) -> None:
        """Forget a session (logout, or the old id at rotation)."""
        self.client.delete(self._key(sid))

    def rotate(self, old: SessionData, *, operator_id: int, role: str, username: str) -> SessionData:
        """Log in: a new session id and CSRF token replace the old ones, which stop working at once."""
        self.destroy(old.sid)
        fresh = self.new()
        fresh.operator_id, fresh.role, fresh.username = operator_id, role, username
        fresh.started = time.time()
        fresh.extra = {k: v for k, v in old.extra.items() if k == "lang"}
        self.save(fresh)
        return fresh


def client_address(peer: str | None, forwarded_for: str | None, trusted: tuple[str, ...]) -> str:
    """The real client of a request: the peer, unless the peer is a trusted proxy, in which case the
    rightmost X-Forwarded-For address that is not itself a trusted proxy. An untrusted peer's header is
    ignored (anyone can write one), so nobody can pick the address the throttle counts against."""
    import ipaddress

    networks = [ipaddress.ip_network(n, strict=False) for n in trusted]

    def is_trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in networks)

    current = peer or "unknown"
    if not networks or not is_trusted(current) or not forwarded_for:
        return current
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        current = hop
        if not is_trusted(hop):
            break
    return current


class LoginThrottle:
    """Counts failed logins per username and per client address in Redis; too many locks both out a while.

    Behind a proxy the address is the real client's (:func:`client_address` with SHAML_TRUSTED_PROXIES),
    so one operator's mistakes do not lock out everyone who shares the proxy."""

    def __init__(self, client: redis.Redis, prefix: str, *, limit: int = 5, window_seconds: int = 900) -> None:
        self.client = client
        self.prefix = prefix
        self.limit = limit
        self.window = window_seconds

    def _keys(self, username: str, address: str) -> list[str]:
        user = hmac.new(b"shaml-login", username.strip().lower().encode(), "sha256").hexdigest()[:24]
        return [f"{self.prefix}console:fail:user:{user}", f"{self.prefix}console:fail:addr:{address}"]

    def blocked(self, username: str, address: str) -> bool:
        """Whether this username or this address has failed too often within the window."""
        counts = self.client.mget(self._keys(username, address))
        return any(int(c or 0) >= self.limit for c in counts)

    def failed(self, username: str, address: str) -> None:
        """Count one failed attempt against both the username and the address."""
        pipe = self.client.pipeline()
        for key in self._keys(username, address):
            pipe.incr(key)
            # Each failure restarts the window, so an attacker who keeps trying stays locked out.
            pipe.expire(key, self.window)
        pipe.execute()

    def succeeded(self, username: str, address: str) -> None:
        """A correct login clears the username's count (the address keeps its own)."""
        self.client.delete(self._keys(username, address)[0])
