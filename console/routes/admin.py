"""Admin pages: operator accounts and the audit log (with a formula-safe CSV export)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from bot.models import AuditEvent, Operator
from console import approvals, audit, public_ids
from console.auth import MIN_PASSWORD_LENGTH, ROLES, generate_password, hash_password
from console.csvsafe import rows_csv, to_csv
from console.render import render
from console.security import Actor, Forbidden, NotFound, admin_required, csrf_protect, deps_of

router = APIRouter()

#: Audit events per page.
PAGE = 100
_USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


def _operators(deps: Any) -> list[Operator]:
    with deps.factory() as db:
        return list(db.execute(select(Operator).order_by(Operator.username)).scalars().all())


@router.get("/operators")
async def operators_page(request: Request, actor: Actor = Depends(admin_required)) -> Response:
    """Accounts, with the form to add one."""
    ops = await run_in_threadpool(_operators, deps_of(request))
    return render(request, "operators.html", {"operators": ops, "error_key": None, "created": None, "roles": ROLES})


def create_operator(db: Any, username: str, role: str, password: str | None, display_name: str | None,
                    *, by: int | None) -> tuple[Operator, str]:
    """Add an account; returns it with its password (generated when none is given). Raises ValueError."""
    name = username.strip().lower()
    if not name or len(name) > 100 or not set(name) <= _USERNAME_CHARS:
        raise ValueError("err_bad_username")
    if role not in ROLES:
        raise ValueError("err_bad_role")
    secret = password or generate_password()
    if len(secret) < MIN_PASSWORD_LENGTH:
        raise ValueError("err_short_password")
    op = Operator(username=name, display_name=(display_name or "").strip()[:200] or None,
                  password_hash=hash_password(secret), role=role, active=True, failed_logins=0)
    db.add(op)
    db.flush()
    audit.record(db, "operator_add", operator_id=by, subject_type="operator", subject_id=op.id,
                 detail={"username": name, "role": role})
    return op, secret


@router.post("/operators", dependencies=[Depends(csrf_protect)])
async def operators_add(
    request: Request,
    username: str = Form(""),
    display_name: str = Form(""),
    role: str = Form("operator"),
    password: str = Form(""),
    actor: Actor = Depends(admin_required),
) -> Response:
    """Create an account; a generated password is shown once."""
    deps = deps_of(request)

    def work() -> tuple[str | None, tuple[str, str] | None]:
        try:
            with deps.factory() as db, db.begin():
                op, secret = create_operator(db, username, role, password or None, display_name, by=actor.id)
                return None, (op.username, secret if not password else "")
        except ValueError as exc:
            return str(exc), None
        except IntegrityError:
            return "err_username_taken", None

    error, created = await run_in_threadpool(work)
    ops = await run_in_threadpool(_operators, deps)
    return render(request, "operators.html", {"operators": ops, "error_key": error, "created": created, "roles": ROLES},
                  status_code=400 if error else 200)


@router.post("/operators/{ref}/active", dependencies=[Depends(csrf_protect)])
async def operators_active(
    request: Request, ref: str, active: str = Form(""), actor: Actor = Depends(admin_required)
) -> Response:
    """Deactivate (their sessions stop working at once) or reactivate an account; never your own."""
    operator_id = public_ids.need("operator", ref)
    deps = deps_of(request)

    def work() -> bool:
        with deps.factory() as db, db.begin():
            op = db.get(Operator, operator_id)
            if op is None:
                return False
            if int(op.id) != actor.id:
                op.active = active == "1"
                if op.active:
                    op.failed_logins = 0
                audit.record(db, "operator_activate" if op.active else "operator_deactivate", operator_id=actor.id,
                             subject_type="operator", subject_id=operator_id)
            return True

    if not await run_in_threadpool(work):
        raise NotFound()
    return RedirectResponse("/console/operators", status_code=303)


def _audit_rows(deps: Any, action: str, before: int | None, limit: int | None) -> tuple[list[Any], list[str]]:
    """A page of audit events (newest first, ids below ``before``) with operator names, and the actions seen."""
    with deps.factory() as db:
        query = select(AuditEvent, Operator.username).outerjoin(Operator, Operator.id == AuditEvent.operator_id)
        if action:
            query = query.where(AuditEvent.action == action)
        if before:
            query = query.where(AuditEvent.id < before)
        query = query.order_by(AuditEvent.id.desc())
        if limit:
            query = query.limit(limit)
        rows = db.execute(query).all()
        actions = db.execute(select(AuditEvent.action).group_by(AuditEvent.action).order_by(func.min(AuditEvent.action))).scalars().all()
        return list(rows), list(actions)


@router.get("/audit")
async def audit_page(request: Request, action: str = "", before: str = "",
                     actor: Actor = Depends(admin_required)) -> Response:
    """The audit log, newest first, filterable by action (``before``: an event's public id, for the next page)."""
    before_id = public_ids.need("event", before) if before else None
    rows, actions = await run_in_threadpool(_audit_rows, deps_of(request), action[:50], before_id, PAGE)
    next_before = public_ids.encode("event", rows[-1][0].id) if len(rows) == PAGE else None
    return render(request, "audit.html", {"rows": rows, "actions": actions, "action": action, "next_before": next_before})


#: Audit events read per database round trip while exporting.
EXPORT_PAGE = 1000
AUDIT_HEADER = ["id", "at", "actor_kind", "operator", "action", "subject_type", "subject_id", "detail"]


def _audit_pages(deps: Any, action: str) -> Iterator[str]:
    """The export in chunks of CSV text, newest first, a page of events at a time (never all in memory)."""
    yield to_csv(AUDIT_HEADER, [])
    before: int | None = None
    while True:
        rows, _ = _audit_rows(deps, action, before, EXPORT_PAGE)
        if not rows:
            return
        yield rows_csv((
            [e.id, e.at.isoformat() if e.at else "", e.actor_kind, username or "", e.action, e.subject_type or "",
             e.subject_id or "", json.dumps(e.detail, ensure_ascii=False) if e.detail else ""]
            for e, username in rows))
        before = rows[-1][0].id


#: The subject of an export request (one kind of export today: the audit log).
EXPORT_SUBJECT = "audit"


@router.post("/audit/export", dependencies=[Depends(csrf_protect)])
async def audit_export_request(request: Request, actor: Actor = Depends(admin_required)) -> Response:
    """Four eyes on exports: the first admin's press asks; another admin's press approves it, and the
    asker may then download the CSV once."""
    deps = deps_of(request)

    def work() -> str:
        try:
            with deps.factory() as db, db.begin():
                granted = approvals.request_or_approve(db, "export_audit", EXPORT_SUBJECT, actor.id)
        except approvals.SamePerson:
            return "err_same_person"
        return "approval_requested" if granted is None else "approved"

    outcome = await run_in_threadpool(work)
    rows, actions = await run_in_threadpool(_audit_rows, deps, "", None, PAGE)
    next_before = public_ids.encode("event", rows[-1][0].id) if len(rows) == PAGE else None
    return render(request, "audit.html", {"rows": rows, "actions": actions, "action": "", "next_before": next_before,
                                          "notice_key": None if outcome == "err_same_person" else outcome,
                                          "error_key": outcome if outcome == "err_same_person" else None},
                  status_code=409 if outcome == "err_same_person" else 200)


@router.get("/audit.csv")
async def audit_csv(request: Request, action: str = "", actor: Actor = Depends(admin_required)) -> Response:
    """The audit log as CSV, streamed; no cell can start a spreadsheet formula. Needs another admin's
    approval of this admin's request, spent by this download; the export is audited."""
    deps = deps_of(request)

    def note() -> bool:
        with deps.factory() as db, db.begin():
            grant = approvals.granted_to(db, "export_audit", EXPORT_SUBJECT, actor.id)
            if grant is None:
                return False
            approvals.use(db, "export_audit", EXPORT_SUBJECT, grant, actor.id)
            audit.record(db, "audit_export", operator_id=actor.id, detail={"action": action or None,
                                                                          "approved_by": int(grant.operator_id or 0)})
            return True

    if not await run_in_threadpool(note):
        raise Forbidden()
    return StreamingResponse(iterate_in_threadpool(_audit_pages(deps, action[:50])),
                             media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="shaml-audit.csv"'})


@router.get("/audit/{ref}")
async def audit_event(request: Request, ref: str, actor: Actor = Depends(admin_required)) -> Response:
    """One audit event with its full detail."""
    event_id = public_ids.need("event", ref)
    deps = deps_of(request)

    def load() -> Any:
        with deps.factory() as db:
            return db.execute(
                select(AuditEvent, Operator.username).outerjoin(Operator, Operator.id == AuditEvent.operator_id)
                .where(AuditEvent.id == event_id)
            ).first()

    row = await run_in_threadpool(load)
    if row is None:
        raise NotFound()
    return render(request, "audit_event.html", {"event": row[0], "username": row[1]})
