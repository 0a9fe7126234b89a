"""Operators' second factor (TOTP) and the administrator's one-time password-reset link, through the
real console (gateway + console, real PostgreSQL and SQLite, real Redis) and the real CLI."""

from __future__ import annotations

import base64
import re
from typing import Any

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from bot.models import AuditEvent, Operator
from console import mfa
from console.auth import verify_password
from shaml.settings import Settings
from shaml.web import create_app
from tests.console.conftest import NOWHERE, PASSWORD, console_env, csrf_of, logged_in, login, post

#: RFC 6238 Appendix B: SHA-1, the ASCII secret "12345678901234567890", 8 digits, 30-second steps.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"), (1234567890, "89005924"),
               (2000000000, "69279037"), (20000000000, "65353130")]


def test_totp_codes_are_the_standards():
    assert [mfa.code_at(RFC_SECRET, t // 30, digits=8) for t, _ in RFC_VECTORS] == [c for _, c in RFC_VECTORS]
    secret = mfa.new_secret()
    now = 1_800_000_000.0
    code = mfa.code_at(secret, mfa.current_step(now))
    assert mfa.matching_step(secret, code, now) == mfa.current_step(now)
    assert mfa.matching_step(secret, code, now + 30) is not None  # one step of drift
    assert mfa.matching_step(secret, code, now + 90) is None  # too late
    assert mfa.matching_step(secret, code, now, after=mfa.current_step(now)) is None  # spent
    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert mfa.matching_step(secret, arabic[:3] + " " + arabic[3:], now) is not None
    assert mfa.matching_step(secret, "12345", now) is None and mfa.matching_step(secret, "abcdef", now) is None
    uri = mfa.otpauth_uri(secret, "rania")
    assert uri.startswith("otpauth://totp/Shaml%3Arania?secret=" + secret) and "period=30" in uri


def _enrol(client: TestClient) -> str:
    """Enrol the logged-in operator through the page, as they would with an app; returns the secret."""
    page = client.get("/console/mfa").text
    secret = re.search(r'id="mfa-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")  # type: ignore[union-attr]
    assert f"secret={secret}" in page
    wrong = post(client, "/console/mfa", {"code": "000000" if mfa.code_at(secret, mfa.current_step()) != "000000" else "111111"},
                 page="/console/mfa")
    assert wrong.status_code == 400
    done = post(client, "/console/mfa", {"code": mfa.code_at(secret, mfa.current_step())}, page="/console/mfa")
    assert done.status_code == 200 and 'id="mfa-state"' in done.text
    return secret


def _a_minute_later(factory: Any, username: str) -> None:
    """A code is never accepted twice, so the enrolment's code cannot log in. Rather than wait for the
    next 30-second step, the account's last accepted step is moved two steps back (as a minute later)."""
    with factory() as db, db.begin():
        op = db.execute(select(Operator).where(Operator.username == username)).scalar_one()
        op.totp_last_step = mfa.current_step() - 2


def test_an_enrolled_operator_needs_the_code_and_bad_codes_are_throttled(app, accounts, factory):  # type: ignore[no-untyped-def]
    rania = logged_in(app, "rania")
    secret = _enrol(rania)
    with factory() as db:
        op = db.execute(select(Operator).where(Operator.username == "rania")).scalar_one()
        assert op.mfa_enabled_at is not None and op.totp_secret == secret
    with factory() as db:
        raw = db.execute(text("SELECT totp_secret FROM operators WHERE username = 'rania'")).scalar()
    assert secret not in raw  # sealed at rest like every secret
    # The password alone no longer logs in: it leads to the code step, and no page opens.
    browser = TestClient(app, follow_redirects=False)
    with browser:
        first = login(browser, "rania")
        assert first.status_code == 303 and first.headers["location"] == "/console/login/code"
        assert browser.get("/console/inbox").status_code == 303  # still logged out
        token = csrf_of(browser, "/console/login/code")
        bad = [browser.post("/console/login/code", data={"csrf": token, "code": f"{n:06d}"}) for n in range(5)]
        bad = [r for r in bad if r.status_code != 303]
        assert {r.status_code for r in bad} <= {401, 429}
        # Five wrong codes lock the account out like five wrong passwords, even with the right code.
        _a_minute_later(factory, "rania")
        locked = browser.post("/console/login/code", data={"csrf": token, "code": mfa.code_at(secret, mfa.current_step())})
        assert locked.status_code == 429
        assert browser.get("/console/inbox").status_code == 303
    with factory() as db:
        actions = db.execute(select(AuditEvent.action)).scalars().all()
    assert actions.count("mfa_failed") == 5 and "mfa_code_awaited" in actions and "login_throttled" in actions


def test_an_enrolled_operator_logs_in_with_a_fresh_code_once(app, accounts, factory):  # type: ignore[no-untyped-def]
    samir = logged_in(app, "samir")
    secret = _enrol(samir)
    _a_minute_later(factory, "samir")
    browser = TestClient(app, follow_redirects=False)
    with browser:
        assert login(browser, "samir").headers["location"] == "/console/login/code"
        token = csrf_of(browser, "/console/login/code")
        code = mfa.code_at(secret, mfa.current_step())
        done = browser.post("/console/login/code", data={"csrf": token, "code": code})
        assert done.status_code == 303 and done.headers["location"] == "/console/"
        assert browser.get("/console/inbox").status_code == 200
    other = TestClient(app, follow_redirects=False)
    with other:  # the same code, seen over a shoulder, does not open a second session
        login(other, "samir")
        replay = other.post("/console/login/code", data={"csrf": csrf_of(other, "/console/login/code"), "code": code})
        assert replay.status_code == 401 and other.get("/console/inbox").status_code == 303
    with factory() as db:
        logins = db.execute(select(AuditEvent).where(AuditEvent.action == "login")).scalars().all()
    assert [e.detail for e in logins][-1] == {"mfa": True}


def test_required_mfa_sends_every_page_to_enrolment(settings, gateway, accounts, factory):  # type: ignore[no-untyped-def]
    strict = Settings.from_env(console_env(settings.database_url, settings.redis_prefix, NOWHERE, NOWHERE,
                                           SHAML_VAR_DIR=str(settings.var_dir), SHAML_CONSOLE_REQUIRE_MFA="true"))
    app = create_app(strict, gateway=gateway)
    rania = logged_in(app, "rania")
    for page in ("/console/", "/console/inbox", "/console/reviews", "/console/registry"):
        response = rania.get(page)
        assert response.status_code == 303 and response.headers["location"] == "/console/mfa", page
    assert rania.get("/console/inbox/rows").status_code == 403  # a poll is refused, not redirected
    assert "mfa-secret" in rania.get("/console/mfa").text
    _enrol(rania)
    assert rania.get("/console/inbox").status_code == 200


def _reset_link(shaml_env: Any, db_url: str, *args: str) -> Any:
    from shaml.cli import cli

    shaml_env.setenv("SHAML_DATABASE_URL", db_url)
    return CliRunner().invoke(cli, ["operator", "reset-password", *args])


def test_a_reset_link_sets_a_new_password_once(shaml_env, db_url, app, accounts, factory):  # type: ignore[no-untyped-def]
    result = _reset_link(shaml_env, db_url, "Rania", "--hours", "2")
    assert result.exit_code == 0, result.output
    link = re.search(r"(/console/reset/\S+)", result.output).group(1)  # type: ignore[union-attr]
    assert PASSWORD not in result.output and "password (shown" not in result.output
    token = link.rsplit("/", 1)[1]
    with factory() as db:
        op = db.execute(select(Operator).where(Operator.username == "rania")).scalar_one()
        assert op.reset_token_hash and token not in op.reset_token_hash  # only a hash is kept
    browser = TestClient(app, follow_redirects=False)
    with browser:
        assert browser.get(link).status_code == 200
        csrf = csrf_of(browser, link)
        differ = browser.post(link, data={"csrf": csrf, "password": "new-password-123", "again": "new-password-124"})
        short = browser.post(link, data={"csrf": csrf, "password": "short", "again": "short"})
        assert differ.status_code == 400 and short.status_code == 400
        done = browser.post(link, data={"csrf": csrf, "password": "new-password-123", "again": "new-password-123"})
        assert done.status_code == 200 and 'id="notice"' in done.text
        # Spent: the link now answers like one that never existed.
        assert browser.get(link).status_code == 404
        assert browser.post(link, data={"csrf": csrf, "password": "x" * 12, "again": "x" * 12}).status_code == 404
        assert browser.get("/console/reset/" + "A" * 43).status_code == 404
    with TestClient(app, follow_redirects=False) as late:
        assert login(late, "rania").status_code == 401  # the old password is gone
    with factory() as db:
        op = db.execute(select(Operator).where(Operator.username == "rania")).scalar_one()
        assert verify_password(op.password_hash, "new-password-123") and op.reset_token_hash is None
        actions = db.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert "password_reset_issued" in actions and "password_reset_used" in actions
    unknown = _reset_link(shaml_env, db_url, "nobody")
    assert unknown.exit_code == 1 and "no account named 'nobody'" in unknown.output


def test_a_reset_link_expires_and_a_newer_one_replaces_it(shaml_env, db_url, app, accounts, factory):  # type: ignore[no-untyped-def]
    import datetime as dt

    first = re.search(r"(/console/reset/\S+)", _reset_link(shaml_env, db_url, "omar").output).group(1)  # type: ignore[union-attr]
    second = re.search(r"(/console/reset/\S+)", _reset_link(shaml_env, db_url, "omar").output).group(1)  # type: ignore[union-attr]
    browser = TestClient(app, follow_redirects=False)
    with browser:
        assert browser.get(first).status_code == 404 and browser.get(second).status_code == 200
        with factory() as db, db.begin():
            op = db.execute(select(Operator).where(Operator.username == "omar")).scalar_one()
            op.reset_expires_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
        assert browser.get(second).status_code == 404


def test_a_reset_link_for_an_enrolled_operator_also_needs_a_code(shaml_env, db_url, app, accounts, factory):  # type: ignore[no-untyped-def]
    omar = logged_in(app, "omar")
    secret = _enrol(omar)
    link = re.search(r"(/console/reset/\S+)", _reset_link(shaml_env, db_url, "omar").output).group(1)  # type: ignore[union-attr]
    browser = TestClient(app, follow_redirects=False)
    with browser:
        form = browser.get(link).text
        assert 'name="code"' in form
        csrf = csrf_of(browser, link)
        refused = browser.post(link, data={"csrf": csrf, "password": "another-pass-99", "again": "another-pass-99",
                                           "code": "000000" if mfa.code_at(secret, mfa.current_step()) != "000000" else "111111"})
        assert refused.status_code == 400
        _a_minute_later(factory, "omar")
        done = browser.post(link, data={"csrf": csrf, "password": "another-pass-99", "again": "another-pass-99",
                                        "code": mfa.code_at(secret, mfa.current_step())})
        assert done.status_code == 200
    # A lost phone: the administrator clears the second factor with the link.
    cleared = _reset_link(shaml_env, db_url, "omar", "--clear-mfa")
    assert cleared.exit_code == 0
    with factory() as db:
        op = db.execute(select(Operator).where(Operator.username == "omar")).scalar_one()
        assert op.totp_secret is None and op.mfa_enabled_at is None
        assert "mfa_cleared" in db.execute(select(AuditEvent.action)).scalars().all()
