"""Login, logout and the language toggle."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from bot.models import Operator
from console import audit
from console.auth import client_address, verify_password
from console.i18n import LANGUAGES
from console.render import render
from console.security import (
    LANG_COOKIE,
    csrf_protect,
    deps_of,
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
    fresh = await run_in_threadpool(
        request.app.state.sessions.rotate, session_of(request), operator_id=int(op.id), role=op.role, username=op.username
    )
    request.state.session = fresh
    request.state.session_dirty = True
    return RedirectResponse(safe_next(next), status_code=303)


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
