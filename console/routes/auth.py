"""Login (password, then a TOTP code for enrolled operators), logout, the language toggle, enrolment in
the second factor, and the page a one-time password-reset link opens."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from bot.models import Operator
from console import audit, mfa
from console.auth import client_address, verify_password
from console.i18n import LANGUAGES
from console.render import render
from console.security import (
    LANG_COOKIE,
    Actor,
    NotFound,
    csrf_protect,
    deps_of,
    enrolment_allowed,
    optional_actor,
    safe_next,
    session_of,
)
from matching.store import utcnow

router = APIRouter()
log = logging.getLogger(__name__)


@router.get("/login")
async def login_form(request: Request, next: str = "/console/") -> Response:  # noqa: A002
    """The login form (an already logged-in operator goes straight on)."""
    if await optional_actor(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "error_key": None})


def _check(request: Request, username: str, password: str) -> tuple[Operator | None, bool]:
    """(operator, throttled): the operator when the password is right and the account active."""
    deps = deps_of(request)
    throttle = request.app.state.throttle
    address = client_address(request.client.host if request.client else None,
                              request.headers.get("x-forwarded-for"), deps.trusted_proxies)
    if throttle.blocked(username, address):
        log.warning("console login refused: too many failures for this username or address")
        with deps.factory() as db, db.begin():
            audit.record(db, "login_throttled", operator_id=None, detail={"username": username[:100]})
        return None, True
    with deps.factory() as db, db.begin():
        op = db.execute(
            select(Operator).where(func.lower(Operator.username) == username.strip().lower())
        ).scalar_one_or_none()
        ok = verify_password(op.password_hash if op is not None else None, password)
        if op is not None and ok and op.active:
            if op.mfa_enabled_at is not None:
                # The password is right; the login completes only with a code (POST /login/code).
                audit.record(db, "mfa_code_awaited", operator_id=int(op.id), subject_type="operator", subject_id=op.id)
                db.flush()
                db.expunge(op)
                return op, False
            op.failed_logins = 0
            op.last_login_at = utcnow()
            audit.record(db, "login", operator_id=int(op.id), subject_type="operator", subject_id=op.id)
            log.info("console login: operator %s", op.id)
            throttle.succeeded(username, address)
            db.flush()
            db.expunge(op)
            return op, False
        if op is not None:
            op.failed_logins = (op.failed_logins or 0) + 1
        audit.record(db, "login_failed", operator_id=None, detail={"username": username[:100]})
        log.info("console login failed")
    throttle.failed(username, address)
    return None, False


@router.post("/login", dependencies=[Depends(csrf_protect)])
async def login(
    request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/console/")  # noqa: A002
) -> Response:
    """Check the password; on success the session id is replaced (no fixation) and the operator goes on."""
    op, throttled = await run_in_threadpool(_check, request, username[:100], password[:200])
    if throttled:
        return render(request, "login.html", {"next": safe_next(next), "error_key": "login_throttled"}, status_code=429)
    if op is None:
        return render(request, "login.html", {"next": safe_next(next), "error_key": "login_failed"}, status_code=401)
    if op.mfa_enabled_at is not None:
        session = session_of(request)
        session.extra["mfa_pending"] = {"op": int(op.id), "user": op.username, "at": time.time(), "next": safe_next(next)}
        request.state.session_dirty = True
        return RedirectResponse("/console/login/code", status_code=303)
    fresh = await run_in_threadpool(
        request.app.state.sessions.rotate, session_of(request), operator_id=int(op.id), role=op.role, username=op.username
    )
    request.state.session = fresh
    request.state.session_dirty = True
    return RedirectResponse(safe_next(next), status_code=303)


#: Seconds between a right password and its code before the login must start again.
CODE_WAIT_SECONDS = 300


def _pending(request: Request) -> dict | None:  # type: ignore[type-arg]
    """The half-done login of this browser (password right, code not yet given), if still fresh."""
    pending = session_of(request).extra.get("mfa_pending")
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > CODE_WAIT_SECONDS:
        return None
    return pending


@router.get("/login/code")
async def login_code_form(request: Request) -> Response:
    """The second step of an enrolled operator's login: the code from their authenticator app."""
    if _pending(request) is None:
        return RedirectResponse("/console/login", status_code=303)
    return render(request, "login_code.html", {"error_key": None})


