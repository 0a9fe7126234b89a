"""The phone simulator: phones that text the bot through the real pipeline.

``sim`` phones (open to admins, and to anyone when ``SHAML_DEMO=true``) feed the ``sim`` channel and
read only ``sim`` contacts, so they cannot show a real person's conversation.

In demo mode only, two more phones play the people Shaml serves inside Syria: a Telegram user and a
phone texting the association's SMS gateway. Each message goes through the web service's real
``/telegram/webhook`` (with the webhook secret) or ``/smsgate/webhook`` (signed as the gateway app
signs), and the phone's screen is what the demo's local fake Bot API or gateway received
(:mod:`shaml.demo_fakes`). Outside demo mode these phones do not exist (404): demo mode itself is
refused on PostgreSQL or https (:mod:`shaml.safety`), so they never touch a real deployment.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
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
#: A simulated Telegram user is named by the digits of their number, which are also their chat id.
TELEGRAM_PHONE = re.compile(r"^[1-9][0-9]{6,14}$")
#: A phone texting the gateway has a Syrian mobile number in E.164.
GATEWAY_PHONE = re.compile(r"^\+9639[0-9]{8}$")
#: Longest simulated message (characters).
MAX_BODY = 1600
#: The phones a demo shows by default beside the sim ones: a family in Homs on Telegram, a released
#: detainee texting the gateway phone.
DEFAULT_TELEGRAM = "963944100001"
DEFAULT_GATEWAY = "+963933200002"


async def simulator_access(request: Request) -> Actor | None:
    """Anyone in demo mode; otherwise admins only."""
    if deps_of(request).demo:
        return await optional_actor(request)
    return await admin_required(request)


def _web(request: Request) -> Any:
    """The web service the console is mounted on (its settings and webhook routes), or None."""
    return getattr(request.app.state, "web", None)


def _syria_phones(request: Request) -> bool:
    """Whether the Telegram and gateway phones exist here: demo mode with both channels' secrets set."""
    web = _web(request)
    settings = getattr(getattr(web, "state", None), "settings", None)
    return bool(deps_of(request).demo and settings is not None and settings.demo
                and settings.telegram_webhook_secret and settings.smsgate_signing_key)


@router.get("/simulator")
async def simulator_page(request: Request, family: str = "family-1", survivor: str = "survivor-1",
                         telegram: str = DEFAULT_TELEGRAM, sms: str = DEFAULT_GATEWAY,
                         actor: Actor | None = Depends(simulator_access)) -> Response:
    """Phones side by side: a family searching and a released detainee registering (sim), and in demo
    mode the same people inside Syria, on Telegram and on the SMS gateway."""
    phones = [
        {"id": family if PHONE.match(family) else "family-1", "role": "family", "channel": "sim"},
        {"id": survivor if PHONE.match(survivor) else "survivor-1", "role": "survivor", "channel": "sim"},
    ]
    if _syria_phones(request):
        phones += [
            {"id": telegram if TELEGRAM_PHONE.match(telegram) else DEFAULT_TELEGRAM, "role": "family_telegram",
             "channel": "telegram"},
            {"id": sms if GATEWAY_PHONE.match(sms) else DEFAULT_GATEWAY, "role": "survivor_sms", "channel": "sms"},
        ]
    return render(request, "simulator.html", {"phones": phones, "enabled": deps_of(request).gateway is not None})


def _send(deps: Any, phone: str, body: str, operator_id: int | None) -> dict[str, Any]:
    result = accept(deps.gateway, InboundMessage(channel="sim", address=phone, provider_id=f"SIM{uuid.uuid4().hex}", body=body))
    if operator_id is not None:
        with deps.factory() as db, db.begin():
            audit.record(db, "simulator_message", operator_id=operator_id, subject_type="contact",
                         subject_id=result.contact_id)
    return {"message_id": result.message_id, "contact_id": result.contact_id}


def screens(request: Request) -> Any:
    """The demo phones' screens (what the fake Bot API and gateway received), in this deployment's Redis."""
    from shaml.demo_fakes import Screens

    deps = deps_of(request)
    return Screens(deps.redis, deps.redis_prefix)


