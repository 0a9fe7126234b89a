"""Who may do what: the logged-in operator, role checks, CSRF checks, security headers, safe redirects."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from bot.models import Operator
from console.auth import SessionData
from console.deps import ConsoleDeps

COOKIE = "shaml_console"
LANG_COOKIE = "shaml_lang"

#: No inline script or style anywhere, so an injected tag cannot run even if escaping failed.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class NeedLogin(Exception):
    """No operator is logged in (pages redirect to the login form; API routes answer 401)."""


class Forbidden(Exception):
    """The operator's role does not allow this (403)."""


class BadCsrf(Exception):
    """A form arrived without this session's CSRF token (403)."""


class NeedMfa(Exception):
    """SHAML_CONSOLE_REQUIRE_MFA is on and this operator has not enrolled a second factor yet."""


class NotFound(Exception):
    """The thing asked for does not exist (404)."""


class BadText(Exception):
    """A form or query value holds a NUL character, which no text field can store (400)."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


def has_nul(values: Iterable[object]) -> bool:
    """True when one of ``values`` is text holding U+0000 (PostgreSQL text cannot, so it is refused)."""
    return any(isinstance(v, str) and "\x00" in v for v in values)


@dataclass(frozen=True)
class Actor:
    """The operator behind a request."""

    id: int
    username: str
    display_name: str
    role: str
    #: Whether the account has a TOTP second factor enrolled.
    mfa: bool = False

    @property
    def sees_all(self) -> bool:
        """Supervisors and admins read every conversation and registration and may reveal numbers."""
        return self.role in ("supervisor", "admin")

    @property
    def is_admin(self) -> bool:
        """Admins also manage imports, accounts and the audit log."""
        return self.role == "admin"


def deps_of(request: Request) -> ConsoleDeps:
    """The injected dependencies."""
    return request.app.state.deps  # type: ignore[no-any-return]


def session_of(request: Request) -> SessionData:
    """This request's session (anonymous until login)."""
    return request.state.session  # type: ignore[no-any-return]


def csrf_token(request: Request) -> str:
    """The session's CSRF token for a form; using it keeps an anonymous session alive."""
    request.state.session_dirty = True
    return session_of(request).csrf


def _load_actor(deps: ConsoleDeps, operator_id: int) -> Actor | None:
    with deps.factory() as db:
        op = db.get(Operator, operator_id)
        if op is None or not op.active:
            return None
        return Actor(id=int(op.id), username=op.username, display_name=op.display_name or op.username, role=op.role,
                     mfa=op.mfa_enabled_at is not None)


async def optional_actor(request: Request) -> Actor | None:
    """The logged-in, still active operator, or None. A deactivated account loses its session at once."""
    if hasattr(request.state, "actor"):
        cached: Actor | None = request.state.actor
        return cached
    session = session_of(request)
    actor = None
    if session.operator_id is not None:
        actor = await run_in_threadpool(_load_actor, deps_of(request), session.operator_id)
        if actor is None:
            await run_in_threadpool(request.app.state.sessions.destroy, session.sid)
            request.state.session = request.app.state.sessions.new()
    request.state.actor = actor
    return actor


async def enrolment_allowed(request: Request) -> Actor:
    """Any logged-in operator, enrolled in the second factor or not (the enrolment page itself)."""
    actor = await optional_actor(request)
    if actor is None:
        raise NeedLogin()
    return actor


async def operator_required(request: Request) -> Actor:
    """Any logged-in operator or admin; with SHAML_CONSOLE_REQUIRE_MFA, only once they have enrolled a
    second factor (until then every page sends them to enrolment)."""
    actor = await enrolment_allowed(request)
    if deps_of(request).require_mfa and not actor.mfa:
        raise NeedMfa()
    return actor


async def admin_required(request: Request) -> Actor:
    """An admin only."""
    actor = await operator_required(request)
    if not actor.is_admin:
        raise Forbidden()
    return actor


async def csrf_protect(request: Request) -> None:
    """Every state-changing request carries the session's CSRF token (form field or header), and no
    form value holds a NUL character (refused with 400 before any route reads it)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    token = request.headers.get("x-csrf-token")
    form = await request.form()  # parsed once and cached; empty for a JSON body
    if token is None:
        value = form.get("csrf")
        token = value if isinstance(value, str) else None
    if not session_of(request).csrf_ok(token):
        raise BadCsrf()
    if has_nul(value for _, value in form.multi_items()):
        raise BadText("form")


def safe_next(target: str | None, default: str = "/console/") -> str:
    """A redirect target inside the console only (no other host, no scheme tricks)."""
    if not target or not target.startswith("/console") or target.startswith("//") or "\\" in target:
        return default
    return target


def security_headers(*, static: bool = False, hsts: bool = False) -> dict[str, str]:
    """Headers on every console response; ``hsts`` (served over https) adds Strict-Transport-Security."""
    headers = {
        "Content-Security-Policy": CSP,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if hsts:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    # Pages hold personal data: never keep them in a shared phone's cache.
    headers["Cache-Control"] = "public, max-age=3600" if static else "no-store"
    return headers
