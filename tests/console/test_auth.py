"""Logging in and out: argon2 passwords, session rotation, CSRF, throttling, security headers, language, the CLI."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.models import AuditEvent, Operator
from console.auth import hash_password, verify_password
from console.security import COOKIE
from shaml.settings import Settings
from shaml.web import create_app
from tests.console.conftest import NOWHERE, PASSWORD, console_env, csrf_of, logged_in, login, post


def actions(factory) -> list[str]:  # type: ignore[no-untyped-def]
    with factory() as db:
        return list(db.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def test_passwords_are_argon2_hashes() -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "x")
    assert not verify_password(None, PASSWORD)
    assert not verify_password("not a hash", PASSWORD)
    with pytest.raises(ValueError):
        hash_password("short")


def test_login_rotates_the_session_and_logout_ends_it(client: TestClient, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/console/inbox").headers["location"] == "/console/login?next=/console/inbox"
    token = csrf_of(client)
    before = client.cookies.get(COOKIE)
    assert before
    response = client.post("/console/login", data={"csrf": token, "username": "RANIA", "password": PASSWORD,
                                                   "next": "/console/inbox"})
    assert response.status_code == 303 and response.headers["location"] == "/console/inbox"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # the public URL is http in this test
    after = client.cookies.get(COOKIE)
    assert after and after != before
    assert client.get("/console/inbox").status_code == 200
    # The pre-login session id is dead: replaying it gives an anonymous visitor.
    stale = TestClient(client.app, follow_redirects=False, cookies={COOKIE: before})
    assert stale.get("/console/inbox").status_code == 303
    # The old CSRF token does not work with the new session.
    assert client.post("/console/logout", data={"csrf": token}).status_code == 403
    assert post(client, "/console/logout").status_code == 303
    assert client.get("/console/inbox").status_code == 303
    replay = TestClient(client.app, follow_redirects=False, cookies={COOKIE: after})
    assert replay.get("/console/inbox").status_code == 303
    assert actions(factory) == ["login", "logout"]
    with factory() as db:
        assert db.execute(select(Operator.last_login_at).where(Operator.username == "rania")).scalar_one() is not None


def test_wrong_password_and_unknown_user_are_refused_alike(client: TestClient, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    wrong = login(client, "rania", "not-the-password")
    unknown = login(client, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "اسم المستخدم أو كلمة المرور غير صحيحة" in wrong.text
    assert wrong.text.count("alert") == unknown.text.count("alert")
    assert client.get("/console/inbox").status_code == 303
    assert actions(factory) == ["login_failed", "login_failed"]
    with factory() as db:
        assert db.execute(select(Operator.failed_logins).where(Operator.username == "rania")).scalar_one() == 1


def test_failed_logins_are_throttled(client: TestClient, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        assert login(client, "rania", "guess-guess-guess").status_code == 401
    blocked = login(client, "rania", PASSWORD)  # even the right password waits now
    assert blocked.status_code == 429
    assert "انتظر ربع ساعة" in blocked.text
    assert client.get("/console/inbox").status_code == 303
    assert actions(factory)[-1] == "login_throttled"


def test_throttle_counts_per_address_too(client: TestClient, accounts) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        assert login(client, f"guess{i}", "guess-guess-guess").status_code == 401
    assert login(client, "samir", PASSWORD).status_code == 429


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_forms_without_the_csrf_token_are_refused(client: TestClient, accounts, token) -> None:  # type: ignore[no-untyped-def]
    csrf_of(client)
    data = {"username": "rania", "password": PASSWORD}
    if token is not None:
        data["csrf"] = token
    response = client.post("/console/login", data=data)
    assert response.status_code == 403
    assert "انتهت صلاحية النموذج" in response.text
    assert client.get("/console/inbox").status_code == 303


def test_security_headers_on_pages_and_static_files(client: TestClient) -> None:
    for path in ("/console/login", "/console/static/console.css", "/console/inbox"):
        headers = client.get(path).headers
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert client.get("/console/login").headers["cache-control"] == "no-store"


def test_cookies_are_secure_behind_https(db_url, redis_prefix, fake_twilio, fake_rasa, factory, accounts, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from shaml.web import build_gateway

    settings = Settings.from_env(console_env(db_url, redis_prefix, fake_twilio.url, fake_rasa.url,
                                             SHAML_PUBLIC_URL="https://shaml.example.org", SHAML_VAR_DIR=str(tmp_path)))
    gw = build_gateway(settings, factory=factory)
    with TestClient(create_app(settings, gateway=gw), base_url="https://testserver", follow_redirects=False) as c:
        assert "Secure" in c.get("/console/login").headers["set-cookie"]
        assert "Secure" in login(c, "rania").headers["set-cookie"]
        assert c.get("/console/inbox").status_code == 200
        assert c.get("/console/inbox").headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    gw.redis.close()


def test_no_hsts_over_plain_http(client: TestClient) -> None:
    assert "strict-transport-security" not in client.get("/console/login").headers


def _stored_session(client: TestClient, app) -> tuple[str, dict]:  # type: ignore[no-untyped-def]
    import json

    sessions = next(r.app for r in app.routes if getattr(r, "path", "") == "/console").state.sessions
    sid = client.cookies.get("shaml_console")
    return sessions._key(sid), json.loads(sessions.client.get(sessions._key(sid)))


def test_polling_does_not_keep_a_session_alive_and_login_has_an_absolute_lifetime(app, accounts) -> None:  # type: ignore[no-untyped-def]
    import json

    rania = logged_in(app, "rania")
    key, data = _stored_session(rania, app)
    store = next(r.app for r in app.routes if getattr(r, "path", "") == "/console").state.sessions
    store.client.expire(key, 100)
    assert rania.get("/console/inbox/rows").status_code == 200
    assert store.client.ttl(key) <= 100  # a poll does not restart the idle clock
    assert rania.get("/console/inbox").status_code == 200
    assert store.client.ttl(key) > 100  # a click does
    # Twelve hours after login the session ends, however busy the operator has been.
    data["started"] -= 12 * 3600 + 1
    store.client.set(key, json.dumps(data), ex=3600)
    assert rania.get("/console/inbox").status_code == 303
    assert store.client.get(key) is None


def test_behind_a_trusted_proxy_the_throttle_sees_each_operator(db_url, redis_prefix, factory, accounts, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Five bad logins by one person behind the proxy lock out that person's address, not everyone's;
    a client that is not the proxy cannot choose its address with X-Forwarded-For."""
    from shaml.web import build_gateway

    settings = Settings.from_env(console_env(db_url, redis_prefix, NOWHERE, NOWHERE, SHAML_VAR_DIR=str(tmp_path),
                                             SHAML_TRUSTED_PROXIES="10.0.0.0/8"))
    gw = build_gateway(settings, factory=factory)
    app = create_app(settings, gateway=gw)
    with TestClient(app, follow_redirects=False, client=("10.1.2.3", 4000)) as proxy:
        for i in range(5):
            proxy.headers["x-forwarded-for"] = "203.0.113.9"
            assert login(proxy, f"guess{i}", "guess-guess-guess").status_code == 401
        assert login(proxy, "samir", PASSWORD).status_code == 429  # the guesser's address is locked
        proxy.headers["x-forwarded-for"] = "198.51.100.7, 10.1.2.3"  # another operator, through two hops
        assert login(proxy, "samir", PASSWORD).status_code == 303
    with TestClient(app, follow_redirects=False, client=("192.0.2.50", 4000)) as outsider:
        for i in range(5):
            outsider.headers["x-forwarded-for"] = f"198.51.100.{i}"  # a fresh address each try, it hopes
            assert login(outsider, f"guess{i}", "guess-guess-guess").status_code == 401
        assert login(outsider, "rania", PASSWORD).status_code == 429  # counted against its real address
    gw.redis.close()


