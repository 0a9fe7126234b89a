"""Admin pages over HTTP: accounts, the audit log and its formula-safe CSV export; the dashboard; CSV cells."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from bot.models import AuditEvent, Match, Message, Operator
from console.csvsafe import safe_cell, to_csv
from matching.store import utcnow
from tests.console.conftest import (
    PASSWORD,
    add_operator,
    escalated_contact,
    logged_in,
    login,
    post,
    review_case,
    url,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+963912345678", "'+963912345678"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tx", "'\tx"), ("\rx", "'\rx"), ("  =x", "'  =x"), ("＝1", "'＝1"), ("محمد", "محمد"), ("a=b", "a=b"),
     ("", ""), (None, ""), (42, "42")],
)
def test_csv_cells_never_start_a_formula(value: object, expected: str) -> None:
    assert safe_cell(value) == expected


def test_to_csv_round_trips_arabic() -> None:
    text = to_csv(["name"], [["=cmd|' /C calc'!A0"], ["ريم"]])
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text[1:]))) == [["name"], ["'=cmd|' /C calc'!A0"], ["ريم"]]


def test_accounts_page_creates_and_deactivates(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    samir = logged_in(app, "samir")
    page = samir.get("/console/operators").text
    assert "rania" in page and "omar" in page
    created = post(samir, "/console/operators", {"username": "Huda", "display_name": "هدى", "role": "operator"},
                   page="/console/operators")
    assert created.status_code == 200
    password = created.text.split('id="new-password">')[1].split("<")[0]
    assert len(password) >= 10
    assert samir.get("/console/operators").text.count(password) == 0  # shown once only
    from fastapi.testclient import TestClient

    with TestClient(app, follow_redirects=False) as c:
        assert login(c, "huda", password).status_code == 303
    taken = post(samir, "/console/operators", {"username": "huda", "role": "operator"}, page="/console/operators")
    assert taken.status_code == 400 and "مستخدم من قبل" in taken.text
    assert post(samir, "/console/operators", {"username": "x y", "role": "operator"}, page="/console/operators").status_code == 400
    assert post(samir, "/console/operators", {"username": "zed", "role": "root"}, page="/console/operators").status_code == 400
    assert post(samir, "/console/operators", {"username": "zed", "role": "operator", "password": "short"},
                page="/console/operators").status_code == 400
    assert post(samir, f"{url('operator', accounts.other.id)}/active", {"active": "0"},
                page="/console/operators").status_code == 303
    with TestClient(app, follow_redirects=False) as c:
        assert login(c, "omar", PASSWORD).status_code == 401
    # An admin cannot lock themselves out.
    post(samir, f"{url('operator', accounts.admin.id)}/active", {"active": "0"}, page="/console/operators")
    with factory() as db:
        assert db.get(Operator, accounts.admin.id).active is True
        assert db.get(Operator, accounts.other.id).active is False
        acts = list(db.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars())
    assert acts.count("operator_add") == 1 and "operator_deactivate" in acts
    assert post(samir, f"{url('operator', 9999)}/active", {"active": "1"}, page="/console/operators").status_code == 404


def test_audit_log_and_formula_safe_export(app, accounts, factory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from console.routes import admin

    monkeypatch.setattr(admin, "EXPORT_PAGE", 2)  # the export streams page by page
    with factory() as db, db.begin():
        db.add(AuditEvent(actor_kind="operator", operator_id=accounts.operator.id, action="registry_search",
                          detail={"reason": "=HYPERLINK(\"http://evil\")", "results": 0}))
        db.add(AuditEvent(actor_kind="system", action="escalate", subject_type="contact", subject_id="-1"))
    samir = logged_in(app, "samir")
    page = samir.get("/console/audit").text
    assert "registry_search" in page and "escalate" in page and "rania" in page
    filtered = samir.get("/console/audit", params={"action": "escalate"}).text
    assert 'title="registry_search"' not in filtered and 'title="escalate"' in filtered
    # In Arabic the action code, the subject type and the "system" actor are translated.
    assert "تحويل إلى مشغّل" in filtered and "النظام" in filtered and "جهة اتصال" in filtered
    with factory() as db:
        event_id = db.execute(select(AuditEvent.id).where(AuditEvent.action == "registry_search")).scalar_one()
    detail = samir.get(f"{url('event', event_id)}").text
    assert "=HYPERLINK(\\&#34;http://evil\\&#34;)" in detail and "<pre" in detail
    assert samir.get(f"{url('event', 99999)}").status_code == 404
    # Four eyes: samir's own request does not let him export; a second admin's approval does, once.
    assert samir.get("/console/audit.csv").status_code == 403
    assert post(samir, "/console/audit/export", page="/console/audit").status_code == 200
    assert samir.get("/console/audit.csv").status_code == 403
    assert post(samir, "/console/audit/export", page="/console/audit").status_code == 409  # not his to approve
    add_operator(factory, "huda", "admin")
    huda = logged_in(app, "huda")
    assert post(huda, "/console/audit/export", page="/console/audit").status_code == 200
    assert huda.get("/console/audit.csv").status_code == 403  # the approver did not ask
    exported = samir.get("/console/audit.csv")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    assert samir.get("/console/audit.csv").status_code == 403  # spent
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert rows[0][:5] == ["id", "at", "actor_kind", "operator", "action"]
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    assert any(r[6] == "'-1" for r in rows[1:])
    ids = [int(r[0]) for r in rows[1:]]
    with factory() as db:
        stored = sorted(db.execute(select(AuditEvent.id)).scalars())  # the export itself included
    assert ids == sorted(stored, reverse=True) and len(ids) > 2
    with factory() as db:
        assert db.execute(select(AuditEvent).where(AuditEvent.action == "audit_export")).scalar_one()


def test_dashboard_figures_and_chart(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    escalated_contact(factory)
    case = review_case(factory)
    with factory() as db, db.begin():
        match = db.get(Match, case.match_id)
        match.status = "notified"
        match.notified_at = utcnow()
        from bot.models import SearchRequest

        db.get(SearchRequest, case.search_id).created_at = utcnow() - dt.timedelta(minutes=90)
        db.add(Message(contact_id=case.family_contact, direction="out", author="bot", body="x", status="failed",
                       kind="reply", attempts=3))
    rania = logged_in(app, "rania")
    page = rania.get("/console/").text
    assert 'id="open-searches">1<' in page and 'id="open-escalations">1<' in page
    assert '<svg class="chart" id="chart-matches"' in page and '<svg class="chart" id="chart-messages"' in page
    assert "أُخبرت العائلة" in page and "صادرة: فشلت" in page
    assert "ساعة واحدة و" in page.split("الوسيط من البحث")[0].rsplit('class="n"', 1)[1]  # 90 min in hours
    assert rania.get("/console/api/stats").status_code == 403
    stats = logged_in(app, "samir").get("/console/api/stats").json()
    assert stats["open_searches"] == 1 and stats["matches"] == {"notified": 1} and stats["reunions"] == 1
    assert 89 <= stats["median_minutes_to_reunion"] <= 91
    assert stats["messages"]["out:failed"] == 1 and stats["messages"]["in:processed"] == 1
    assert stats["open_escalations"] == 1 and stats["longest_wait_minutes"] is not None
