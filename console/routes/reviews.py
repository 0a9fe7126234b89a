"""Match review: the search and the candidate side by side with the matcher's explanation; confirm or reject.

Decisions call ``bot.reunion.review``, which continues the consent flow; so does verifying a
callback number by hand on the registration view.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from bot.models import Match, Operator, Registration, SearchRequest
from bot.reunion import review as reunion_review
from bot.reunion import trust
from console import access, approvals, audit, public_ids
from console.i18n import known_error
from console.render import render
from console.security import Actor, Forbidden, NotFound, csrf_protect, deps_of, operator_required
from console.summary import field_state, plain_summary
from matching.store import RegistryRow

log = logging.getLogger(__name__)
router = APIRouter()

#: Fields compared side by side: (label key, search attribute, candidate attribute, explanation key).
FIELDS = (
    ("f_full_name", "full_name", "full_name", "names"),
    ("f_father_name", "father_name", "father_name", "father"),
    ("f_mother_name", "mother_name", "mother_name", "mother"),
    ("f_birth_year", "birth_year", "birth_year", "birth_year"),
    ("f_governorate", "governorate", "governorate", "governorate"),
)
#: Longest decision note (characters).
MAX_NOTE = 1000
#: Most candidates of one search shown side by side.
MAX_SIDE_BY_SIDE = 5
#: Below this score the page leads with Reject and Confirm is not the highlighted button.
LOW_SCORE = 0.5


def _candidate(db: Any, match: Match) -> tuple[str, Any]:
    """(kind, row) of a match's candidate: a registry row or a released person's registration."""
    if match.registry_record_id is not None:
        return "registry", db.get(RegistryRow, match.registry_record_id)
    if match.registration_id is not None:
        return "registration", db.get(Registration, match.registration_id)
    return "registry", None


def _queue(deps: Any) -> dict[str, Any]:
    """Pending reviews grouped by search (one entry per search, its candidates best first)."""
    with deps.factory() as db:
        pending = db.execute(
            select(Match, SearchRequest).join(SearchRequest, SearchRequest.id == Match.search_id)
            .where(Match.status == "review").order_by(Match.created_at, Match.id)
        ).all()
        groups: dict[int, dict[str, Any]] = {}
        for match, search in pending:
            group = groups.setdefault(search.id, {"search": search, "matches": [], "since": match.created_at})
            _, row = _candidate(db, match)
            group["matches"].append({"match": match, "name": getattr(row, "full_name", None) or "—"})
        for group in groups.values():
            group["matches"].sort(key=lambda c: (-c["match"].score, c["match"].id))
            group["best"] = group["matches"][0]["match"]
        decided = db.execute(
            select(Match, Operator).outerjoin(Operator, Operator.id == Match.decided_by)
            .where(Match.decided_by.is_not(None)).order_by(Match.updated_at.desc()).limit(20)
        ).all()
        return {"groups": list(groups.values()), "pending_count": len(pending), "decided": decided}


@router.get("/reviews")
async def reviews_page(request: Request, actor: Actor = Depends(operator_required)) -> Response:
    """Matches waiting for an operator, oldest first, and the latest decisions."""
    data = await run_in_threadpool(_queue, deps_of(request))
    return render(request, "reviews.html", data)


def _detail(deps: Any, match_id: int) -> dict[str, Any] | None:
    with deps.factory() as db:
        match = db.get(Match, match_id)
        if match is None:
            return None
        search = db.get(SearchRequest, match.search_id)
        kind, candidate = _candidate(db, match)
        decider = db.get(Operator, match.decided_by) if match.decided_by else None
        # Every candidate of the same search, this one first, then best score first: compared side by side.
        others = db.execute(
            select(Match).where(Match.search_id == match.search_id, Match.id != match.id,
                                Match.status.in_(("review", match.status)))
        ).scalars().all()
        side = [match, *sorted(others, key=lambda m: (-m.score, m.id))]
        columns = []
        for m in side[:MAX_SIDE_BY_SIDE]:
            m_kind, row = _candidate(db, m)
            expl = m.explanation or {}
            columns.append({"match": m, "kind": m_kind, "row": row, "explanation": expl,
                            "states": {ekey: field_state(expl, ekey) for _, _, _, ekey in FIELDS}})
        return {"match": match, "search": search, "candidate": candidate, "kind": kind, "decider": decider,
                "fields": FIELDS, "explanation": match.explanation or {}, "columns": columns,
                "low_score": match.score < LOW_SCORE}


@router.get("/reviews/{ref}")
async def review_page(request: Request, ref: str, actor: Actor = Depends(operator_required)) -> Response:
    """One match: both sides, per-field explanation, score, and the decision form."""
    match_id = public_ids.need("match", ref)
    deps = deps_of(request)
    data = await run_in_threadpool(_detail, deps, match_id)
    if data is None:
        raise NotFound()

    def note_view() -> None:
        with deps.factory() as db, db.begin():
            audit.record(db, "view_match", operator_id=actor.id, subject_type="match", subject_id=match_id)

    await run_in_threadpool(note_view)
    return render(request, "review.html", {**data, "error": None, "summary": plain_summary})


#: What a decision's page says when it is only a request so far (no error, status 202).
REQUESTED = "requested"


async def _decide(request: Request, ref: str, actor: Actor, note: str, fn: Any, *, four_eyes: bool = False) -> Response:
    match_id = public_ids.need("match", ref)
    deps = deps_of(request)
    text = (note or "").strip()[:MAX_NOTE] or None

    def work() -> str | None:
        try:
            with deps.factory() as db, db.begin():
                match = db.get(Match, match_id)
                if match is None:
                    return "missing"
                if four_eyes:
                    if match.status != "review":
                        raise reunion_review.ReviewError(f"this match is {match.status}; only matches in review can be decided")
                    if approvals.request_or_approve(db, "confirm_match", match_id, actor.id) is None:
                        return REQUESTED
                fn(db, match_id, actor.id, text)
        except reunion_review.ReviewError as exc:
            return str(exc).replace(f"match {match_id} ", "this match ")  # the page never shows a row number
        except approvals.SamePerson:
            return "err_same_person"
        return None

    error = await run_in_threadpool(work)
    if error == "missing":
        raise NotFound()
    if error == REQUESTED:
        data = await run_in_threadpool(_detail, deps, match_id)
        return render(request, "review.html", {**(data or {}), "error": None, "notice_key": "approval_requested",
                                               "summary": plain_summary},
                      status_code=202)
    if error:
        data = await run_in_threadpool(_detail, deps, match_id)
        shown = "err_same_person" if error == "err_same_person" else error
        return render(request, "review.html", {**(data or {}), "error": None if shown.startswith("err_") else shown,
                                               "error_key": shown if shown.startswith("err_") else None,
                                               "summary": plain_summary},
                      status_code=409)
    return RedirectResponse(public_ids.path("match", match_id), status_code=303)


@router.post("/reviews/{ref}/confirm", dependencies=[Depends(csrf_protect)])
async def confirm(request: Request, ref: str, note: str = Form(""), actor: Actor = Depends(operator_required)) -> Response:
    """Same person: needs two accounts. The first press asks; another account's press confirms, and the
    consent flow continues (the released person is asked first)."""
    return await _decide(request, ref, actor, note, reunion_review.confirm, four_eyes=True)


@router.post("/reviews/{ref}/reject", dependencies=[Depends(csrf_protect)])
async def reject(request: Request, ref: str, note: str = Form(""), actor: Actor = Depends(operator_required)) -> Response:
    """Not the same person: nothing is ever sent about this pair."""
    return await _decide(request, ref, actor, note, reunion_review.reject)


def _registration(deps: Any, registration_id: int, actor: Actor, *, reveal: bool = False) -> dict[str, Any] | None:
    """The registration if this actor may see it (else None, as for one that does not exist); the read
    is audited, and a reveal of the callback number is audited as such."""
    with deps.factory() as db, db.begin():
        reg = db.get(Registration, registration_id)
        if reg is None or not access.registration_visible(db, actor.role, registration_id):
            return None
        verifier = db.get(Operator, reg.verified_by) if reg.verified_by else None
        audit.record(db, "view_registration", operator_id=actor.id, subject_type="registration",
                     subject_id=registration_id)
        if reveal:
            audit.record(db, "reveal_numbers", operator_id=actor.id, subject_type="registration",
                         subject_id=registration_id)
        request = approvals.pending(db, "verify_callback", str(registration_id))
        asker = db.get(Operator, request.operator_id) if request is not None and request.operator_id else None
        vetted = trust.vetters(db, registration_id)
        db.flush()
        db.expunge_all()
        return {"reg": reg, "verifier": verifier, "vetted": vetted, "revealed": reveal, "pending": request is not None,
                "pending_by": (asker.display_name or asker.username) if asker else ""}


def _registration_page(request: Request, data: dict[str, Any], *, error_key: str | None = None,
                       notice_key: str | None = None, status_code: int = 200) -> Response:
    return render(request, "registration.html", {**data, "error_key": error_key, "notice_key": notice_key},
                  status_code=status_code)


@router.get("/registrations/{ref}")
async def registration_page(request: Request, ref: str, actor: Actor = Depends(operator_required)) -> Response:
    """A released person's registration (callback masked), with the button to verify the callback number by hand."""
    registration_id = public_ids.need("registration", ref)
    data = await run_in_threadpool(_registration, deps_of(request), registration_id, actor)
    if data is None:
        raise NotFound()
    return _registration_page(request, data, error_key=known_error(request.query_params.get("error")))