def test_client_address_believes_only_trusted_proxies() -> None:
    from console.auth import client_address

    assert client_address("10.0.0.2", "1.2.3.4", ()) == "10.0.0.2"
    assert client_address("10.0.0.2", "1.2.3.4", ("10.0.0.0/8",)) == "1.2.3.4"
    assert client_address("10.0.0.2", "6.6.6.6, 1.2.3.4, 10.0.0.9", ("10.0.0.0/8",)) == "1.2.3.4"
    assert client_address("8.8.8.8", "1.2.3.4", ("10.0.0.0/8",)) == "8.8.8.8"
    assert client_address("10.0.0.2", None, ("10.0.0.0/8",)) == "10.0.0.2"


def test_a_deactivated_account_loses_its_session(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    c = logged_in(app, "rania")
    assert c.get("/console/inbox").status_code == 200
    with factory() as db, db.begin():
        db.execute(select(Operator).where(Operator.username == "rania")).scalar_one().active = False
    assert c.get("/console/inbox").status_code == 303
    assert login(c, "rania").status_code == 401


def test_language_toggle_and_safe_redirects(client: TestClient, accounts) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/console/login")
    assert '<html lang="ar" dir="rtl">' in page.text
    assert 'href="/console/lang/en?next=/console/login%3Fnext%3D/console/inbox"' in client.get(
        "/console/login?next=/console/inbox").text
    response = client.get("/console/lang/en", params={"next": "/console/login?next=/console/inbox"})
    assert response.headers["location"] == "/console/login?next=/console/inbox"
    english = client.get("/console/login")
    assert '<html lang="en" dir="ltr">' in english.text and "Operator login" in english.text
    for target in ("https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)"):
        assert client.get("/console/lang/ar", params={"next": target}).headers["location"] == "/console/"
        token = csrf_of(client)
        done = client.post("/console/login", data={"csrf": token, "username": "rania", "password": PASSWORD,
                                                   "next": target})
        assert done.headers["location"] == "/console/"
        post(client, "/console/logout")


def test_root_and_simulator_shortcuts(client: TestClient) -> None:
    assert client.get("/").headers["location"] == "/console/"
    assert client.get("/simulator").headers["location"] == "/console/simulator"


def test_cli_operator_add(shaml_env, db_url, factory) -> None:  # type: ignore[no-untyped-def]
    from shaml.cli import cli

    shaml_env.setenv("SHAML_DATABASE_URL", db_url)
    runner = CliRunner()
    result = runner.invoke(cli, ["operator", "add", "Layla", "--role", "admin", "--display-name", "ليلى"])
    assert result.exit_code == 0, result.output
    password = re.search(r"password \(shown once\): (\S+)", result.output).group(1)  # type: ignore[union-attr]
    with factory() as db:
        op = db.execute(select(Operator).where(Operator.username == "layla")).scalar_one()
        assert (op.role, op.display_name, op.active) == ("admin", "ليلى", True)
        assert verify_password(op.password_hash, password)
        assert password not in op.password_hash
    typed = runner.invoke(cli, ["operator", "add", "nour", "--password-stdin"], input="a-long-enough-secret\n")
    assert typed.exit_code == 0 and "a-long-enough-secret" not in typed.output
    again = runner.invoke(cli, ["operator", "add", "layla"])
    assert again.exit_code == 1 and "already exists" in again.output
    bad = runner.invoke(cli, ["operator", "add", "لیلى"])
    assert bad.exit_code == 1 and "lower-case Latin letters" in bad.output
    short = runner.invoke(cli, ["operator", "add", "sami", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    listed = runner.invoke(cli, ["operator", "list"])
    assert "layla\tadmin\tactive" in listed.output and "nour\toperator\tactive" in listed.output
    with factory() as db:
        assert db.execute(select(AuditEvent.action)).scalars().all() == ["operator_add", "operator_add"]
