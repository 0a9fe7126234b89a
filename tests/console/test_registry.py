"""The registry over HTTP: audited search with a required reason, record view, CSV import with a column
mapping preview and an error report by line, and a formula-safe error export."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from bot.models import AuditEvent
from console.imports import guess
from matching.store import ImportBatch, RegistryRow
from tests.console.conftest import csrf_of, logged_in, post, review_case, url


@pytest.mark.parametrize(
    ("header", "column"),
    [("record_id", "record_id"), ("Full Name", "full_name"), ("الاسم", "full_name"), ("اسم الأم", "mother_name"),
     ("اسم الام", "mother_name"), ("المواليد", "birth_year"), ("\ufeffid", "record_id"), ("السجن", "prison"),
     ("Governorate", "governorate"), ("notes", ""), ("", "")],
)
def test_header_guesses(header: str, column: str) -> None:
    assert guess(header) == column


def test_search_needs_a_reason_and_is_audited(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    case = review_case(factory)
    rania = logged_in(app, "rania")
    refused = post(rania, "/console/registry/search", {"name": "محمد", "reason": "short"}, page="/console/registry")
    assert refused.status_code == 400 and "اكتب سبب البحث" in refused.text
    no_name = post(rania, "/console/registry/search", {"name": "", "reason": "طلب العائلة رقم 12"}, page="/console/registry")
    assert no_name.status_code == 400
    bad_year = post(rania, "/console/registry/search", {"name": "محمد", "birth_year": "19x5", "reason": "طلب العائلة رقم 12"},
                    page="/console/registry")
    assert bad_year.status_code == 400
    # "²" passes str.isdigit() but int() refuses it: a clear 400, not a 500 (found by tests/fuzz).
    superscript = post(rania, "/console/registry/search", {"name": "محمد", "birth_year": "19²5", "reason": "طلب العائلة رقم 12"},
                       page="/console/registry")
    assert superscript.status_code == 400
    with factory() as db:
        assert not db.execute(select(AuditEvent).where(AuditEvent.action == "registry_search")).first()
    found = post(rania, "/console/registry/search",
                 {"name": "محمد الحلبي", "birth_year": "١٩٨٧", "reason": "متابعة محادثة العائلة رقم 12"},
                 page="/console/registry")
    assert found.status_code == 200
    assert f'href="{url("record", case.row_id)}"' in found.text and "النتائج: 1" in found.text
    none = post(rania, "/console/registry/search", {"name": "غير موجود", "reason": "متابعة محادثة العائلة رقم 12"},
                page="/console/registry")
    assert "النتائج: 0" in none.text
    with factory() as db:
        events = db.execute(select(AuditEvent).where(AuditEvent.action == "registry_search")
                            .order_by(AuditEvent.id)).scalars().all()
    assert [e.detail["results"] for e in events] == [1, 0]
    assert events[0].detail["reason"] == "متابعة محادثة العائلة رقم 12"
    assert events[0].operator_id == accounts.operator.id
    assert "محمد" not in str(events[0].detail)  # the searched name is kept only as a hash
    assert len(events[0].detail["query_hash"]) == 32 and events[0].detail["query_hash"] != events[1].detail["query_hash"]
    # Keyed (HMAC under the blind-index key): not the plain SHA-256 anyone could compute from a list of names.
    import hashlib

    assert events[0].detail["query_hash"] not in hashlib.sha256("محمد الحلبي".encode()).hexdigest()


@pytest.mark.parametrize(
    ("typed", "found"),
    [("احمد الحلبي", True), ("أحمد", True), ("مُحَمَّد", True), ("الحلبى", True), ("محمد", True),
     ("خالد", False), ("%", False), ("_", False)],
)
def test_search_ignores_spelling_variants(app, accounts, factory, typed: str, found: bool) -> None:  # type: ignore[no-untyped-def]
    case = review_case(factory)  # the record is محمد أحمد الحلبي, mother فاطمة
    rania = logged_in(app, "rania")
    page = post(rania, "/console/registry/search", {"name": typed, "mother_name": "فاطمه", "reason": "متابعة طلب عائلة"},
                page="/console/registry").text
    assert (f'href="{url("record", case.row_id)}"' in page) is found


def test_record_view_is_audited(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    case = review_case(factory)
    rania = logged_in(app, "rania")
    page = rania.get(f"{url('record', case.row_id)}").text
    assert "محمد أحمد الحلبي" in page and "صيدنايا" in page and "Test list" in page
    assert rania.get(f"{url('record', 9999)}").status_code == 404
    with factory() as db:
        event = db.execute(select(AuditEvent).where(AuditEvent.action == "view_record")).scalar_one()
        assert event.subject_id == str(case.row_id)


def registry_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def upload(client, content: bytes, source: str = "barzeh-list", name: str = "list.csv"):  # type: ignore[no-untyped-def]
    token = csrf_of(client, "/console/registry/import")
    return client.post("/console/registry/import/preview", data={"csrf": token, "source": source},
                       files={"file": (name, content, "text/csv")})


TOKEN = 'name="token" value="'


def test_import_with_mapping_and_error_report(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    samir = logged_in(app, "samir")
    content = registry_csv([
        ["الرقم", "الاسم", "اسم الأم", "المواليد", "ملاحظة"],
        ["b1", "حسن علي العمر", "زينب", "1980", "ok"],
        ["b2", "=HYPERLINK(\"http://x\")", "", "1990", "formula"],
        ["b3", "", "", "", "empty"],
        ["b4", "وليد حسن", "نهى", "١٩٧٧"],
        ["b5", "مازن يوسف", "سلمى", "3000", "bad year"],
    ])
    preview = upload(samir, content)
    assert preview.status_code == 200
    for i, column in enumerate(["record_id", "full_name", "mother_name", "birth_year"]):
        assert f'<option value="{column}" selected>' in preview.text.split(f'name="map_{i}"')[1].split("</select>")[0]
    assert '<option value="" selected>' in preview.text.split('name="map_4"')[1].split("</select>")[0]
    assert "حسن علي العمر" in preview.text  # the first rows are shown
    token = preview.text.split(TOKEN)[1].split('"')[0]
    form = {"token": token, "source": "barzeh-list", "filename": "list.csv",
            "map_0": "record_id", "map_1": "full_name", "map_2": "mother_name", "map_3": "birth_year", "map_4": ""}
    # A mapping without a name column is refused and the upload kept for another try.
    bad = post(samir, "/console/registry/import/run", {**form, "map_1": ""}, page="/console/registry/import")
    assert bad.status_code == 400 and "المطابقة غير صالحة" in bad.text
    twice = post(samir, "/console/registry/import/run", {**form, "map_2": "full_name"}, page="/console/registry/import")
    assert twice.status_code == 400
    done = post(samir, "/console/registry/import/run", form, page="/console/registry/import")
    assert done.status_code == 303
    batch_path = done.headers["location"]
    report = samir.get(batch_path).text
    assert 'id="rows-read">5<' in report and 'id="rows-inserted">2<' in report and 'id="rows-rejected">3<' in report
    with factory() as db:
        batch = db.execute(select(ImportBatch)).scalar_one()
        assert (batch.source, batch.filename, batch.status) == ("barzeh-list", "list.csv", "done")
        rows = dict(db.execute(select(RegistryRow.record_id, RegistryRow.full_name)).all())
        assert rows == {"b1": "حسن علي العمر", "b2": '=HYPERLINK("http://x")'}
        event = db.execute(select(AuditEvent).where(AuditEvent.action == "registry_import")).scalar_one()
        assert event.detail["rejected"] == 3 and event.detail["mapping"][4] is None
    rows_shown = {r.split("</td>")[0]: r for r in report.split("<tr><td>")[1:]}
    for line, arabic, english in ((4, "لا يوجد اسم", "no name"),
                                  (5, "في السطر 4 حقلاً، وفي سطر العناوين 5", "has 4 fields; the header has 5"),
                                  (6, "سنة الميلاد 3000 غير معقولة", "birth_year 3000 is outside")):
        assert arabic in rows_shown[str(line)] and english in rows_shown[str(line)]
    exported = samir.get(f"{batch_path}/errors.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert lines[0] == ["line", "reason", "raw"] and [r[0] for r in lines[1:]] == ["4", "5", "6"]
    # The upload is gone once imported: the same token cannot import twice.
    again = post(samir, "/console/registry/import/run", form, page="/console/registry/import")
    assert again.status_code == 400
    assert samir.get(f"{url('batch', 9999)}").status_code == 404


def test_error_export_cannot_start_a_formula(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    samir = logged_in(app, "samir")
    content = registry_csv([["record_id", "full_name", "birth_year"], ["=1+1", "@SUM(A1)", "-2+3"],
                            ["+x", "\tname", "13"]])
    preview = upload(samir, content)
    token = preview.text.split(TOKEN)[1].split('"')[0]
    done = post(samir, "/console/registry/import/run", {"token": token, "source": "s1", "map_0": "record_id",
                                                        "map_1": "full_name", "map_2": "birth_year"},
                page="/console/registry/import")
    exported = samir.get(done.headers["location"] + "/errors.csv").text.lstrip("\ufeff")
    for row in list(csv.reader(io.StringIO(exported)))[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    assert "'=1+1" in exported


def test_upload_problems_are_explained(app, accounts) -> None:  # type: ignore[no-untyped-def]
    samir = logged_in(app, "samir")
    empty = upload(samir, b"")
    assert empty.status_code == 400 and "الملف فارغ" in empty.text
    bad_source = upload(samir, registry_csv([["record_id", "full_name"], ["1", "سامي"]]), source="ok")
    token = bad_source.text.split(TOKEN)[1].split('"')[0]
    refused = post(samir, "/console/registry/import/run", {"token": token, "source": "bad source!", "map_0": "record_id",
                                                           "map_1": "full_name"}, page="/console/registry/import")
    assert refused.status_code == 400 and "اسم المصدر" in refused.text
    # Another admin's session cannot import this upload.
    other = logged_in(app, "samir")
    stolen = post(other, "/console/registry/import/run", {"token": token, "source": "ok", "map_0": "record_id",
                                                          "map_1": "full_name"}, page="/console/registry/import")
    assert stolen.status_code == 400 and "انتهت صلاحية الملف" in stolen.text


def test_abandoned_previews_are_deleted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An uploaded registry file left at the preview step (a closed tab) is deleted after an hour."""
    import io
    import os
    import time

    from console import imports

    old = imports.save_upload(tmp_path, io.BytesIO("الاسم\nمحمد\n".encode()), "old.csv")
    fresh = imports.save_upload(tmp_path, io.BytesIO("الاسم\nأحمد\n".encode()), "new.csv")
    two_hours_ago = time.time() - 7200
    os.utime(tmp_path / f"{old.token}.csv", (two_hours_ago, two_hours_ago))
    assert imports.sweep_uploads(tmp_path, 3600) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{fresh.token}.csv"]