async def _send_syria(request: Request, channel: str, phone: str, body: str, share_contact: bool) -> Response:
    """Post what the person's phone would make the provider post: a Telegram update or a gateway event."""
    from shaml.demo_fakes import sms_received, telegram_webhook

    web = _web(request)
    settings = web.state.settings
    if channel == "telegram":
        if not TELEGRAM_PHONE.match(phone):
            return JSONResponse({"error": "a Telegram phone is 7-15 digits (its number, also its chat id)"}, status_code=400)
        own = f"+{phone}"  # "share my number": Telegram's verified number of this account
        content, headers = telegram_webhook(settings.telegram_webhook_secret, int(phone),
                                            text=None if share_contact else body, contact_phone=own if share_contact else None)
        path, shown = "/telegram/webhook", (f"📞 {own}" if share_contact else body)
    else:
        if not GATEWAY_PHONE.match(phone):
            return JSONResponse({"error": "a gateway phone is a Syrian mobile number, +9639 and 8 digits"}, status_code=400)
        content, headers = sms_received(settings.smsgate_signing_key, phone, body)
        path, shown = "/smsgate/webhook", body
    transport = httpx.ASGITransport(app=web)  # the web service's own routes, middleware included
    async with httpx.AsyncClient(transport=transport, base_url="http://simulator.demo") as client:
        answer = await client.post(path, content=content, headers=headers)
    if answer.status_code != 200:
        return JSONResponse({"error": f"{path} answered HTTP {answer.status_code}"}, status_code=502)
    line = await run_in_threadpool(screens(request).push, channel, phone, "in", shown)
    return JSONResponse({"channel": channel, "line": line})


@router.post("/simulator/send", dependencies=[Depends(csrf_protect)])
async def simulator_send(request: Request, actor: Actor | None = Depends(simulator_access)) -> Response:
    """A simulated phone sends a message: the same path as a provider's webhook, then the worker answers."""
    deps = deps_of(request)
    if deps.gateway is None:
        return JSONResponse({"error": "the simulator needs the gateway"}, status_code=503)
    try:
        data = await request.json()
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        data = None
    if not isinstance(data, dict):
        return JSONResponse({"error": "send JSON {\"phone\": id, \"body\": text}"}, status_code=400)
    phone, body, channel = str(data.get("phone", "")), data.get("body"), data.get("channel", "sim")
    if channel not in ("sim", "telegram", "sms"):
        return JSONResponse({"error": "channel must be sim, telegram or sms"}, status_code=400)
    if channel != "sim" and not _syria_phones(request):
        return JSONResponse({"error": "no such phone"}, status_code=404)
    share_contact = channel == "telegram" and data.get("contact") is True
    if share_contact:
        body = "contact"
    if not PHONE.match(phone):
        return JSONResponse({"error": "phone must be 1-32 letters, digits, + - or _"}, status_code=400)
    if not isinstance(body, str) or not body.strip() or len(body) > MAX_BODY:
        return JSONResponse({"error": f"body must be 1-{MAX_BODY} characters of text"}, status_code=400)
    try:
        body = storable_text(body)  # a NUL is kept as U+FFFD; half a surrogate pair is refused
    except ValueError as exc:
        return JSONResponse({"error": f"body {exc}"}, status_code=400)
    if channel != "sim":
        return await _send_syria(request, channel, phone, body, share_contact)
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
async def simulator_messages(request: Request, phone: str, after: int = 0, channel: str = "sim",
                             actor: Actor | None = Depends(simulator_access)) -> Response:
    """What a simulated phone shows after line ``after``: for a sim phone its own messages and what
    reached it; for a Telegram or gateway phone, what it sent and what the fake provider received for it."""
    if channel not in ("sim", "telegram", "sms"):
        return JSONResponse({"error": "channel must be sim, telegram or sms"}, status_code=400)
    if channel != "sim":
        if not _syria_phones(request):
            return JSONResponse({"error": "no such phone"}, status_code=404)
        if not (TELEGRAM_PHONE if channel == "telegram" else GATEWAY_PHONE).match(phone):
            return JSONResponse({"error": "bad phone id"}, status_code=400)
        lines = await run_in_threadpool(screens(request).read, channel, phone, max(0, after))
        return JSONResponse({"messages": [
            {"id": m["id"], "direction": m["direction"], "author": "contact" if m["direction"] == "in" else "bot",
             "body": m["body"], "buttons": m["buttons"]}
            for m in lines[:200]
        ]})
    if not PHONE.match(phone):
        return JSONResponse({"error": "bad phone id"}, status_code=400)
    return JSONResponse({"messages": await run_in_threadpool(_messages, deps_of(request), phone, max(0, after))})
