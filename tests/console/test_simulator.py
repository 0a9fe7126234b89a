"""The phone simulator over HTTP: open in demo mode, admins only otherwise; messages go through the real
pipeline on the ``sim`` channel, and a phone only ever sees ``sim`` conversations."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.models import Contact, Message
from shaml.settings import Settings
from shaml.web import create_app
from tests.console.conftest import NOWHERE, console_env, csrf_of, escalated_contact, logged_in
from tests.gateway.conftest import run_worker


@pytest.fixture
def demo_app(db_url, redis_prefix, fake_twilio, fake_rasa, gateway, tmp_path) -> Any:  # type: ignore[no-untyped-def]
    settings = Settings.from_env(console_env(db_url, redis_prefix, fake_twilio.url, fake_rasa.url, SHAML_DEMO="true",
                                             SHAML_VAR_DIR=str(tmp_path)))
    return create_app(settings, gateway=gateway)


def send(client: TestClient, phone: str, body: Any, token: str | None = None) -> Any:
    token = token if token is not None else csrf_of(client, "/console/simulator")
    return client.post("/console/simulator/send", json={"phone": phone, "body": body}, headers={"x-csrf-token": token})


def test_demo_mode_opens_the_simulator_without_login(demo_app, gateway, fake_rasa, fake_twilio) -> None:  # type: ignore[no-untyped-def]
    with TestClient(demo_app, follow_redirects=False) as c:
        page = c.get("/console/simulator")
        assert page.status_code == 200 and 'data-phone="family-1"' in page.text and 'data-phone="survivor-1"' in page.text
        assert c.get("/console/inbox").status_code == 303  # the rest still needs a login
        assert send(c, "family-1", "مرحبا", token="forged").status_code == 403
        sent = send(c, "family-1", "مرحبا")
        assert sent.status_code == 200 and sent.json()["contact_id"]
        run_worker(gateway)
        shown = c.get("/console/simulator/messages", params={"phone": "family-1"}).json()["messages"]
        assert [(m["direction"], m["body"]) for m in shown] == [("in", "مرحبا"), ("out", "echo: مرحبا")]
        assert [t.metadata["channel"] for t in fake_rasa.turns] == ["sim"]
        assert fake_twilio.requests == []
        assert c.get("/console/simulator/messages", params={"phone": "survivor-1"}).json() == {"messages": []}


def test_simulator_needs_an_admin_outside_demo_mode(app, accounts, gateway) -> None:  # type: ignore[no-untyped-def]
    anonymous = TestClient(app, follow_redirects=False)
    assert anonymous.get("/console/simulator").status_code == 303
    assert logged_in(app, "rania").get("/console/simulator").status_code == 403
    samir = logged_in(app, "samir")
    assert samir.get("/console/simulator", params={"family": "<b>", "survivor": "s-2"}).text.count('data-phone="family-1"') == 1
    assert send(samir, "fam-9", "أبحث عن أخي").status_code == 200


@pytest.mark.parametrize(
    ("phone", "body", "status"),
    [("", "hi", 400), ("has space", "hi", 400), ("x" * 33, "hi", 400), ("ok-1", "", 400), ("ok-1", "   ", 400),
     ("ok-1", 5, 400), ("ok-1", "x" * 1601, 400), ("ok-1", "مرحبا", 200)],
)
def test_simulator_input_is_checked(demo_app, phone: str, body: Any, status: int) -> None:
    with TestClient(demo_app, follow_redirects=False) as c:
        assert send(c, phone, body).status_code == status


def test_a_phone_sees_only_simulated_conversations(demo_app, factory) -> None:  # type: ignore[no-untyped-def]
    escalated_contact(factory, address="+963912345678", body="رسالة حقيقية")
    with TestClient(demo_app, follow_redirects=False) as c:
        assert c.get("/console/simulator/messages", params={"phone": "+963912345678"}).json() == {"messages": []}
        assert c.get("/console/simulator/messages", params={"phone": "a b"}).status_code == 400
    with factory() as db:
        assert db.execute(select(Contact.channel)).scalars().all() == ["whatsapp"]
        assert db.execute(select(Message.body).where(Message.direction == "in")).scalars().all() == ["رسالة حقيقية"]


# -- inside Syria: a Telegram user and a phone texting the gateway, through the real webhooks ----------


@pytest.fixture
def syria(db_url, redis_prefix, fake_twilio, fake_rasa, factory, tmp_path) -> Any:  # type: ignore[no-untyped-def]
    """A demo web service whose Telegram and SMS gateway point at the demo's own fakes (shaml.demo_fakes),
    served live so the fake gateway's signed delivery reports come back to /smsgate/webhook."""
    import redis as redis_lib

    from bot.gateway import jobs
    from shaml.demo_fakes import Credentials, DemoFakes, Screens, demo_env
    from shaml.web import build_gateway
    from tests.conftest import REDIS_URL
    from tests.console.live import LiveServer

    made = demo_env(NOWHERE)  # secrets for this run; the fakes' URL is known once they listen
    creds = Credentials(made["SHAML_TELEGRAM_BOT_TOKEN"], made["SHAML_SMSGATE_USERNAME"], made["SHAML_SMSGATE_PASSWORD"],
                        made["SHAML_SMSGATE_SIGNING_KEY"], made["TWILIO_ACCOUNT_SID"], made["TWILIO_AUTH_TOKEN"])
    screens = Screens(redis_lib.Redis.from_url(REDIS_URL), redis_prefix)
    with DemoFakes(creds, screens) as fakes:
        # Twilio stays the test's own fake, to count what reaches it.
        env = {k: v.replace(NOWHERE, fakes.url) for k, v in made.items() if "TWILIO" not in k}
        env = console_env(db_url, redis_prefix, fake_twilio.url, fake_rasa.url, SHAML_DEMO="true", SHAML_VAR_DIR=str(tmp_path), **env)
        del env["SHAML_SMS_ROUTES"]
        settings = Settings.from_env(env)
        assert settings.sms_routes == "+963=smsgate,*=twilio"  # the default
        gw = build_gateway(settings, factory=factory)
        jobs.configure(gw)
        app = create_app(settings, gateway=gw)
        with LiveServer(app, gw) as live:
            fakes.webhook_url = f"{live.url}/smsgate/webhook"
            yield app, screens, live
        assert live.pump_errors == []
        gw.redis.close()