@router.post("/registrations/{ref}/reveal", dependencies=[Depends(csrf_protect)])
async def registration_reveal(request: Request, ref: str, actor: Actor = Depends(operator_required)) -> Response:
    """Supervisors and admins: the page with the callback number shown; the reveal is audited."""
    registration_id = public_ids.need("registration", ref)
    if not actor.sees_all:
        raise Forbidden()
    data = await run_in_threadpool(lambda: _registration(deps_of(request), registration_id, actor, reveal=True))
    if data is None:
        raise NotFound()
    return _registration_page(request, data)


@router.post("/registrations/{ref}/verify", dependencies=[Depends(csrf_protect)])
async def verify(request: Request, ref: str, actor: Actor = Depends(operator_required)) -> Response:
    """The callback number was reached another way: needs two accounts. The first press asks; another
    account's press makes the registration active."""
    registration_id = public_ids.need("registration", ref)
    deps = deps_of(request)

    def work() -> str | None:
        try:
            with deps.factory() as db, db.begin():
                reg = db.get(Registration, registration_id)
                if reg is None or not access.registration_visible(db, actor.role, registration_id):
                    return "missing"
                if reg.callback_verified_at is not None or reg.status == "withdrawn":
                    raise reunion_review.ReviewError("err_cannot_verify")
                if approvals.request_or_approve(db, "verify_callback", registration_id, actor.id) is None:
                    return REQUESTED
                reunion_review.verify_by_hand(db, registration_id, actor.id)
        except reunion_review.ReviewError:
            return "err_cannot_verify"
        except approvals.SamePerson:
            return "err_same_person"
        return None

    return await _registration_outcome(request, registration_id, actor, await run_in_threadpool(work))


