"""The phone simulator: phones that text the bot through the real pipeline on the ``sim`` channel.

Open to admins, and to anyone when ``SHAML_DEMO=true``. It only ever reads ``sim`` contacts, so it
cannot show a real person's conversation.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from bot.channels.base import InboundMessage, storable_text
from bot.gateway.inbound import accept
from bot.models import Contact, Message
from console import audit
from console.render import render
from console.security import Actor, admin_required, csrf_protect, deps_of, optional_actor

router = APIRouter()

#: Simulated phones are named by short ids, as the sim channel requires.
PHONE = re.compile(r"^[A-Za-z0-9+_\-]{1,32}$")
#: Longest simulated message (characters).
MAX_BODY = 1600


async def simulator_access(request: Request) -> Actor | None:
    """Anyone in demo mode; otherwise admins only."""
    if deps_of(request).demo:
        return await optional_actor(request)
    return await admin_required(request)


@router.get("/simulator")
async def simulator_page(request: Request, family: str = "family-1", survivor: str = "survivor-1",
                         actor: Actor | None = Depends(simulator_access)) -> Response:
    """Two phones side by side: a family searching and a released detainee registering."""
    phones = [
        {"id": family if PHONE.match(family) else "family-1", "role": "family"},
        {"id": survivor if PHONE.match(survivor) else "survivor-1", "role": "survivor"},
    ]
    return render(request, "simulator.html", {"phones": phones, "enabled": deps_of(request).gateway is not None})


def _send(deps: Any, phone: str, body: str, operator_id: int | None) -> dict[str, Any]:
    result = accept(deps.gateway, InboundMessage(channel="sim", address=phone, provider_id=f"SIM{uuid.uuid4().hex}", body=body))
    if operator_id is not None:
        with deps.factory() as db, db.begin():
            audit.record(db, "simulator_message", operator_id=operator_id, subject_type="contact",
                         subject_id=result.contact_id)
    return {"message_id": result.message_id, "contact_id": result.contact_id}


@router.post("/simulator/send", dependencies=[Depends(csrf_protect)])
async def simulator_send(request: Request, actor: Actor | None = Depends(simulator_access)) -> Response:
    """A simulated phone sends a message: the same path as a Twilio webhook, then the worker answers."""
    deps = deps_of(request)
    if deps.gateway is None:
        return JSONResponse({"error": "the simulator needs the gateway"}, status_code=503)
    try:
        data = await request.json()
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        data = None
    if not isinstance(data, dict):
        return JSONResponse({"error": "send JSON {\"phone\": id, \"body\": text}"}, status_code=400)
    phone, body = str(data.get("phone", "")), data.get("body")
    if not PHONE.match(phone):
        return JSONResponse({"error": "phone must be 1-32 letters, digits, + - or _"}, status_code=400)
    if not isinstance(body, str) or not body.strip() or len(body) > MAX_BODY:
        return JSONResponse({"error": f"body must be 1-{MAX_BODY} characters of text"}, status_code=400)
    try:
        body = storable_text(body)  # a NUL is kept as U+FFFD; half a surrogate pair is refused
    except ValueError as exc:
        return JSONResponse({"error": f"body {exc}"}, status_code=400)
    out = await run_in_threadpool(_send, deps, phone, body, actor.id if actor else None)
    return JSONResponse(out)


def _messages(deps: Any, phone: str, after: int) -> list[dict[str, Any]]:
    with deps.factory() as db:
        contact = db.execute(select(Contact).where(Contact.channel == "sim", Contact.address == phone)).scalar_one_or_none()
        if contact is None:
            return []
        rows = db.execute(
            select(Message).where(Message.contact_id == contact.id, Message.id > after).order_by(Message.id).limit(200)
        ).scalars().all()
        return [
            {"id": int(m.id), "direction": m.direction, "author": m.author, "body": m.body or "", "status": m.status,
             "kind": m.kind, "template": bool(m.template_sid)}
            for m in rows
            # A queued outbound message has not reached the phone yet.
            if m.direction == "in" or m.status in ("sent", "delivered", "read")
        ]


@router.get("/simulator/messages")
async def simulator_messages(request: Request, phone: str, after: int = 0,
                             actor: Actor | None = Depends(simulator_access)) -> Response:
    """What a simulated phone shows: its own messages and what reached it, after message id ``after``."""
    if not PHONE.match(phone):
        return JSONResponse({"error": "bad phone id"}, status_code=400)
    return JSONResponse({"messages": await run_in_threadpool(_messages, deps_of(request), phone, max(0, after))})
