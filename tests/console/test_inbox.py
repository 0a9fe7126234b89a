"""The inbox and takeover over HTTP: listing, claim and assign, replies through the outbox to the fake
Twilio, the WhatsApp window and its template, hand back, resolve, and escaping of everything shown."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.contacts import opt_out
from bot.models import AuditEvent, Contact, Escalation, Message
from matching.store import utcnow
from tests.console.conftest import escalated_contact, logged_in, post, ref, url
from tests.gateway.conftest import run_worker


def audit_actions(factory) -> list[str]:  # type: ignore[no-untyped-def]
    with factory() as db:
        return list(db.execute(select(AuditEvent.action).where(AuditEvent.actor_kind == "operator")
                               .order_by(AuditEvent.id)).scalars())


def test_inbox_lists_escalations_with_reason_and_wait(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    first = escalated_contact(factory, body="بدي موظف")
    second = escalated_contact(factory, address="+963944555666", body="انا خايف", reason="distress")
    with factory() as db, db.begin():
        db.execute(select(Escalation).where(Escalation.contact_id == first)).scalar_one().created_at = (
            utcnow() - dt.timedelta(minutes=42))
    c = logged_in(app, "rania")
    page = c.get("/console/inbox")
    assert page.status_code == 200
    text = page.text
    assert "طلب شخصاً" in text and "ضيق أو خطر" in text
    assert "42 دقيقة" in text
    assert text.index(f"{url('contact', first)}") < text.index(f"{url('contact', second)}")
    assert "+963912345678" not in text and "+963 9•• ••• •78" in text  # numbers are masked
    rows = c.get("/console/inbox/rows")
    assert rows.status_code == 200 and "<html" not in rows.text and "انا خايف" in rows.text
    c.get("/console/lang/en")
    english = c.get("/console/inbox")
    assert "asked for a person" in english.text and "42 min" in english.text


def test_claim_reply_and_delivery_through_the_outbox(app, accounts, factory, gateway, fake_twilio) -> None:  # type: ignore[no-untyped-def]
    contact = escalated_contact(factory)
    rania, omar = logged_in(app, "rania"), logged_in(app, "omar")
    # Nobody may reply before taking the conversation.
    refused = post(rania, f"{url('contact', contact)}/reply", {"body": "مرحبا"})
    assert refused.status_code == 409 and "استلم المحادثة أولاً" in refused.text
    assert post(rania, f"{url('contact', contact)}/claim").status_code == 303
    page = rania.get(f"{url('contact', contact)}")
    assert 'id="reply-box"' in page.text and "نافذة واتساب مفتوحة" in page.text
    # Once rania holds it, the conversation leaves omar's view (operators see the queue and their own).
    taken = post(omar, f"{url('contact', contact)}/claim")
    assert taken.status_code == 404 and "انا عمر" not in taken.text
    assert post(omar, f"{url('contact', contact)}/reply", {"body": "انا عمر"}).status_code == 404

    assert post(rania, f"{url('contact', contact)}/reply", {"body": "  "}).status_code == 400
    assert post(rania, f"{url('contact', contact)}/reply", {"body": "x" * 1601}).status_code == 400
    sent = post(rania, f"{url('contact', contact)}/reply", {"body": "أهلاً، أنا رانيا من فريق شمل"})
    assert sent.status_code == 303
    run_worker(gateway)
    assert [(r.form["To"], r.form["Body"]) for r in fake_twilio.sent] == [
        ("whatsapp:+963912345678", "أهلاً، أنا رانيا من فريق شمل")]
    with factory() as db:
        out = db.execute(select(Message).where(Message.author == "operator")).scalar_one()
        assert (out.kind, out.operator_id, out.provider_id) == ("operator", accounts.operator.id, fake_twilio.sent[0].sid)
    transcript = rania.get(f"{url('contact', contact)}/rows").text
    assert "أهلاً، أنا رانيا" in transcript and "Rania" in transcript and "قُبلت" in transcript
    fake_twilio.send_status(fake_twilio.sent[0].sid, "delivered", post=_poster(app))
    assert "وصلت" in rania.get(f"{url('contact', contact)}/rows").text
    # The page load is audited; so is the polled transcript, once per five minutes per operator and contact.
    assert audit_actions(factory) == ["login", "login", "claim", "view_conversation", "reply", "view_conversation"]


def _poster(app):  # type: ignore[no-untyped-def]
    """Post Twilio's signed status callback into the app in process."""
    from fastapi.testclient import TestClient

    client = TestClient(app, base_url="http://127.0.0.1:8000")

    def post(url, content, headers):  # type: ignore[no-untyped-def]
        return client.post(url.replace("http://127.0.0.1:8000", ""), content=content, headers=headers)

    return post