async def _registration_outcome(request: Request, registration_id: int, actor: Actor, error: str | None) -> Response:
    """After an action on a registration: back to its page, or the page again with what stopped it."""
    if error == "missing":
        raise NotFound()
    if error:
        data = await run_in_threadpool(_registration, deps_of(request), registration_id, actor)
        if data is None:
            raise NotFound()
        if error == REQUESTED:
            return _registration_page(request, data, notice_key="approval_requested", status_code=202)
        return _registration_page(request, data, error_key=error, status_code=409)
    return RedirectResponse(public_ids.path("registration", registration_id), status_code=303)


@router.post("/registrations/{ref}/vet", dependencies=[Depends(csrf_protect)])
async def vet(request: Request, ref: str, how: str = Form("call"), actor: Actor = Depends(operator_required)) -> Response:
    """This operator spoke with the person; the second distinct operator corroborates the registration."""
    registration_id = public_ids.need("registration", ref)
    deps = deps_of(request)

    def work() -> str | None:
        try:
            with deps.factory() as db, db.begin():
                # One the operator may not see is as missing as one that does not exist.
                if db.get(Registration, registration_id) is None or not access.registration_visible(
                        db, actor.role, registration_id):
                    return "missing"
                trust.vet(db, registration_id, actor.id, how)
        except trust.TrustError as exc:
            log.info("registration %s: vetting refused: %s", registration_id, exc.reason)
            return "err_unknown"
        return None

    return await _registration_outcome(request, registration_id, actor, await run_in_threadpool(work))
