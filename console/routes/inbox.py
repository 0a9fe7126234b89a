"""The inbox and one conversation: live list, transcript, claim, assign, reply, template, hand back, resolve."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from bot.gateway.jobs import wake_outbox
from bot.models import Operator, Registration, SearchRequest
from console import access, audit, public_ids
from console import conversations as conv
from console.canned import CANNED
from console.i18n import known_error
from console.render import render
from console.security import (
    Actor,
    Forbidden,
    NotFound,
    admin_required,
    csrf_protect,
    deps_of,
    operator_required,
)

router = APIRouter()
log = logging.getLogger(__name__)


def _visible_inbox(db, actor: Actor):  # type: ignore[no-untyped-def]
    """The inbox as this actor may see it: an operator sees the queue and their own conversations."""
    rows = conv.inbox(db)
    if actor.sees_all:
        return rows
    return [r for r in rows if r.operator_id is None or r.operator_id == actor.id]


@router.get("/inbox")
async def inbox_page(request: Request, actor: Actor = Depends(operator_required)) -> Response:
    """Escalated conversations with their reason and waiting time; the table refreshes itself."""
    deps = deps_of(request)
    rows = await run_in_threadpool(lambda: _with_db(deps, _visible_inbox, actor))
    notices = await run_in_threadpool(lambda: _with_db(deps, conv.override_notices, actor.id))
    return render(request, "inbox.html", {"rows": rows, "notices": notices})


@router.get("/inbox/rows")
async def inbox_rows(request: Request, actor: Actor = Depends(operator_required)) -> Response:
    """The inbox table body alone, for polling."""
    deps = deps_of(request)
    rows = await run_in_threadpool(lambda: _with_db(deps, _visible_inbox, actor))
    return render(request, "inbox_rows.html", {"rows": rows})


def _with_db(deps, fn, *args):  # type: ignore[no-untyped-def]
    with deps.factory() as db:
        return fn(db, *args)


def _conversation(deps, contact_id: int):  # type: ignore[no-untyped-def]
    with deps.factory() as db:
        contact = conv.contact_or_none(db, contact_id)
        if contact is None:
            return None
        esc = conv.open_escalation(db, contact_id)
        holder = db.get(Operator, esc.operator_id) if esc is not None and esc.operator_id else None
        operators = db.execute(select(Operator).where(Operator.active.is_(True)).order_by(Operator.username)).scalars().all()
        searches = db.execute(select(SearchRequest).where(SearchRequest.contact_id == contact_id)
                              .order_by(SearchRequest.id)).scalars().all()
        registrations = db.execute(select(Registration).where(Registration.contact_id == contact_id)
                                   .order_by(Registration.id)).scalars().all()
        return {
            "contact": contact,
            "escalation": esc,
            "holder": holder,
            "messages": conv.transcript(db, contact_id),
            "window_open": conv.whatsapp_window(deps.gateway, contact),
            "template_sid": deps.gateway.config.template_sid if deps.gateway is not None else "",
            "operators": operators,
            "searches": searches,
            "registrations": registrations,
        }


def _read(deps, actor: Actor, contact_id: int, *, polling: bool = False, reveal: bool = False):  # type: ignore[no-untyped-def]
    """The conversation if this actor may see it (else None, as for one that does not exist), with the
    read audited in the same transaction; a reveal of its numbers is audited as such."""
    with deps.factory() as db, db.begin():
        if conv.contact_or_none(db, contact_id) is None or not access.conversation_visible(db, actor.role, actor.id, contact_id):
            return None
        access.note_transcript_read(deps, db, actor.id, contact_id, polling=polling)
        if reveal:
            audit.record(db, "reveal_numbers", operator_id=actor.id, subject_type="contact", subject_id=contact_id)
    return _conversation(deps, contact_id)


@router.get("/conversations/{ref}")
async def conversation_page(request: Request, ref: str, actor: Actor = Depends(operator_required)) -> Response:
    """The full transcript with the reply box, canned replies and the case buttons (numbers masked)."""
    contact_id = public_ids.need("contact", ref)
    deps = deps_of(request)
    data = await run_in_threadpool(_read, deps, actor, contact_id)
    if data is None:
        raise NotFound()
    return render(request, "conversation.html", {**data, "canned": CANNED, "outcomes": conv.OUTCOMES, "revealed": False,
                                                  "error_key": known_error(request.query_params.get("error"))})


@router.post("/conversations/{ref}/reveal", dependencies=[Depends(csrf_protect)])
async def conversation_reveal(request: Request, ref: str, actor: Actor = Depends(operator_required)) -> Response:
    """Supervisors and admins: the same page with the numbers shown; the reveal is audited."""
    contact_id = public_ids.need("contact", ref)
    if not actor.sees_all:
        raise Forbidden()
    deps = deps_of(request)
    data = await run_in_threadpool(lambda: _read(deps, actor, contact_id, reveal=True))
    if data is None:
        raise NotFound()
    return render(request, "conversation.html", {**data, "canned": CANNED, "outcomes": conv.OUTCOMES, "revealed": True,
                                                  "error_key": None})


@router.get("/conversations/{ref}/rows")
async def conversation_rows(request: Request, ref: str, actor: Actor = Depends(operator_required)) -> Response:
    """The transcript alone, for polling (new messages and delivery statuses); reads are audited."""
    contact_id = public_ids.need("contact", ref)
    deps = deps_of(request)
    data = await run_in_threadpool(lambda: _read(deps, actor, contact_id, polling=True))
    if data is None:
        raise NotFound()
    return render(request, "transcript.html", {**data, "revealed": False})


async def _act(request: Request, ref: str, fn, *args, wake: bool = False) -> Response:  # type: ignore[no-untyped-def]
    """Run one conversation action in a transaction and go back to the conversation. A conversation
    this actor may not see is not found, whatever the action."""
    contact_id = public_ids.need("contact", ref)
    deps = deps_of(request)
    actor: Actor = request.state.actor

    def work() -> str | None:
        try:
            with deps.factory() as db, db.begin():
                if conv.contact_or_none(db, contact_id) is None or not access.conversation_visible(
                        db, actor.role, actor.id, contact_id):
                    return "err_not_found"
                fn(db, contact_id, *args)
        except conv.ConversationError as exc:
            log.info("conversation %s: %s refused (%s)", contact_id, getattr(fn, "__name__", "action"), exc.key)
            return exc.key
        if wake and deps.gateway is not None:
            wake_outbox(deps.gateway, contact_id)
        return None

    error = await run_in_threadpool(work)
    if error == "err_not_found":
        raise NotFound()

    def still_visible() -> bool:
        with deps.factory() as db:
            return access.conversation_visible(db, actor.role, actor.id, contact_id)

    # Handed back or resolved, a conversation leaves an operator's view: they go back to the inbox.
    target = public_ids.path("contact", contact_id) if error or await run_in_threadpool(still_visible) else "/console/inbox"
    if error:
        # The action was refused: say why on the conversation page, with a status the tests can read.
        data = await run_in_threadpool(_conversation, deps, contact_id)
        status = 400 if error in ("err_empty_reply", "err_reply_too_long", "err_no_template", "err_bad_outcome",
                                  "err_no_such_operator") else 409
        return render(request, "conversation.html", {**(data or {}), "canned": CANNED, "outcomes": conv.OUTCOMES,
                                                      "revealed": False, "error_key": error}, status_code=status)
    return RedirectResponse(target, status_code=303)


@router.post("/conversations/{ref}/claim", dependencies=[Depends(csrf_protect)])
async def claim(request: Request, ref: str, actor: Actor = Depends(operator_required)) -> Response:
    """Take over the conversation."""
    return await _act(request, ref, conv.claim, actor.id)


@router.post("/conversations/{ref}/assign", dependencies=[Depends(csrf_protect)])
async def assign(
    request: Request, ref: str, operator_id: str = Form(""), actor: Actor = Depends(admin_required)
) -> Response:
    """Give the conversation to another operator (admins, as shift leads); an unknown or altered
    operator id is refused like a missing account."""
    return await _act(request, ref, conv.assign, public_ids.decode("operator", operator_id) or 0, actor.id)


@router.post("/conversations/{ref}/reply", dependencies=[Depends(csrf_protect)])
async def reply(request: Request, ref: str, body: str = Form(""), actor: Actor = Depends(operator_required)) -> Response:
    """Send a message through the outbox, as the operator."""
    return await _act(request, ref, lambda db, cid: conv.reply(db, cid, actor.id, body), wake=True)


@router.post("/conversations/{ref}/template", dependencies=[Depends(csrf_protect)])
async def template(request: Request, ref: str, actor: Actor = Depends(operator_required)) -> Response:
    """Send the approved WhatsApp template (the 24 h window is closed)."""
    deps = deps_of(request)
    sid = deps.gateway.config.template_sid if deps.gateway is not None else ""
    return await _act(request, ref, lambda db, cid: conv.send_template(db, cid, actor.id, sid), wake=True)


@router.post("/conversations/{ref}/handback", dependencies=[Depends(csrf_protect)])
async def handback(request: Request, ref: str, actor: Actor = Depends(operator_required)) -> Response:
    """Return the conversation to the bot."""
    return await _act(request, ref, lambda db, cid: conv.give_back(db, cid, actor.id, overrides=actor.sees_all))


@router.post("/conversations/{ref}/resolve", dependencies=[Depends(csrf_protect)])
async def resolve(
    request: Request, ref: str, outcome: str = Form(""), actor: Actor = Depends(operator_required)
) -> Response:
    """Close the case with an outcome."""
    return await _act(request, ref, lambda db, cid: conv.resolve(db, cid, actor.id, outcome, overrides=actor.sees_all))
