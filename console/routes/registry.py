"""The registry: audited search (a reason is required), record view, and CSV import with a mapping preview."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from console import audit, imports, public_ids
from console.csvsafe import to_csv
from console.render import render
from console.security import (
    Actor,
    NotFound,
    admin_required,
    csrf_protect,
    deps_of,
    operator_required,
    session_of,
)
from matching.normalize import ascii_digits
from matching.records import REGISTRY_COLUMNS, Query
from matching.service import RegistryMatcher
from matching.store import ImportBatch, ImportRowError, RegistryRow, RegistrySource

router = APIRouter()

#: Shortest reason accepted for a registry search (characters).
MIN_REASON = 10
#: Most rows a search returns.
SEARCH_LIMIT = 50
#: Errors listed on a batch page (all are in the CSV export).
ERRORS_SHOWN = 500


def _empty_form() -> dict[str, str]:
    return {"name": "", "father_name": "", "mother_name": "", "birth_year": "", "governorate": "", "reason": ""}


@router.get("/registry")
async def registry_page(request: Request, actor: Actor = Depends(operator_required)) -> Response:
    """The search form."""
    return render(request, "registry.html", {"form": _empty_form(), "results": None, "error_key": None})


#: One matcher over the live registry per database (the console's registry search ranks with it).
_MATCHERS: dict[int, RegistryMatcher] = {}
_MATCHERS_LOCK = threading.Lock()
#: Candidates the matcher is asked for; the first SEARCH_LIMIT are shown ("first 50 of N").
SEARCH_POOL = 60


def _matcher(deps: Any) -> RegistryMatcher:
    with _MATCHERS_LOCK:
        found = _MATCHERS.get(id(deps.factory))
        if found is None:
            found = _MATCHERS[id(deps.factory)] = RegistryMatcher(deps.factory, refresh_seconds=0.0)
        return found


def _search(deps: Any, form: dict[str, str], operator_id: int) -> tuple[list[RegistryRow], int]:
    """Rows the matcher ranks for the form, best first, and how many it found.

    The matcher's normalisation and cross-script keys do the finding (Latin finds Arabic, no
    SQL wildcard); a stated year or mother narrows nothing away, it only ranks."""
    query = Query(query_id="console", name=form["name"], father_name=form["father_name"] or None,
                  mother_name=form["mother_name"] or None,
                  birth_year=int(form["birth_year"]) if form["birth_year"] else None,
                  governorate=form["governorate"] or None)
    matcher = _matcher(deps)
    result = matcher.search(query, limit=SEARCH_POOL)
    mids = [c.record_id for c in result.candidates]
    if len(form["name"].split()) == 1:  # one word: every record with a name part spelt like it
        mids += [m for m in matcher.word_search(form["name"], SEARCH_POOL * 20) if m not in set(mids)]
    ids = [rid for m in mids if (rid := matcher.row_id(m)) is not None]
    found = len(ids)
    ids = ids[:SEARCH_LIMIT]
    with deps.factory() as db, db.begin():
        by_id = {r.id: r for r in db.execute(
            select(RegistryRow).where(RegistryRow.id.in_(ids), RegistryRow.deleted_at.is_(None))).scalars().all()}
        rows = [by_id[i] for i in ids if i in by_id]
        searched = " ".join(form[k] for k in ("name", "father_name", "mother_name", "birth_year", "governorate"))
        # The reason is kept as written (it justifies the search); the searched name only as a hash.
        audit.record(db, "registry_search", operator_id=operator_id, subject_type="registry",
                     detail={"reason": form["reason"], "query_hash": audit.digest(searched), "results": len(rows),
                             "found": found})
        db.flush()
        db.expunge_all()
        return rows, found


@router.post("/registry/search", dependencies=[Depends(csrf_protect)])
async def registry_search(
    request: Request,
    name: str = Form(""),
    father_name: str = Form(""),
    mother_name: str = Form(""),
    birth_year: str = Form(""),
    governorate: str = Form(""),
    reason: str = Form(""),
    actor: Actor = Depends(operator_required),
) -> Response:
    """Search by name and details; refused without a reason; every search is written to the audit log."""
    form = {"name": name.strip()[:200], "father_name": father_name.strip()[:200], "mother_name": mother_name.strip()[:200],
            "birth_year": ascii_digits(birth_year.strip())[:4], "governorate": governorate.strip()[:200],
            "reason": reason.strip()[:500]}
    error = None
    if len(form["reason"]) < MIN_REASON:
        error = "err_reason_required"
    elif not form["name"]:
        error = "err_name_required"
    elif form["birth_year"] and not form["birth_year"].isdecimal():
        error = "err_bad_year"
    if error:
        return render(request, "registry.html", {"form": form, "results": None, "error_key": error,
                                                  "here": "/console/registry"}, status_code=400)
    rows, found = await run_in_threadpool(_search, deps_of(request), form, actor.id)
    # The language toggle comes back to the search form (the results page answers a POST only).
    return render(request, "registry.html", {"form": form, "results": rows, "found": found, "error_key": None,
                                              "here": "/console/registry"})


@router.get("/registry/records/{ref}")
async def record_page(request: Request, ref: str, actor: Actor = Depends(operator_required)) -> Response:
    """One registry record (the view is audited)."""
    row_id = public_ids.need("record", ref)
    deps = deps_of(request)

    def load() -> tuple[RegistryRow, RegistrySource | None, ImportBatch | None] | None:
        with deps.factory() as db, db.begin():
            row = db.get(RegistryRow, row_id)
            if row is None:
                return None
            source = db.get(RegistrySource, row.source)
            batch = db.get(ImportBatch, row.batch_id) if row.batch_id else None
            audit.record(db, "view_record", operator_id=actor.id, subject_type="registry_record", subject_id=row_id)
            db.flush()
            db.expunge_all()
            return row, source, batch

    found = await run_in_threadpool(load)
    if found is None:
        raise NotFound()
    row, source, batch = found
    return render(request, "record.html", {"row": row, "source": source, "batch": batch})


def _batches(deps: Any) -> list[ImportBatch]:
    with deps.factory() as db:
        return list(db.execute(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(30)).scalars().all())


@router.get("/registry/import")
async def import_page(request: Request, actor: Actor = Depends(admin_required)) -> Response:
    """Upload form and the latest imports."""
    batches = await run_in_threadpool(_batches, deps_of(request))
    return render(request, "import.html", {"batches": batches, "error_key": None, "detail": ""})


@router.post("/registry/import/preview", dependencies=[Depends(admin_required), Depends(csrf_protect)])
async def import_preview(request: Request) -> Response:
    """Keep the upload and show its columns with the proposed mapping and the first rows.

    The form is read only after the admin check (no body parameters, so FastAPI does not parse the
    body first): nobody else's upload is ever spooled to disk.
    """
    deps = deps_of(request)
    form = await request.form()  # already parsed by csrf_protect; the file is spooled to disk past 1 MB
    file = form.get("file")
    source = str(form.get("source", ""))
    try:
        if not isinstance(file, UploadFile):
            raise imports.UploadError("err_upload_empty", "no file in the form")
        filename = (file.filename or "upload.csv")[:200]
        await run_in_threadpool(imports.sweep_uploads, deps.upload_dir, deps.upload_max_age)
        info = await run_in_threadpool(imports.save_upload, deps.upload_dir, file.file, filename)
    except imports.UploadError as exc:
        batches = await run_in_threadpool(_batches, deps)
        return render(request, "import.html", {"batches": batches, "error_key": exc.key, "detail": exc.detail},
                      status_code=413 if exc.key == "err_upload_too_big" else 400)
    finally:
        await form.close()
    session = session_of(request)
    session.extra["upload"] = info.token
    request.state.session_dirty = True
    return render(request, "import_preview.html", {"info": info, "columns": REGISTRY_COLUMNS, "source": source.strip(),
                                                   "error_key": None, "detail": ""})


@router.post("/registry/import/run", dependencies=[Depends(csrf_protect)])
async def import_run(request: Request, actor: Actor = Depends(admin_required)) -> Response:
    """Import the previewed upload with the chosen mapping, then show the report by line."""
    deps = deps_of(request)
    form = await request.form()
    token = str(form.get("token", ""))
    source = str(form.get("source", "")).strip()
    filename = str(form.get("filename", ""))[:200]
    session = session_of(request)
    if session.extra.get("upload") != token:
        batches = await run_in_threadpool(_batches, deps)
        return render(request, "import.html", {"batches": batches, "error_key": "err_upload_missing", "detail": ""},
                      status_code=400)
    try:
        info = await run_in_threadpool(imports.preview, deps.upload_dir, token, filename)
        mapping = [str(form.get(f"map_{i}", imports.IGNORE)) for i in range(len(info.header))]
        report = await run_in_threadpool(
            lambda: imports.run_import(deps.factory, deps.upload_dir, token, mapping, source=source, filename=filename,
                                       batch_size=deps.import_batch_size)
        )
    except imports.UploadError as exc:
        if exc.key in ("err_mapping", "err_source"):
            info = await run_in_threadpool(imports.preview, deps.upload_dir, token, filename)
            return render(request, "import_preview.html", {"info": info, "columns": REGISTRY_COLUMNS, "source": source,
                                                           "error_key": exc.key, "detail": exc.detail}, status_code=400)
        batches = await run_in_threadpool(_batches, deps)
        return render(request, "import.html", {"batches": batches, "error_key": exc.key, "detail": exc.detail},
                      status_code=400)
    session.extra.pop("upload", None)
    request.state.session_dirty = True

    def note() -> None:
        with deps.factory() as db, db.begin():
            audit.record(db, "registry_import", operator_id=actor.id, subject_type="import_batch",
                         subject_id=report.batch_id,
                         detail={"source": source, "read": report.rows_read, "inserted": report.inserted,
                                 "updated": report.updated, "rejected": report.rejected,
                                 "mapping": [m or None for m in mapping]})

    await run_in_threadpool(note)
    return RedirectResponse(public_ids.path("batch", report.batch_id), status_code=303)


def _batch(deps: Any, batch_id: int) -> tuple[ImportBatch, list[ImportRowError]] | None:
    with deps.factory() as db:
        batch = db.get(ImportBatch, batch_id)
        if batch is None:
            return None
        errors = db.execute(
            select(ImportRowError).where(ImportRowError.batch_id == batch_id).order_by(ImportRowError.line)
            .limit(ERRORS_SHOWN)
        ).scalars().all()
        return batch, list(errors)


@router.get("/registry/imports/{ref}")
async def batch_page(request: Request, ref: str, actor: Actor = Depends(admin_required)) -> Response:
    """An import's counts and its refused rows by line."""
    batch_id = public_ids.need("batch", ref)
    found = await run_in_threadpool(_batch, deps_of(request), batch_id)
    if found is None:
        raise NotFound()
    batch, errors = found
    return render(request, "import_batch.html", {"batch": batch, "errors": errors, "shown": ERRORS_SHOWN})


@router.get("/registry/imports/{ref}/errors.csv")
async def batch_errors_csv(request: Request, ref: str, actor: Actor = Depends(admin_required)) -> Response:
    """Every refused row of an import as CSV (cells that would start a formula are neutralised)."""
    batch_id = public_ids.need("batch", ref)
    deps = deps_of(request)

    def load() -> str | None:
        with deps.factory() as db:
            if db.get(ImportBatch, batch_id) is None:
                return None
            rows = db.execute(
                select(ImportRowError.line, ImportRowError.reason, ImportRowError.raw)
                .where(ImportRowError.batch_id == batch_id).order_by(ImportRowError.line)
            ).all()
            return to_csv(["line", "reason", "raw"], rows)

    body = await run_in_threadpool(load)
    if body is None:
        raise NotFound()
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="import-{ref}-errors.csv"'})


@router.get("/registry/imports")
async def imports_redirect(request: Request, actor: Actor = Depends(admin_required)) -> Response:
    """The import page lists the batches."""
    return RedirectResponse("/console/registry/import", status_code=303)
