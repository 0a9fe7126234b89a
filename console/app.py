"""The console application: ``create_console(deps)`` builds the FastAPI sub-app mounted at ``/console``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from console.auth import LoginThrottle, SessionStore
from console.deps import ConsoleDeps
from console.i18n import STRINGS
from console.imports import MAX_UPLOAD, sweep_uploads
from console.render import render
from console.security import (
    COOKIE,
    LANG_COOKIE,
    BadCsrf,
    BadText,
    Forbidden,
    NeedLogin,
    NeedMfa,
    NotFound,
    has_nul,
    security_headers,
)

log = logging.getLogger(__name__)

#: Where the console is mounted in the web service.
MOUNT = "/console"
STATIC_DIR = Path(__file__).parent / "static"
#: The CSV upload form, the one console request with a large body.
UPLOAD_PATH = f"{MOUNT}/registry/import/preview"
#: Largest body of the upload form (bytes): the file (at most MAX_UPLOAD) plus the multipart framing
#: and the other fields. A file between MAX_UPLOAD and this is read to disk and refused by size.
UPLOAD_BODY = MAX_UPLOAD + 64 * 1024
#: Largest body of any other console request (bytes): its forms are a few KB.
FORM_BODY = 1024 * 1024


def too_large_page(path: str, limit: int) -> Response:
    """The 413 page for a console request whose body is over its limit, in both languages: the web
    service's BodyLimit sends it outside the console, before the session and its language are known."""
    arabic, english = STRINGS["err_upload_too_big" if path.startswith(UPLOAD_PATH) else "err_body_too_large"]
    back_ar, back_en = STRINGS["back_home"]
    html = (
        '<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>413</title></head><body>'
        f'<h1>413</h1><p>{arabic}</p><p lang="en" dir="ltr">{english}</p>'
        f'<p><a href="{MOUNT}/">{back_ar}</a> · <a href="{MOUNT}/" lang="en">{back_en}</a></p></body></html>'
    )
    return HTMLResponse(html, status_code=413, headers={**security_headers(), "Connection": "close"})


def body_limits() -> list[tuple[str, int, Callable[[str, int], Response]]]:
    """(path prefix, largest body in bytes, its 413 page) for the web service's body limit, which
    refuses a bigger body before the console reads it (shaml.bodylimit)."""
    return [(UPLOAD_PATH, UPLOAD_BODY, too_large_page), (f"{MOUNT}/", FORM_BODY, too_large_page)]


class SessionMiddleware(BaseHTTPMiddleware):
    """Loads the Redis session named by the cookie, saves it back when used, and sets security headers."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        store: SessionStore = request.app.state.sessions
        deps: ConsoleDeps = request.app.state.deps
        static = request.url.path.startswith(f"{MOUNT}/static/")
        session = None if static else await run_in_threadpool(store.load, request.cookies.get(COOKIE))
        request.state.session = session or store.new()
        request.state.session_dirty = False
        request.state.logged_out = False
        if has_nul(value for _, value in request.query_params.multi_items()):
            response: Response = _bad_text(request, BadText("query string"))
        else:
            response = await call_next(request)
        current = request.state.session
        if request.state.logged_out:
            response.delete_cookie(COOKIE, path=MOUNT)
        elif not static and (request.state.session_dirty or (current.authenticated and not _polling(request))):
            await run_in_threadpool(store.save, current)
            response.set_cookie(
                COOKIE,
                current.sid,
                path=MOUNT,
                httponly=True,
                secure=deps.secure_cookies,
                samesite="strict",
            )
        for name, value in security_headers(static=static, hsts=deps.secure_cookies).items():
            response.headers[name] = value
        return response


#: Requests a page makes by itself every few seconds: they never extend a session's idle lifetime,
#: so a forgotten tab logs out after SHAML_SESSION_IDLE_SECONDS like a closed one.
POLL_SUFFIXES = ("/rows", "/simulator/messages", "/api/stats")


def _polling(request: Request) -> bool:
    return request.method == "GET" and request.url.path.endswith(POLL_SUFFIXES)


def _bad_text(request: Request, exc: BadText) -> Response:
    log.warning("%s %s refused (400): a %s value holds a NUL character", request.method, request.url.path, exc.where)
    return render(request, "error.html", {"code": 400, "message_key": "err_nul"}, status_code=400)


def _wants_html(request: Request) -> bool:
    """Pages send a visitor to the login form; fragments, JSON and forms get a plain 401."""
    path = request.url.path
    return request.method == "GET" and "/api/" not in path and not path.endswith(("/rows", "/simulator/messages"))


def create_console(deps: ConsoleDeps) -> FastAPI:
    """The console sub-application; mount it at :data:`MOUNT` (see :func:`install`)."""
    from console.routes import admin, auth, dashboard, inbox, registry, reviews, simulator

    app = FastAPI(title="Shaml console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.deps = deps
    app.state.sessions = SessionStore(deps.redis, deps.redis_prefix, ttl=deps.session_ttl, max_age=deps.session_max)
    app.state.throttle = LoginThrottle(
        deps.redis, deps.redis_prefix, limit=deps.login_limit, window_seconds=deps.login_window_seconds
    )
    app.add_middleware(SessionMiddleware)
    try:  # previews abandoned before a restart
        sweep_uploads(deps.upload_dir, deps.upload_max_age)
    except OSError as exc:
        log.warning("could not sweep old uploads in %s: %s", deps.upload_dir, type(exc).__name__)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (auth, dashboard, inbox, reviews, registry, admin, simulator):
        app.include_router(module.router)

    @app.exception_handler(NeedLogin)
    async def need_login(request: Request, exc: NeedLogin) -> Response:
        if _wants_html(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"{MOUNT}/login?next={quote(target)}", status_code=303)
        return PlainTextResponse("login required", status_code=401)

    @app.exception_handler(NeedMfa)
    async def need_mfa(request: Request, exc: NeedMfa) -> Response:
        if _wants_html(request):
            return RedirectResponse(f"{MOUNT}/mfa", status_code=303)
        return PlainTextResponse("second factor required: enrol at /console/mfa", status_code=403)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return render(request, "error.html", {"code": 403, "message_key": "err_forbidden"}, status_code=403)

    @app.exception_handler(BadCsrf)
    async def bad_csrf(request: Request, exc: BadCsrf) -> Response:
        return render(request, "error.html", {"code": 403, "message_key": "err_csrf"}, status_code=403)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return render(request, "error.html", {"code": 404, "message_key": "err_not_found"}, status_code=404)

    @app.exception_handler(BadText)
    async def bad_text(request: Request, exc: BadText) -> Response:
        return _bad_text(request, exc)

    return app


def install(app: Any, deps: ConsoleDeps) -> FastAPI:
    """Mount the console on the web service at ``/console``, with ``/`` and ``/simulator`` pointing into it."""
    console = create_console(deps)
    console.state.web = app  # the web service: the demo simulator's Telegram and gateway phones post to its webhooks
    app.mount(MOUNT, console)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(f"{MOUNT}/", status_code=303)

    @app.get("/simulator", include_in_schema=False)
    def simulator() -> RedirectResponse:
        return RedirectResponse(f"{MOUNT}/simulator", status_code=303)

    return console


__all__ = ["create_console", "install", "MOUNT", "LANG_COOKIE"]
