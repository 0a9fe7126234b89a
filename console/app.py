"""The console application: ``create_console(deps)`` builds the FastAPI sub-app mounted at ``/console``."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from console.auth import LoginThrottle, SessionStore
from console.deps import ConsoleDeps
from console.render import render
from console.security import (
    COOKIE,
    LANG_COOKIE,
    BadCsrf,
    Forbidden,
    NeedLogin,
    NotFound,
    security_headers,
)

#: Where the console is mounted in the web service.
MOUNT = "/console"
STATIC_DIR = Path(__file__).parent / "static"


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
        response = await call_next(request)
        current = request.state.session
        if request.state.logged_out:
            response.delete_cookie(COOKIE, path=MOUNT)
        elif not static and (request.state.session_dirty or current.authenticated):
            await run_in_threadpool(store.save, current)
            response.set_cookie(
                COOKIE,
                current.sid,
                path=MOUNT,
                httponly=True,
                secure=deps.secure_cookies,
                samesite="strict",
            )
        for name, value in security_headers(static=static).items():
            response.headers[name] = value
        return response


def _wants_html(request: Request) -> bool:
    """Pages send a visitor to the login form; fragments, JSON and forms get a plain 401."""
    path = request.url.path
    return request.method == "GET" and "/api/" not in path and not path.endswith(("/rows", "/simulator/messages"))


def create_console(deps: ConsoleDeps) -> FastAPI:
    """The console sub-application; mount it at :data:`MOUNT` (see :func:`install`)."""
    from console.routes import admin, auth, dashboard, inbox, registry, reviews, simulator

    app = FastAPI(title="Shaml console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.deps = deps
    app.state.sessions = SessionStore(deps.redis, deps.redis_prefix, ttl=deps.session_ttl)
    app.state.throttle = LoginThrottle(
        deps.redis, deps.redis_prefix, limit=deps.login_limit, window_seconds=deps.login_window_seconds
    )
    app.add_middleware(SessionMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (auth, dashboard, inbox, reviews, registry, admin, simulator):
        app.include_router(module.router)

    @app.exception_handler(NeedLogin)
    async def need_login(request: Request, exc: NeedLogin) -> Response:
        if _wants_html(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"{MOUNT}/login?next={quote(target)}", status_code=303)
        return PlainTextResponse("login required", status_code=401)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return render(request, "error.html", {"code": 403, "message_key": "err_forbidden"}, status_code=403)

    @app.exception_handler(BadCsrf)
    async def bad_csrf(request: Request, exc: BadCsrf) -> Response:
        return render(request, "error.html", {"code": 403, "message_key": "err_csrf"}, status_code=403)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return render(request, "error.html", {"code": 404, "message_key": "err_not_found"}, status_code=404)

    return app


def install(app: Any, deps: ConsoleDeps) -> FastAPI:
    """Mount the console on the web service at ``/console``, with ``/`` and ``/simulator`` pointing into it."""
    console = create_console(deps)
    app.mount(MOUNT, console)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(f"{MOUNT}/", status_code=303)

    @app.get("/simulator", include_in_schema=False)
    def simulator() -> RedirectResponse:
        return RedirectResponse(f"{MOUNT}/simulator", status_code=303)

    return console


__all__ = ["create_console", "install", "MOUNT", "LANG_COOKIE"]