def _check_code(request: Request, pending: dict, code: str) -> tuple[bool, bool]:  # type: ignore[type-arg]
    """(ok, throttled): the code checked against the account, throttled like passwords (per account and address)."""
    deps = deps_of(request)
    throttle = request.app.state.throttle
    address = client_address(request.client.host if request.client else None,
                              request.headers.get("x-forwarded-for"), deps.trusted_proxies)
    username = str(pending.get("user", ""))
    if throttle.blocked(username, address):
        with deps.factory() as db, db.begin():
            audit.record(db, "login_throttled", operator_id=None, detail={"username": username[:100], "step": "code"})
        return False, True
    with deps.factory() as db, db.begin():
        op = db.get(Operator, int(pending["op"]))
        if op is not None and op.active and mfa.check_code(db, op, code):
            op.failed_logins = 0
            op.last_login_at = utcnow()
            audit.record(db, "login", operator_id=int(op.id), subject_type="operator", subject_id=op.id,
                         detail={"mfa": True})
            throttle.succeeded(username, address)
            return True, False
        if op is not None:
            op.failed_logins = (op.failed_logins or 0) + 1
        audit.record(db, "mfa_failed", operator_id=None, subject_type="operator", subject_id=pending.get("op"))
    throttle.failed(username, address)
    return False, False


@router.post("/login/code", dependencies=[Depends(csrf_protect)])
async def login_code(request: Request, code: str = Form("")) -> Response:
    """Check the code; on success the session id is replaced and the operator is logged in."""
    pending = _pending(request)
    if pending is None:
        return RedirectResponse("/console/login", status_code=303)
    ok, throttled = await run_in_threadpool(_check_code, request, pending, code[:20])
    if throttled:
        return render(request, "login_code.html", {"error_key": "login_throttled"}, status_code=429)
    if not ok:
        return render(request, "login_code.html", {"error_key": "err_mfa_code"}, status_code=401)

    def load() -> Operator | None:
        with deps_of(request).factory() as db:
            return db.get(Operator, int(pending["op"]))

    op = await run_in_threadpool(load)
    if op is None:
        return RedirectResponse("/console/login", status_code=303)
    session_of(request).extra.pop("mfa_pending", None)
    fresh = await run_in_threadpool(
        request.app.state.sessions.rotate, session_of(request), operator_id=int(op.id), role=op.role, username=op.username
    )
    request.state.session = fresh
    request.state.session_dirty = True
    return RedirectResponse(safe_next(str(pending.get("next", "/console/"))), status_code=303)


def _mfa_state(deps, actor: Actor) -> bool:  # type: ignore[no-untyped-def]
    with deps.factory() as db:
        op = db.get(Operator, actor.id)
        return op is not None and op.mfa_enabled_at is not None


def _enrolment_page(request: Request, actor: Actor, *, error_key: str | None = None, notice_key: str | None = None,
                    status_code: int = 200) -> Response:
    session = session_of(request)
    secret = session.extra.get("mfa_secret")
    if not isinstance(secret, str):
        secret = session.extra["mfa_secret"] = mfa.new_secret()
        request.state.session_dirty = True
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render(request, "mfa.html", {"enrolled": False, "secret": grouped, "uri": mfa.otpauth_uri(secret, actor.username),
                                        "error_key": error_key, "notice_key": notice_key,
                                        "required": deps_of(request).require_mfa}, status_code=status_code)


@router.get("/mfa")
async def mfa_page(request: Request, actor: Actor = Depends(enrolment_allowed)) -> Response:
    """The operator's second factor: enrolled, or a new secret (text and otpauth URI) to add to an app."""
    if await run_in_threadpool(_mfa_state, deps_of(request), actor):
        return render(request, "mfa.html", {"enrolled": True, "error_key": None, "notice_key": None,
                                            "required": deps_of(request).require_mfa})
    return _enrolment_page(request, actor)


