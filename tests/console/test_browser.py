"""Browser tests: Debian's chromium driven by Playwright against the live web service on PostgreSQL and Redis.

They log in, take over an escalated conversation and reply (the reply reaches the fake Twilio),
hand back, review and confirm a match, import a CSV with errors, and search through the simulator.
Screenshots (Arabic, right to left) are saved under ``var/artifacts/console/``.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select

from bot.gateway.outbox import queue_message
from bot.models import AuditEvent, Contact, Match, Message
from console.i18n import STRINGS
from matching.store import ImportBatch, RegistryRow
from tests.conftest import ROOT
from tests.console.conftest import PASSWORD, escalated_contact, review_case, url
from tests.console.live import LiveServer
from tests.fakes.rasa import Turn

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = ROOT / "var" / "artifacts" / "console"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def db_url(pg_only_url: str) -> str:
    """Browser tests run on PostgreSQL, as in production."""
    return pg_only_url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless chromium for the module."""
    assert Path(CHROMIUM).exists(), "install Debian's chromium (apt-get install chromium); make test does it as root"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def console_of(app: Any) -> Any:
    """The mounted console sub-application (to shorten its polling interval in tests)."""
    return next(r.app for r in app.routes if getattr(r, "path", "") == "/console")


@pytest.fixture
def live(app: Any, gateway: Any) -> Iterator[LiveServer]:
    """The web service on a free port with a worker thread; polling every 400 ms."""
    console_of(app).state.deps.poll_ms = 400
    with LiveServer(app, gateway) as server:
        yield server
    assert not server.pump_errors, server.pump_errors


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) with a phone-sized window."""
    context = browser.new_context(viewport=PHONE, locale="ar")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def ar(key: str) -> str:
    """The Arabic text of a console string."""
    return STRINGS[key][0]


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    """Poll ``condition`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def log_in(page: Page, live: LiveServer, username: str, start: str = "/console/inbox") -> None:
    """Open a console page, get sent to the login form, log in, and land back on the page."""
    page.goto(live.url + start)
    expect(page).to_have_url(live.url + "/console/login?next=" + start)
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    expect(page).to_have_url(live.url + start)


def test_take_over_reply_and_hand_back(page: Page, live: LiveServer, accounts, factory, fake_twilio) -> None:  # type: ignore[no-untyped-def]
    first = escalated_contact(factory, body="أريد التحدث مع شخص من فضلكم")
    log_in(page, live, "rania")
    rows = page.locator("#inbox-rows tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(ar("reason_requested"))
    # The inbox is live: a conversation escalated now appears without a reload.
    second = escalated_contact(factory, address="+963944555666", body="ساعدوني", reason="distress")
    expect(rows).to_have_count(2)
    expect(page.locator("#inbox-rows")).to_contain_text(ar("reason_distress"))
    expect(page).to_have_title(f"(2) {ar('nav_inbox')} · {ar('app_name')}")
    shot(page, "inbox-phone-ar")
    page.set_viewport_size(DESKTOP)
    shot(page, "inbox-desktop-ar")
    page.set_viewport_size(PHONE)
    # The page fits a 360 px phone: nothing wider than the screen but the scrollable tables.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.click(f"a[href='{url('contact', first)}']")
    page.click("#claim")
    expect(page.locator("#holder")).to_have_text("Rania")
    expect(page.locator("#window-state")).to_have_text(ar("window_open"))
    page.click("summary")
    page.locator(".canned-btn[lang=ar]").first.click()
    text = page.input_value("#reply-body")
    assert text.startswith("مرحباً")
    page.fill("#reply-body", text + " اسمي رانيا.")
    page.click("#send-reply")
    sent = wait_for(lambda: [r for r in fake_twilio.sent if "اسمي رانيا" in r.form.get("Body", "")], "the reply at Twilio")
    assert sent[0].form["To"] == "whatsapp:+963912345678"
    transcript = page.locator("#transcript")
    expect(transcript).to_contain_text("اسمي رانيا")
    expect(transcript.locator("li.by-operator")).to_contain_text("Rania")
    shot(page, "conversation-phone-ar")

    page.click("#hand-back")
    # Handed back, the conversation leaves an operator's view (the queue and their own): back to the inbox.
    expect(page).to_have_url(live.url + "/console/inbox")
    with factory() as db:
        assert db.get(Contact, first).escalated is False
        assert db.get(Contact, second).escalated is True
    page.goto(live.url + "/console/inbox")
    expect(page.locator("#inbox-rows tr")).to_have_count(1)


def test_review_and_confirm_a_match(page: Page, live: LiveServer, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    case = review_case(factory)
    page.set_viewport_size(DESKTOP)
    log_in(page, live, "rania", start="/console/reviews")
    page.click(f"a.review-link[href='{url('match', case.match_id)}']")
    compare = page.locator("table.compare")
    expect(compare).to_contain_text("محمد احمد الحلبي")  # the search
    expect(compare).to_contain_text("محمد أحمد الحلبي")  # the registry record
    expect(compare).to_contain_text(ar("est_agree"))
    shot(page, "review-desktop-ar")
    page.set_viewport_size(PHONE)
    shot(page, "review-phone-ar")
    # Four eyes: omar asked to confirm first; rania's press is the second pair of eyes that confirms.
    from console import approvals

    with factory() as db, db.begin():
        approvals.request_or_approve(db, "confirm_match", case.match_id, int(accounts.other.id))
    page.fill("textarea[name=note]", "الأم وسنة الميلاد متطابقتان")
    page.click("#confirm")
    expect(page.locator("#decided")).to_contain_text("Rania")
    with factory() as db:
        match = db.get(Match, case.match_id)
        assert (match.status, match.note) == ("confirmed", "الأم وسنة الميلاد متطابقتان")


def test_import_a_csv_with_errors(page: Page, live: LiveServer, accounts, factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "الاسم", "اسم الأم", "المواليد", "ملاحظات"])
    writer.writerow(["a1", "أحمد خالد الحسن", "سعاد", "١٩٨٢", "x"])
    writer.writerow(["a2", "", "ليلى", "1990", "no name"])
    writer.writerow(["a3", "سامر علي", "هدى", "19x0", "bad year"])
    writer.writerow(["a4", "<script>alert(1)</script>", "منى", "1975"])
    writer.writerow(["a5", "ياسر محمود", "رنا", "1988", "fine"])
    path = tmp_path / "قائمة.csv"
    path.write_text(out.getvalue(), encoding="utf-8")

    page.set_viewport_size(DESKTOP)
    log_in(page, live, "samir", start="/console/registry/import")
    page.set_input_files("input[name=file]", str(path))
    page.fill("input[name=source]", "tal-shelter")
    page.click("#preview")
    assert page.input_value("#map_0") == "record_id"
    assert page.input_value("#map_1") == "full_name"
    assert page.input_value("#map_2") == "mother_name"
    assert page.input_value("#map_3") == "birth_year"
    assert page.input_value("#map_4") == ""  # ignored
    shot(page, "import-mapping-ar")
    page.click("#run-import")
    expect(page.locator("#rows-read")).to_have_text("5")
    expect(page.locator("#rows-inserted")).to_have_text("2")
    expect(page.locator("#rows-rejected")).to_have_text("3")
    lines = page.locator("#import-errors tbody tr td:first-child").all_inner_texts()
    assert lines == ["3", "4", "5"]
    # The row with a <script> name is shown as text, never run.
    expect(page.locator("#import-errors")).to_contain_text("<script>alert(1)</script>")
    shot(page, "import-report-ar")
    with factory() as db:
        names = set(db.execute(select(RegistryRow.full_name).where(RegistryRow.source == "tal-shelter")).scalars())
        assert names == {"أحمد خالد الحسن", "ياسر محمود"}
        assert db.execute(select(ImportBatch.rows_rejected)).scalar_one() == 3


def scripted_bot(turn: Turn) -> list[dict[str, Any]]:
    """A stand-in for the Rasa assistant: a short search conversation in Arabic."""
    text = turn.message
    if "أبحث" in text:
        reply = "ما الاسم الكامل للشخص الذي تبحث عنه؟"
    elif "ريم" in text:
        reply = "شكراً. سجّلنا طلب البحث وسنخبرك فور وصول أي خبر."
    else:
        reply = "أهلاً بك في شمل. اكتب: أبحث عن شخص، أو: خرجت من السجن."
    return [{"recipient_id": turn.sender, "text": reply}]


def test_simulator_search(page: Page, live: LiveServer, accounts, factory, fake_rasa, fake_twilio) -> None:  # type: ignore[no-untyped-def]
    fake_rasa.responder = scripted_bot
    page.set_viewport_size(DESKTOP)
    log_in(page, live, "samir", start="/console/simulator")
    family = page.locator(".phone[data-phone='family-1']")
    survivor = page.locator(".phone[data-phone='survivor-1']")
    family.locator("input[name=body]").fill("مرحبا")
    family.locator("button").click()
    expect(family.locator(".bubble.theirs")).to_contain_text("أهلاً بك في شمل")
    family.locator("input[name=body]").fill("أبحث عن أختي")
    family.locator("button").click()
    expect(family.locator(".bubble.theirs").nth(1)).to_contain_text("ما الاسم الكامل")
    family.locator("input[name=body]").fill("ريم سعيد الخطيب")
    family.locator("button").click()
    expect(family.locator(".bubble.theirs").nth(2)).to_contain_text("سجّلنا طلب البحث")
    assert [t.message for t in fake_rasa.turns] == ["مرحبا", "أبحث عن أختي", "ريم سعيد الخطيب"]
    assert all(t.metadata.get("channel") == "sim" for t in fake_rasa.turns)
    # The other phone: a released person, who receives a notification the way the match worker sends one.
    survivor.locator("input[name=body]").fill("خرجت من السجن")
    survivor.locator("button").click()
    expect(survivor.locator(".bubble.theirs")).to_have_count(1)
    with factory() as db, db.begin():
        contact = db.execute(select(Contact).where(Contact.channel == "sim", Contact.address == "survivor-1")).scalar_one()
        queue_message(db, contact.id, "شخص يقول إنه أخوك يبحث عنك. ١ شارك رقمي ٢ أخبرهم أني بخير ٣ لا تخبرهم",
                      kind="consent")
    expect(survivor.locator(".bubble.theirs").nth(1)).to_contain_text("يبحث عنك")
    shot(page, "simulator-desktop-ar")
    page.set_viewport_size(PHONE)
    shot(page, "simulator-phone-ar")
    assert fake_twilio.requests == []  # the simulator never reaches Twilio
    with factory() as db:
        assert db.execute(select(Message).where(Message.direction == "in")).scalars().all()


def test_every_page_fits_a_phone_and_switches_to_english(page: Page, live: LiveServer, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    contact = escalated_contact(factory)
    case = review_case(factory)
    log_in(page, live, "samir", start="/console/")
    paths = ["/console/", "/console/inbox", f"{url('contact', contact)}", "/console/reviews",
             f"{url('match', case.match_id)}", "/console/registry", f"{url('record', case.row_id)}",
             "/console/registry/import", "/console/operators", "/console/audit", "/console/simulator"]
    for path in paths:
        page.goto(live.url + path)
        assert page.locator("html").get_attribute("dir") == "rtl"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width} px wide on a 360 px phone"
    page.goto(live.url + "/console/")
    expect(page.locator("svg#chart-matches rect")).to_have_count(1)
    shot(page, "dashboard-phone-ar")
    page.click("a.lang")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("h1")).to_have_text("Shift dashboard")
    page.goto(live.url + "/console/inbox")
    expect(page.locator("#inbox-rows")).to_contain_text("asked for a person")


WIDE = {"width": 1366, "height": 900}


def fits(page: Page, width: int) -> None:
    """Nothing on the page, and no table inside its scroll box, is wider than the window."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    overflowing = page.evaluate(
        "Array.from(document.querySelectorAll('table')).filter(t => t.scrollWidth > t.parentElement.clientWidth + 1).length")
    assert overflowing == 0, f"{overflowing} table(s) wider than their box at {width} px"


def test_review_page_with_several_candidates(page: Page, live: LiveServer, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    from tests.console.review_cases import multi_candidate_case

    case = multi_candidate_case(factory)
    log_in(page, live, "rania", start="/console/reviews")
    expect(page.locator("tr.review-group")).to_have_count(1)  # one search, not three identical rows
    expect(page.locator("tr.review-group .cand-list li")).to_have_count(len(case.match_ids))
    for lang, size in (("ar", WIDE), ("ar", PHONE), ("en", WIDE), ("en", PHONE)):
        if lang == "en" and page.locator("html").get_attribute("lang") != "en":
            page.click("a.lang")
            expect(page.locator("html")).to_have_attribute("dir", "ltr")
        page.set_viewport_size(size)
        page.goto(live.url + f"{url('match', case.match_ids[0])}")
        side = page.locator("#side-by-side")
        expect(side.locator("thead th")).to_have_count(2 + len(case.match_ids))
        expect(side.locator("td.st-agree").first).to_be_visible()
        expect(side.locator("td.st-conflict")).to_have_count(1)  # the 1969 birth year
        sentence = side.locator(".summary.current .plain-sentence")
        if lang == "ar":
            expect(sentence).to_have_text("يتطابق الاسم واسم الأب وسنة الميلاد، لم تذكر العائلة اسم الأم")
        else:
            expect(sentence).to_have_text("same name, father and birth year, mother not given")
        # the sentence comes before any score on the page
        assert page.evaluate(
            "document.querySelector('.plain-sentence').compareDocumentPosition(document.querySelector('#score'))"
            " & Node.DOCUMENT_POSITION_FOLLOWING") > 0
        fits(page, size["width"])
        shot(page, f"review-several-{lang}-{size['width']}")
    page.locator("#side-by-side a.cand-link").last.click()  # another candidate's own page, on a phone too
    expect(page.locator("#side-by-side .summary.current .plain-sentence")).to_contain_text("birth year differs by")


def test_registry_search_across_scripts(page: Page, live: LiveServer, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    from tests.console.review_cases import multi_candidate_case

    case = review_case(factory)  # محمد أحمد الحلبي
    multi = multi_candidate_case(factory)  # includes the Latin row "Samer Khaled Kattan"
    log_in(page, live, "rania", start="/console/registry")
    searches = [("Mohammad Halabi", case.row_id), ("سامر القطان", multi.row_ids[2]), ("Samer Kattan", multi.row_ids[0])]
    for lang, size in (("ar", WIDE), ("ar", PHONE), ("en", PHONE), ("en", WIDE)):
        if lang == "en" and page.locator("html").get_attribute("lang") != "en":
            page.click("a.lang")
            expect(page.locator("html")).to_have_attribute("dir", "ltr")
        page.set_viewport_size(size)
        for typed, row_id in searches:
            page.goto(live.url + "/console/registry")
            page.fill("input[name=name]", typed)
            page.fill("input[name=reason]", "متابعة طلب عائلة رقم 7")
            page.click("form.card button[type=submit]")
            expect(page.locator(f"table.list a[href='{url('record', row_id)}']")).to_be_visible()
            fits(page, size["width"])
        shot(page, f"registry-across-scripts-{lang}-{size['width']}")
    with factory() as db:
        events = db.execute(select(AuditEvent).where(AuditEvent.action == "registry_search")).scalars().all()
    assert len(events) == 4 * len(searches)  # every search audited with its reason
    assert all(e.detail["reason"] == "متابعة طلب عائلة رقم 7" for e in events)


def test_accounts_and_audit_fit_a_phone_and_read_in_arabic(page: Page, live: LiveServer, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    escalated_contact(factory)
    log_in(page, live, "samir", start="/console/operators")
    fits(page, PHONE["width"])
    page.goto(live.url + "/console/audit")
    fits(page, PHONE["width"])
    expect(page.locator("table.list")).to_contain_text(ar("act_login"))
    expect(page.locator("table.list")).not_to_contain_text("login</")
    expect(page.locator("link[rel=icon]")).to_have_attribute("href", "/console/static/favicon.svg")
    assert page.request.get(live.url + "/console/static/favicon.svg").ok
