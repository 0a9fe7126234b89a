"""The console and the new channels: each conversation's channel and provider, gateway phones' health."""

from __future__ import annotations

import datetime as dt

from bot.contacts import escalate, get_or_create_contact
from bot.gateway.phones import record_event, record_ping
from bot.models import Message
from matching.store import utcnow
from tests.console.conftest import logged_in, url


def test_inbox_and_transcript_show_channel_and_provider(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    with factory() as db, db.begin():
        contact = get_or_create_contact(db, "telegram", "70001")
        contact.provider = "telegram"
        db.add(Message(contact_id=contact.id, direction="in", author="user", body="وينكم", status="processed", provider_id="tg-1"))
        db.add(Message(contact_id=contact.id, direction="out", author="bot", body="أهلاً", status="sent", kind="reply", attempts=1, provider="telegram"))
        escalate(db, contact.id, "requested")
        sms = get_or_create_contact(db, "sms", "+963944555111")
        sms.provider = "smsgate"
        escalate(db, sms.id, "route_unavailable")
        contact_id = contact.id
    rania = logged_in(app, "rania")
    inbox = rania.get("/console/inbox").text
    assert "تيليغرام (عبر تيليغرام)" in inbox and "رسائل SMS (عبر هاتف البوابة)" in inbox
    conversation = rania.get(f"{url('contact', contact_id)}").text
    assert conversation.count("عبر تيليغرام") >= 2  # the conversation's head and the bot's reply
    assert "لا طريق يوصل الرسالة إلى هذا الرقم" in inbox  # the reason an operator understands


def test_dashboard_shows_each_gateway_phone(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    with factory() as db, db.begin():
        record_ping(db, "phone-homs-1", {"status": "pass"})
        record_ping(db, "phone-idlib-2", {"status": "fail"})
        record_event(db, "phone-idlib-2", error="RESULT_ERROR_NO_SERVICE")
        contact = get_or_create_contact(db, "sms", "+963944555112")
        db.add(Message(contact_id=contact.id, direction="out", author="bot", body="x", status="queued", kind="reply",
                       attempts=0, error_code="gateway_offline", next_attempt_at=utcnow() + dt.timedelta(seconds=30)))
    page = logged_in(app, "rania").get("/console/").text
    section = page.split('id="gateway-phones"', 1)[1].split("</section>", 1)[0]
    assert "phone-homs-1" in section and "phone-idlib-2" in section
    assert "RESULT_ERROR_NO_SERVICE" in section and "fail" in section
    assert "<strong>1</strong>" in section  # one message waits for a phone
    stats = logged_in(app, "samir").get("/console/api/stats").json()
    assert [p["device"] for p in stats["gateway_phones"]] == ["phone-homs-1", "phone-idlib-2"]
    assert stats["waiting_on_gateway_phone"] == 1
