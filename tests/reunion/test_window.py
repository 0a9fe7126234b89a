"""The consent question outside WhatsApp's 24-hour window goes out through the configured template."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.gateway.jobs import wake_outbox
from bot.models import Contact, Message
from matching.store import utcnow
from tests.gateway.conftest import (  # noqa: F401
    fake_rasa,
    fake_twilio,
    gateway,
    run_worker,
    settings,
    with_config,
)
from tests.reunion.conftest import contact, registered, search

TEMPLATE = "HX" + "5" * 32


def test_a_question_outside_the_window_waits_behind_the_template(gateway, factory, fake_twilio, worker, config):  # noqa: F811
    gw = with_config(gateway, template_sid=TEMPLATE)
    family = contact(factory, "+963944000951")
    detainee = contact(factory, "+963955000952", channel="whatsapp")
    search(factory, family, config)
    registered(factory, detainee, config)
    with factory() as session, session.begin():
        session.get(Contact, detainee).last_inbound_at = utcnow() - dt.timedelta(hours=30)
        for m in session.execute(select(Message).where(Message.contact_id == detainee)).scalars():
            m.status = "accepted"  # the registration's own messages left while the window was open
    assert worker.step().asked == 1
    wake_outbox(gw, detainee)
    run_worker(gw)
    sent = [(r.form.get("To"), r.form.get("ContentSid"), r.form.get("Body")) for r in fake_twilio.sent]
    assert sent == [("whatsapp:+963955000952", TEMPLATE, None)]
    with factory() as session:
        question = session.execute(
            select(Message).where(Message.contact_id == detainee, Message.kind == "consent")
        ).scalar_one()
        assert question.status == "waiting"