@router.post("/mfa", dependencies=[Depends(csrf_protect)])
async def mfa_enrol(request: Request, code: str = Form(""), actor: Actor = Depends(enrolment_allowed)) -> Response:
    """Confirm enrolment with a code from the app; from then on every login asks for a code."""
    deps = deps_of(request)
    secret = session_of(request).extra.get("mfa_secret")
    if not isinstance(secret, str) or await run_in_threadpool(_mfa_state, deps, actor):
        return RedirectResponse("/console/mfa", status_code=303)

    def work() -> bool:
        with deps.factory() as db, db.begin():
            op = db.get(Operator, actor.id)
            return op is not None and mfa.enable(db, op, secret, code[:20])

    if not await run_in_threadpool(work):
        return _enrolment_page(request, actor, error_key="err_mfa_code", status_code=400)
    session_of(request).extra.pop("mfa_secret", None)
    request.state.session_dirty = True
    return render(request, "mfa.html", {"enrolled": True, "error_key": None, "notice_key": "mfa_now_on",
                                        "required": deps.require_mfa})


def _reset_form(request: Request, token: str, *, error_key: str | None = None, status_code: int = 200) -> Response:
    deps = deps_of(request)

    def holder() -> tuple[bool, bool]:
        with deps.factory() as db:
            op = mfa.reset_holder(db, token)
            return op is not None, op is not None and op.mfa_enabled_at is not None

    live, needs_code = holder()
    if not live:
        raise NotFound()
    return render(request, "reset.html", {"token": token, "needs_code": needs_code, "error_key": error_key},
                  status_code=status_code)


@router.get("/reset/{token}")
async def reset_page(request: Request, token: str) -> Response:
    """A one-time reset link: the form for a new password (and a code, for enrolled operators).
    An unknown, spent or expired link answers 404."""
    return await run_in_threadpool(_reset_form, request, token[:100])


@router.post("/reset/{token}", dependencies=[Depends(csrf_protect)])
async def reset_submit(request: Request, token: str, password: str = Form(""), again: str = Form(""),
                       code: str = Form("")) -> Response:
    """Set the new password; the link is spent. Failures count against the address like bad logins."""
    deps = deps_of(request)
    throttle = request.app.state.throttle
    address = client_address(request.client.host if request.client else None,
                              request.headers.get("x-forwarded-for"), deps.trusted_proxies)
    who = f"reset-link:{address}"  # counted per address, so nobody can lock resets for everyone
    if throttle.blocked(who, address):
        raise NotFound()

    def work() -> str | None:
        try:
            with deps.factory() as db, db.begin():
                mfa.use_reset(db, token[:100], password[:200], again[:200], code[:20])
        except mfa.ResetError as exc:
            return str(exc)
        return None

    error = await run_in_threadpool(work)
    if error == "err_reset_invalid":
        throttle.failed(who, address)
        raise NotFound()
    if error == "err_mfa_code":
        throttle.failed(who, address)
    if error:
        return await run_in_threadpool(lambda: _reset_form(request, token[:100], error_key=error, status_code=400))
    return render(request, "login.html", {"next": "/console/", "error_key": None, "notice_key": "reset_done"})


@router.post("/logout", dependencies=[Depends(csrf_protect)])
async def logout(request: Request) -> Response:
    """End the session on the server and in the browser."""
    actor = await optional_actor(request)
    if actor is not None:
        deps = deps_of(request)

        def note() -> None:
            with deps.factory() as db, db.begin():
                audit.record(db, "logout", operator_id=actor.id, subject_type="operator", subject_id=actor.id)

        await run_in_threadpool(note)
    await run_in_threadpool(request.app.state.sessions.destroy, session_of(request).sid)
    request.state.logged_out = True
    return RedirectResponse("/console/login", status_code=303)


@router.get("/lang/{code}")
async def set_language(request: Request, code: str, next: str = "/console/") -> Response:  # noqa: A002
    """Switch the console between Arabic and English (a cookie; no data changes)."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, path="/console", max_age=365 * 86400, samesite="lax",
                            secure=deps_of(request).secure_cookies)
    return response
