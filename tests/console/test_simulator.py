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
from tests.console.conftest import console_env, csrf_of, escalated_contact, logged_in
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
