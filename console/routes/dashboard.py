"""The dashboard: figures and charts for the shift, and the same figures as JSON for monitoring (admins)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from console.render import render
from console.security import Actor, admin_required, deps_of, operator_required
from console.stats import bars, figures

router = APIRouter()


def _figures(deps):  # type: ignore[no-untyped-def]
    with deps.factory() as db:
        return figures(db)


@router.get("/")
async def dashboard(request: Request, actor: Actor = Depends(operator_required)) -> Response:
    """Open searches, matches by outcome, time to reunification, messages by status, escalation waits."""
    data = await run_in_threadpool(_figures, deps_of(request))
    match_bars, match_height = bars(data["matches"])
    message_bars, message_height = bars(data["messages"])
    return render(request, "dashboard.html", {"f": data, "match_bars": match_bars, "match_height": match_height,
                                              "message_bars": message_bars, "message_height": message_height})


@router.get("/api/stats")
async def stats(request: Request, actor: Actor = Depends(admin_required)) -> Response:
    """The dashboard's figures as JSON."""
    return JSONResponse(await run_in_threadpool(_figures, deps_of(request)))
