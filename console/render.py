"""Jinja2 rendering with autoescape on every template, the language of the request, and small formatters."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from console.durations import wait_text
from console.i18n import LANGUAGES, label, row_problem, translator
from matching.store import utcnow

TEMPLATES = Path(__file__).parent / "templates"

# autoescape=True for every file, .html and .svg alike: a name like <script> always shows as text.
env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """A UTC-aware datetime (SQLite gives naive ones back)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


def minutes_since(value: dt.datetime | None, now: dt.datetime | None = None) -> int | None:
    """Whole minutes from ``value`` to now."""
    value = aware(value)
    if value is None:
        return None
    return max(0, int(((now or utcnow()) - value).total_seconds() // 60))


def hhmm(value: dt.datetime | None) -> str:
    """``2026-11-26 07:05`` in UTC."""
    value = aware(value)
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def mask_address(address: str | None) -> str:
    """A phone number masked as ``+963 9•• ••• •45`` (see :mod:`console.access`)."""
    from console.access import mask_number

    return mask_number(address)


def mask_body(text: str | None) -> str:
    """A message body with every phone number in it masked."""
    from console.access import mask_text

    return mask_text(text)


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are rendered; anything else (javascript:, data:) is dropped."""
    if url and (url.startswith("https://") or url.startswith("http://")):
        return url
    return None


def pretty(value: Any) -> str:
    """JSON for people: indented, Arabic as Arabic (escaped by the template like any text)."""
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


env.filters.update(hhmm=hhmm, mask=mask_address, mask_text=mask_body, safe_url=safe_url, pretty=pretty)

#: Audit subject types whose ids are shown as public ids, by the kind of public id.
_SUBJECT_KINDS = {"contact": "contact", "registration": "registration", "match": "match", "registry_record": "record",
                  "import_batch": "batch", "operator": "operator"}
#: Characters of a public id shown as a page's "#" reference (the link carries the whole id).
SHORT = 8


def public_id(kind: str, row_id: Any) -> str:
    """The opaque id of a row for a URL or a form (see :mod:`console.public_ids`)."""
    from console.public_ids import encode

    return encode(kind, int(row_id))


def short_id(kind: str, row_id: Any) -> str:
    """The first characters of a row's public id, for people to name it ("#k3v9q2ab"); never a row number."""
    return public_id(kind, row_id)[:SHORT] if row_id is not None else "—"


def subject_ref(subject_type: str | None, subject_id: Any) -> str:
    """An audit event's subject as its short public id (a subject of another type as stored)."""
    kind = _SUBJECT_KINDS.get(subject_type or "")
    if kind is not None and subject_id is not None and str(subject_id).isdecimal():
        return short_id(kind, int(subject_id))
    return str(subject_id or "")


env.globals.update(pid=public_id, short=short_id, subject_ref=subject_ref)


def language_of(request: Request) -> str:
    """``ar`` unless the operator chose English."""
    lang = request.cookies.get("shaml_lang", "ar")
    return lang if lang in LANGUAGES else "ar"


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200) -> HTMLResponse:
    """Render ``name`` with the request's language, actor and CSRF token available to the template."""
    from console.security import csrf_token

    lang = language_of(request)
    values: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "dir": "rtl" if lang == "ar" else "ltr",
        "t": translator(lang),
        "actor": getattr(request.state, "actor", None) or None,
        "csrf": lambda: csrf_token(request),
        "path": request.url.path,
        # Where the language toggle comes back to, query included (the login form keeps its ``next``).
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "minutes_since": minutes_since,
        "label": lambda prefix, code: label(lang, prefix, code),
        # A wait in words, in the page's language: wait(minutes) or wait(since=datetime).
        "wait": lambda minutes=None, since=None: wait_text(minutes if since is None else minutes_since(since), lang),
        "poll_ms": request.app.state.deps.poll_ms,
        "demo": request.app.state.deps.demo,
        "row_problem": row_problem,
    }
    values.update(context or {})
    return HTMLResponse(env.get_template(name).render(values), status_code=status_code)