def screen(client: TestClient, channel: str, phone: str, count: int, timeout: float = 20) -> list[dict[str, Any]]:
    """The phone's screen once it holds ``count`` lines (the live worker answers meanwhile)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        shown = client.get("/console/simulator/messages", params={"phone": phone, "channel": channel}).json()["messages"]
        if len(shown) >= count or time.monotonic() > deadline:
            return shown
        time.sleep(0.1)


def test_the_simulator_plays_a_telegram_user_and_a_gateway_phone(syria, fake_rasa, fake_twilio, factory) -> None:  # type: ignore[no-untyped-def]
    app, screens, _live = syria
    with TestClient(app, follow_redirects=False) as c:
        page = c.get("/console/simulator").text
        assert 'data-channel="telegram"' in page and 'data-phone="963944100001"' in page
        assert 'data-channel="sms"' in page and 'data-phone="+963933200002"' in page
        token = csrf_of(c, "/console/simulator")

        def post(**data: Any) -> Any:
            return c.post("/console/simulator/send", json=data, headers={"x-csrf-token": token})

        assert post(phone="963944100001", body="مرحبا", channel="telegram").status_code == 200
        assert post(phone="+963933200002", body="بدي سجل", channel="sms").status_code == 200
        telegram = screen(c, "telegram", "963944100001", 2)
        sms = screen(c, "sms", "+963933200002", 2)
        assert [(m["direction"], m["body"]) for m in telegram] == [("in", "مرحبا"), ("out", "echo: مرحبا")]
        assert [(m["direction"], m["body"]) for m in sms] == [("in", "بدي سجل"), ("out", "echo: بدي سجل")]
        # "Share my number" is Telegram's contact of the sender's own account: a verified number.
        assert post(phone="963944100001", body="", channel="telegram", contact=True).status_code == 200
        assert screen(c, "telegram", "963944100001", 4)[2:] == [
            {"id": 3, "direction": "in", "author": "contact", "body": "📞 +963944100001", "buttons": []},
            {"id": 4, "direction": "out", "author": "bot", "body": "echo: +963944100001", "buttons": []}]
        assert c.get("/console/simulator/messages",
                     params={"phone": "963944100001", "channel": "telegram", "after": 3}).json()["messages"][0]["id"] == 4
    # It went through the real channels: a Telegram contact and an SMS contact served by the gateway
    # phone, and the gateway's signed delivery report came back to /smsgate/webhook.
    import time

    deadline = time.monotonic() + 20
    while True:
        with factory() as db:
            contacts = {(c.channel, c.address): c for c in db.execute(select(Contact)).scalars()}
            sms_out = db.execute(select(Message.status).join(Contact, Contact.id == Message.contact_id)
                                 .where(Contact.channel == "sms", Message.direction == "out")).scalars().all()
        if sms_out == ["delivered"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert set(contacts) == {("telegram", "963944100001"), ("sms", "+963933200002")}
    assert contacts[("telegram", "963944100001")].verified_phone == "+963944100001"
    assert contacts[("sms", "+963933200002")].provider == "smsgate"
    assert sms_out == ["delivered"]
    assert [t.metadata["channel"] for t in fake_rasa.turns] == ["telegram", "sms", "telegram"]
    assert fake_twilio.requests == []


@pytest.mark.parametrize(("data", "status"), [
    ({"phone": "963944100001", "body": "hi", "channel": "whatsapp"}, 400),
    ({"phone": "12", "body": "hi", "channel": "telegram"}, 400),
    ({"phone": "+905321234567", "body": "hi", "channel": "sms"}, 400),  # the demo gateway phone serves Syria
    ({"phone": "+963933200002", "body": "", "channel": "sms"}, 400),
])
def test_syria_phones_check_their_input(syria, data: dict[str, Any], status: int) -> None:  # type: ignore[no-untyped-def]
    app, _screens, _live = syria
    with TestClient(app, follow_redirects=False) as c:
        assert c.post("/console/simulator/send", json=data,
                      headers={"x-csrf-token": csrf_of(c, "/console/simulator")}).status_code == status


def test_telegram_and_gateway_phones_do_not_exist_outside_demo_mode(db_url, redis_prefix, accounts, factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from shaml.demo_fakes import demo_env
    from shaml.web import build_gateway

    # Both channels are configured; only demo mode is off.
    env = {k: v for k, v in demo_env(NOWHERE).items() if "TWILIO" not in k}
    settings = Settings.from_env(console_env(db_url, redis_prefix, NOWHERE, NOWHERE, SHAML_VAR_DIR=str(tmp_path), **env))
    app = create_app(settings, gateway=build_gateway(settings, factory=factory))
    samir = logged_in(app, "samir")  # an admin: the sim phones are open to him
    page = samir.get("/console/simulator").text
    assert 'data-channel="sim"' in page and 'data-channel="telegram"' not in page and 'data-channel="sms"' not in page
    token = csrf_of(samir, "/console/simulator")
    for channel, phone in (("telegram", "963944100001"), ("sms", "+963933200002")):
        sent = samir.post("/console/simulator/send", json={"phone": phone, "body": "مرحبا", "channel": channel},
                          headers={"x-csrf-token": token})
        assert sent.status_code == 404
        assert samir.get("/console/simulator/messages", params={"phone": phone, "channel": channel}).status_code == 404
    with factory() as db:
        assert db.execute(select(Contact)).scalars().all() == []
