"""Operators' second factor (TOTP, RFC 6238) and administrator-issued one-time password-reset links.

TOTP: HMAC-SHA1 over the 30-second time step, dynamic truncation to 6 digits (RFC 4226 §5.3), as
every authenticator app computes it. A code is accepted for the current step or one either side
(clock drift), and never twice: the last accepted step is kept on the account.

Reset: ``shaml operator reset-password NAME`` draws a 256-bit token, stores only its SHA-256 and an
expiry, and prints the link once. The link sets a new password and is spent by it; issuing another
replaces it. No old password is ever shown (none is kept in a form that could be).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Operator
from console import audit
from console.auth import MIN_PASSWORD_LENGTH, hash_password
from matching.store import utcnow

#: Seconds per TOTP time step, digits per code (the values authenticator apps assume).
STEP_SECONDS = 30
DIGITS = 6
#: Steps either side of now that are still accepted (a phone's clock a little off).
DRIFT_STEPS = 1
#: Issuer shown by the authenticator app.
ISSUER = "Shaml"
#: How long a reset link works, by default (hours).
RESET_HOURS = 24


def new_secret() -> str:
    """A fresh TOTP secret: 160 random bits as base32 (what the operator types or the app reads)."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    clean = secret.replace(" ", "").upper()
    return base64.b32decode(clean + "=" * (-len(clean) % 8))


def code_at(secret: str, step: int, digits: int = DIGITS, digest: str = "sha1") -> str:
    """The code for time step ``step`` (RFC 4226 HOTP with the step as counter)."""
    mac = hmac.new(_key(secret), struct.pack(">Q", step), digest).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def current_step(now: float | None = None) -> int:
    """The time step of ``now`` (Unix seconds)."""
    return int((time.time() if now is None else now) // STEP_SECONDS)


def matching_step(secret: str, code: str, now: float | None = None, *, after: int | None = None) -> int | None:
    """The step whose code is ``code`` (now, or one step either side), later than ``after``; else None."""
    typed = "".join(ch for ch in str(code) if not ch.isspace())
    typed = "".join(str(int(ch)) if ch.isdigit() else ch for ch in typed)  # Arabic-Indic digits too
    if len(typed) != DIGITS or not typed.isdecimal():
        return None
    here = current_step(now)
    for step in range(here - DRIFT_STEPS, here + DRIFT_STEPS + 1):
        if (after is None or step > after) and hmac.compare_digest(code_at(secret, step), typed):
            return step
    return None


def otpauth_uri(secret: str, username: str) -> str:
    """The ``otpauth://`` URI authenticator apps import (Key URI format)."""
    label = quote(f"{ISSUER}:{username}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={quote(ISSUER)}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}"


def check_code(db: Session, op: Operator, code: str, now: float | None = None) -> bool:
    """Whether ``code`` is a fresh code of this operator's enrolled secret; a good one is spent."""
    if not op.totp_secret:
        return False
    step = matching_step(op.totp_secret, code, now, after=op.totp_last_step)
    if step is None:
        return False
    op.totp_last_step = step
    return True


def enable(db: Session, op: Operator, secret: str, code: str, now: float | None = None) -> bool:
    """Enrol ``secret`` once the operator proves their app holds it (a correct code); audited."""
    step = matching_step(secret, code, now)
    if step is None:
        return False
    op.totp_secret, op.totp_last_step, op.mfa_enabled_at = secret, step, utcnow()
    audit.record(db, "mfa_enabled", operator_id=int(op.id), subject_type="operator", subject_id=op.id)
    return True


def clear(db: Session, op: Operator, *, by: int | None) -> None:
    """Remove the second factor (a lost phone); the operator enrols again at the next login. Audited."""
    op.totp_secret, op.totp_last_step, op.mfa_enabled_at = None, None, None
    audit.record(db, "mfa_cleared", operator_id=by, subject_type="operator", subject_id=op.id,
                 detail={"via": "console" if by else "command line"})


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_reset(db: Session, op: Operator, *, hours: float = RESET_HOURS, by: int | None = None) -> str:
    """A new one-time reset token for ``op`` (any earlier one stops working); only its hash is kept. Audited."""
    token = secrets.token_urlsafe(32)
    op.reset_token_hash = _digest(token)
    op.reset_expires_at = utcnow() + dt.timedelta(hours=hours)
    audit.record(db, "password_reset_issued", operator_id=by, subject_type="operator", subject_id=op.id,
                 detail={"hours": hours, "via": "console" if by else "command line"})
    return token


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


def reset_holder(db: Session, token: str) -> Operator | None:
    """The active operator a live reset token belongs to, or None (unknown, spent, expired, inactive)."""
    if not token or len(token) > 100:
        return None
    op = db.execute(select(Operator).where(Operator.reset_token_hash == _digest(token))).scalar_one_or_none()
    expires = _aware(op.reset_expires_at) if op is not None else None
    if op is None or not op.active or expires is None or expires <= utcnow():
        return None
    return op


class ResetError(ValueError):
    """Why a reset was refused: an i18n key (``err_*``)."""


def use_reset(db: Session, token: str, password: str, again: str, code: str = "") -> Operator:
    """Set a new password through a reset link; the link is spent. Enrolled operators also give a
    TOTP code (a leaked link alone is not enough). Raises :class:`ResetError`."""
    op = reset_holder(db, token)
    if op is None:
        raise ResetError("err_reset_invalid")
    if password != again:
        raise ResetError("err_passwords_differ")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ResetError("err_short_password")
    if op.totp_secret and not check_code(db, op, code):
        raise ResetError("err_mfa_code")
    op.password_hash = hash_password(password)
    op.reset_token_hash, op.reset_expires_at, op.failed_logins = None, None, 0
    audit.record(db, "password_reset_used", operator_id=int(op.id), subject_type="operator", subject_id=op.id)
    return op
