"""Hostile console requests: oversized forms and uploads, NUL characters, broken simulator JSON.

Asserted: a console form over FORM_BODY (1 MiB) and an upload over UPLOAD_BODY get 413 with the
explanation in Arabic and English and the console's security headers, whether the size was
declared or found while streaming; a file just over MAX_UPLOAD gets 413 and is not kept; a NUL in
any form or query value (PostgreSQL text cannot hold one, and it used to answer 500, even on the
anonymous login form) gets 400 with a message in the reader's language; the phone simulator stores
a NUL as U+FFFD and refuses half a surrogate pair or JSON nested too deep with 400. The refusal is
logged; the typed text is not.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.models import AuditEvent, Message
from console.app import FORM_BODY, UPLOAD_BODY
from console.imports import MAX_UPLOAD
from tests.console.conftest import PASSWORD, csrf_of, logged_in, post
from tests.hostile.conftest import refusals

FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_console_form_over_the_limit_gets_a_bilingual_413(chunked: bool, client, logs) -> None:  # type: ignore[no-untyped-def]
    """Any console form (here the login form, open to anyone) is capped at FORM_BODY."""
    body = b"username=" + b"a" * FORM_BODY
    content = iter([body[i:i + 65536] for i in range(0, len(body), 65536)]) if chunked else body
    response = client.post("/console/login", content=content, headers={"Content-Type": FORM})
    assert response.status_code == 413
    assert "الطلب المرسل أكبر من المسموح" in response.text and "The request is larger than allowed" in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["connection"] == "close"
    (line,) = refusals(logs)
    assert line.startswith("POST /console/login refused (413): ")
    assert ("while streaming (no Content-Length)" in line) is chunked


def test_uploads_over_the_limits(app, admin, settings, logs) -> None:  # type: ignore[no-untyped-def]
    """An upload body over UPLOAD_BODY: 413 page in both languages, unread. A file of MAX_UPLOAD + 1
    bytes (inside the body limit): read, refused by size with 413 on the import page, not kept."""
    samir = logged_in(app, admin)
    token = csrf_of(samir, "/console/registry/import")
    huge = samir.post("/console/registry/import/preview", data={"csrf": token, "source": "s1"},
                      files={"file": ("big.csv", b"x" * UPLOAD_BODY, "text/csv")})
    assert huge.status_code == 413
    assert "الملف أكبر من 50 ميغابايت" in huge.text and "The file is larger than 50 MB" in huge.text
    just_over = samir.post("/console/registry/import/preview", data={"csrf": token, "source": "s1"},
                           files={"file": ("big.csv", b"record_id,full_name\n" + b"x" * MAX_UPLOAD, "text/csv")})
    assert just_over.status_code == 413 and "الملف أكبر من 50 ميغابايت" in just_over.text
    uploads = settings.var_dir / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []
    assert refusals(logs)[0].startswith("POST /console/registry/import/preview refused (413): Content-Length ")
    samir.close()


def test_nul_in_the_anonymous_login_form_is_a_400_not_a_500(client, admin, factory, logs) -> None:  # type: ignore[no-untyped-def]
    """The login form, open to anyone: a NUL in the username gets 400 with the reason in Arabic (and in
    English when chosen); the attempt is not counted against the account, and the log says what was
    refused without the text."""
    for lang, words in (("ar", "في النموذج محرف NUL"), ("en", "The form holds a NUL character")):
        client.cookies.set("shaml_lang", lang, path="/console")
        response = client.post("/console/login", data={"csrf": csrf_of(client), "username": "sa\x00mir-secret",
                                                       "password": PASSWORD, "next": "/console/"})
        assert response.status_code == 400 and words in response.text
    assert refusals(logs) == ["POST /console/login refused (400): a form value holds a NUL character"] * 2
    assert "mir-secret" not in "\n".join(r.getMessage() for r in logs.records)
    with factory() as db:
        assert db.execute(select(AuditEvent).where(AuditEvent.action == "login_failed")).first() is None


def test_nul_in_an_operator_form_or_a_query_is_a_400(app, admin, logs) -> None:  # type: ignore[no-untyped-def]
    """Logged in: a NUL in the registry search form or in the audit page's query string gets 400."""
    samir = logged_in(app, admin)
    search = post(samir, "/console/registry/search", {"name": "محمد\x00", "reason": "a family asked about him"},
                  page="/console/registry")
    assert search.status_code == 400 and "NUL" in search.text
    audit = samir.get("/console/audit?action=%00login")
    assert audit.status_code == 400
    assert refusals(logs) == ["POST /console/registry/search refused (400): a form value holds a NUL character",
                              "GET /console/audit refused (400): a query string value holds a NUL character"]
    samir.close()


SIMULATOR = [
    ("NUL stored as U+FFFD", {"phone": "family-1", "body": "أخي\x00محمد"}, 200),
    ("half a surrogate pair", '{"phone": "family-1", "body": "a\\udc00"}', 400),
    ("nested 50,000 deep", "[" * 50_000, 400),
]


@pytest.mark.parametrize(("label", "payload", "status"), SIMULATOR, ids=[c[0] for c in SIMULATOR])
def test_console_simulator_send(label, payload, status, app, admin, factory) -> None:  # type: ignore[no-untyped-def]
    """The console's phone simulator (demo mode, anyone may use it) hands messages to the gateway: odd
    text is stored safely, broken JSON or text is a 400 and nothing is stored."""
    samir = logged_in(app, admin)
    token = csrf_of(samir, "/console/simulator")
    content = payload if isinstance(payload, str) else json.dumps(payload)
    response = samir.post("/console/simulator/send", content=content.encode(),
                          headers={"x-csrf-token": token, "Content-Type": "application/json"})
    assert response.status_code == status, response.text
    with factory() as db:
        bodies = db.execute(select(Message.body).where(Message.direction == "in")).scalars().all()
    assert bodies == (["أخي\ufffdمحمد"] if status == 200 else [])
    samir.close()