def test_admin_assigns_an_operator_cannot(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    contact = escalated_contact(factory)
    samir, rania = logged_in(app, "samir"), logged_in(app, "rania")
    assert post(rania, f"{url('contact', contact)}/assign", {"operator_id": ref("operator", accounts.other.id)}).status_code == 403
    assert post(samir, f"{url('contact', contact)}/assign", {"operator_id": ref("operator", 9999)}).status_code == 400
    assert post(samir, f"{url('contact', contact)}/assign", {"operator_id": ref("operator", accounts.other.id)}).status_code == 303
    with factory() as db:
        esc = db.execute(select(Escalation).where(Escalation.contact_id == contact)).scalar_one()
        assert (esc.status, esc.operator_id) == ("claimed", accounts.other.id)
    # Rania no longer sees omar's conversation; omar sees it as his, and the admin sees it held by him.
    assert url("contact", contact) not in rania.get("/console/inbox/rows").text
    assert "Omar" in samir.get("/console/inbox/rows").text
    omar = logged_in(app, "omar")
    assert url("contact", contact) in omar.get("/console/inbox/rows").text
    assert post(omar, f"{url('contact', contact)}/reply", {"body": "مرحبا"}).status_code == 303


def test_closed_whatsapp_window_offers_the_template(app, accounts, factory, gateway, fake_twilio) -> None:  # type: ignore[no-untyped-def]
    contact = escalated_contact(factory, hours_ago=30)
    rania = logged_in(app, "rania")
    post(rania, f"{url('contact', contact)}/claim")
    page = rania.get(f"{url('contact', contact)}").text
    assert "نافذة واتساب مغلقة" in page and 'id="send-template"' in page
    assert post(rania, f"{url('contact', contact)}/reply", {"body": "هل ما زلت هنا؟"}).status_code == 303
    run_worker(gateway)
    # The reply waits for the window; the approved template invites the user to write again.
    assert [r.form.get("ContentSid") for r in fake_twilio.sent] == ["HX" + "1" * 32]
    with factory() as db:
        statuses = {m.kind: m.status for m in db.execute(select(Message).where(Message.direction == "out",
                                                                                Message.author != "bot")).scalars()}
    assert statuses["operator"] == "waiting"
    assert post(rania, f"{url('contact', contact)}/template").status_code == 303
    run_worker(gateway)
    assert len(fake_twilio.sent) == 2


def test_sms_has_no_window_and_opted_out_contacts_get_nothing(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    contact = escalated_contact(factory, channel="sms", address="+963955123456", hours_ago=48)
    rania = logged_in(app, "rania")
    post(rania, f"{url('contact', contact)}/claim")
    page = rania.get(f"{url('contact', contact)}").text
    assert "نافذة واتساب" not in page
    with factory() as db, db.begin():
        opt_out(db, contact)
    refused = post(rania, f"{url('contact', contact)}/reply", {"body": "مرحبا"})
    assert refused.status_code == 409 and "STOP" in refused.text


def test_hand_back_and_resolve(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    first = escalated_contact(factory)
    second = escalated_contact(factory, address="+963944555666")
    rania = logged_in(app, "rania")
    assert post(rania, f"{url('contact', first)}/handback").status_code == 303
    # Handed back, it leaves an operator's view (the queue and their own only): nothing to hand back, nothing to read.
    assert post(rania, f"{url('contact', first)}/handback").status_code == 404
    assert post(rania, f"{url('contact', second)}/resolve", {"outcome": "whatever"}).status_code == 400
    assert post(rania, f"{url('contact', second)}/resolve", {"outcome": "referred"}).status_code == 303
    with factory() as db:
        assert not db.get(Contact, first).escalated and not db.get(Contact, second).escalated
        assert set(db.execute(select(Escalation.status)).scalars()) == {"resolved"}
        resolved = db.execute(select(AuditEvent).where(AuditEvent.action == "resolve")).scalar_one()
        assert resolved.detail == {"outcome": "referred"} and resolved.operator_id == accounts.operator.id
    assert "hand_back" in audit_actions(factory)
    assert "لا توجد محادثات تنتظر" in rania.get("/console/inbox").text
    assert post(rania, f"{url('contact', first)}/reply", {"body": "x"}).status_code == 404
    assert rania.get(f"{url('contact', 9999)}").status_code == 404
    assert post(rania, f"{url('contact', 9999)}/claim").status_code == 404


def test_everything_shown_is_escaped(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    contact = escalated_contact(factory, body='<script>alert("x")</script><img src=x onerror=alert(1)>')
    rania = logged_in(app, "rania")
    inbox = rania.get("/console/inbox").text
    assert "<script>alert" not in inbox and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in inbox
    with factory() as db, db.begin():
        db.add(Message(contact_id=contact, direction="in", author="user", status="processed", attempts=0,
                       media=[{"url": "javascript:alert(1)", "content_type": "image/jpeg"},
                              {"url": "https://api.twilio.invalid/Media/ME1", "content_type": "image/png"}]))
    page = rania.get(f"{url('contact', contact)}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
    assert 'href="https://api.twilio.invalid/Media/ME1" rel="noopener noreferrer"' in page


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # real concurrent transactions
def test_two_operators_claiming_at_once_cannot_both_win(accounts, factory) -> None:  # type: ignore[no-untyped-def]
    import threading

    from console import conversations as conv
    from console.conversations import ConversationError

    contact = escalated_contact(factory)
    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def take(operator_id: int) -> None:
        barrier.wait()
        try:
            with factory() as db, db.begin():
                conv.claim(db, contact, operator_id)
            outcomes[operator_id] = "won"
        except ConversationError as exc:
            outcomes[operator_id] = exc.key

    threads = [threading.Thread(target=take, args=(int(op.id),)) for op in (accounts.operator, accounts.other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes.values()) == ["err_claimed_by_other", "won"]
    winner = next(op for op, result in outcomes.items() if result == "won")
    with factory() as db:
        assert db.execute(select(Escalation.operator_id)).scalar_one() == winner
        assert db.execute(select(AuditEvent.operator_id).where(AuditEvent.action == "claim")).scalars().all() == [winner]


def test_logs_hold_no_password_phone_number_or_message(app, accounts, factory, gateway, fake_twilio, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    caplog.set_level(logging.INFO)
    contact = escalated_contact(factory, body="اسمي سرّي")
    rania = logged_in(app, "rania")
    post(rania, f"{url('contact', contact)}/reply", {"body": "رد خاص"})
    post(rania, f"{url('contact', contact)}/claim")
    post(rania, f"{url('contact', contact)}/reply", {"body": "رد خاص"})
    run_worker(gateway)
    assert fake_twilio.sent
    text = caplog.text
    assert "console login" in text
    for secret in ("correct-horse-battery", "+963912345678", "963912345678", "رد خاص", "اسمي سرّي"):
        assert secret not in text