@pytest.mark.parametrize(("typed", "found"), [("Mohammad Halabi", True), ("Muhammed al-Halabi", True),
                                              ("Khaled Homsi", False)])
def test_latin_search_finds_the_arabic_record_by_the_matcher(app, accounts, factory, typed: str, found: bool) -> None:  # type: ignore[no-untyped-def]
    case = review_case(factory)  # the record is محمد أحمد الحلبي
    rania = logged_in(app, "rania")
    page = post(rania, "/console/registry/search", {"name": typed, "reason": "متابعة طلب عائلة"},
                page="/console/registry").text
    top = page.split("<tbody>")[1].split("</tr>")[0]
    assert (f'href="{url("record", case.row_id)}"' in top) is found
    with factory() as db:
        event = db.execute(select(AuditEvent).where(AuditEvent.action == "registry_search")).scalars().one()
    assert event.detail["reason"] == "متابعة طلب عائلة" and "found" in event.detail
    assert "Halabi" not in str(event.detail)


def test_a_cut_result_says_first_50_of_how_many(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    from matching.store import RegistrySource

    fathers = ["أحمد", "خالد", "عمر", "يوسف", "سامر", "بشار", "ماهر", "نبيل", "وليد", "زياد"]
    givens = ["محمد", "حسن", "علي", "فادي", "رامي", "طارق", "جمال"]
    with factory() as db, db.begin():
        db.add(RegistrySource(name="many-list", label="Many", allow_public_confirmation=False))
        db.flush()
        for k, (g, f) in enumerate((g, f) for g in givens for f in fathers):
            db.add(RegistryRow(source="many-list", record_id=f"x{k}", full_name=f"{g} {f} الحلبي"))
    rania = logged_in(app, "rania")
    page = post(rania, "/console/registry/search", {"name": "Halabi", "reason": "متابعة طلب عائلة"},
                page="/console/registry").text
    assert "أول 50 من 70 نتيجة" in page
    assert page.count('href="/console/registry/records/') == 50
