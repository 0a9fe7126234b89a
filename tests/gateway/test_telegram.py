"""Telegram as a table of cases: the secret header, private chats only, media by file_id, dedupe,
reply keyboards, and what each Bot API answer (429, 5xx, 403, 400) does to a message."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.channels.base import Outgoing
from bot.channels.telegram import TelegramChannel
from bot.models import Contact, Escalation, Message
from matching.store import utcnow
from tests.fakes.telegram import BOT_TOKEN, WEBHOOK_SECRET, message_update, secret_headers, user
from tests.gateway.conftest import run_worker, stored_rows

PATH = "/telegram/webhook"
MEDIA_REPLY = "نقرأ الرسائل النصية فقط. وصلتنا رسالتك وسيطّلع عليها أحد أعضاء فريقنا ويرد عليك."


@dataclass
class Case:
    """One update: what is posted, and what must follow."""

    label: str
    update: dict[str, Any] | bytes
    secret: str | None = WEBHOOK_SECRET
    repeat: int = 1
    status: int = 200
    stored: int = 1
    route: str | None = "rasa"
    to_rasa: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    media: str | None = None  # the stored media's url
    escalation: str | None = None
    verified_phone: str | None = None


def _edited() -> dict[str, Any]:
    original = message_update(text="مرحبا")
    return {"update_id": original["update_id"], "edited_message": {**original["message"], "text": "مرحبا!", "edit_date": 1}}


CASES = [
    Case("valid text", message_update(text="بدي دور على أخي"), to_rasa=["بدي دور على أخي"], replies=["echo: بدي دور على أخي"]),
    Case("voice note", message_update(voice={"file_id": "VOICE-1", "mime_type": "audio/ogg", "duration": 4}),
         route="media", replies=[MEDIA_REPLY], media="telegram:voice:VOICE-1", escalation="media"),
    Case("photo (largest size kept)", message_update(photo=[{"file_id": "PH-small"}, {"file_id": "PH-big"}]),
         route="media", replies=[MEDIA_REPLY], media="telegram:photo:PH-big", escalation="media"),
    Case("document", message_update(document={"file_id": "DOC-1", "mime_type": "application/pdf"}),
         route="media", replies=[MEDIA_REPLY], media="telegram:document:DOC-1", escalation="media"),
    Case("sticker", message_update(sticker={"file_id": "STK-1", "emoji": "👍"}),
         route="media", replies=[MEDIA_REPLY], media="telegram:sticker:STK-1", escalation="media"),
    Case("photo with a caption goes to the bot as text", message_update(photo=[{"file_id": "PH-c"}], caption="هذا أخي محمد"),
         to_rasa=["هذا أخي محمد"], replies=["echo: هذا أخي محمد"], media="telegram:photo:PH-c"),
    Case("group message", message_update(chat_id=-100200300, chat_type="supergroup", text="hello"), stored=0, route=None),
    Case("channel post", {"update_id": 91, "channel_post": {"message_id": 3, "chat": {"id": -1001, "type": "channel"}, "text": "news"}},
         stored=0, route=None),
    Case("edited message", _edited(), stored=0, route=None),
    Case("service message (pinned)", message_update(pinned_message={"message_id": 1}), stored=0, route=None),
    Case("wrong secret", message_update(text="hi"), secret="not-the-secret", status=403, stored=0, route=None),
    Case("missing secret", message_update(text="hi"), secret=None, status=403, stored=0, route=None),
    Case("replayed update", message_update(update_id=777, text="مرحبا"), repeat=3, to_rasa=["مرحبا"], replies=["echo: مرحبا"]),
    Case("oversized body", b'{"update_id": 1, "x": "' + b"a" * 70_000 + b'"}', status=413, stored=0, route=None),
    Case("not JSON", b"update_id=1", status=400, stored=0, route=None),
    Case("own contact shared", message_update(contact={"phone_number": "963944123456", "user_id": 70001, "first_name": "A"}),
         to_rasa=["+963944123456"], replies=["echo: +963944123456"], verified_phone="+963944123456"),
    Case("someone else's contact", message_update(contact={"phone_number": "+963933000111", "user_id": 5555, "first_name": "V"}),
         to_rasa=["+963933000111"], replies=["echo: +963933000111"]),
]


def _post(client, case: Case, fake_telegram=None):  # type: ignore[no-untyped-def]
    body = case.update if isinstance(case.update, bytes) else json.dumps(case.update, ensure_ascii=False).encode()
    return client.post(PATH, content=body, headers=secret_headers(case.secret))


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_update(case: Case, channel_client, channel_gateway, fake_rasa, fake_telegram, fake_twilio, factory, logs):  # type: ignore[no-untyped-def]
    responses = [_post(channel_client, case) for _ in range(case.repeat)]
    for response in responses:
        assert response.status_code == case.status, response.text
        if case.status == 403:
            assert BOT_TOKEN not in response.text and WEBHOOK_SECRET not in response.text
    run_worker(channel_gateway)
    inbound, outbound, contacts, escalations = stored_rows(factory)
    assert len(inbound) == case.stored
    assert [t.message for t in fake_rasa.turns] == case.to_rasa
    assert fake_twilio.requests == []  # Telegram never goes through Twilio
    if case.stored:
        (message,) = inbound
        (contact,) = contacts
        assert (contact.channel, contact.provider, contact.address) == ("telegram", "telegram", "70001")
        assert contact.verified_phone == case.verified_phone
        assert message.route == case.route and message.status == "processed"
        assert [m["url"] for m in message.media or []] == ([case.media] if case.media else [])
        assert [m.body for m in outbound] == case.replies
        assert all(m.provider == "telegram" and m.status == "sent" for m in outbound)
        assert [(p["chat_id"], p["text"]) for p in fake_telegram.sent] == [(70001, r) for r in case.replies]
    else:
        assert contacts == [] and fake_telegram.calls == []
    assert [e.reason for e in escalations] == ([case.escalation] if case.escalation else [])


def _one_message(client, gateway, text: str = "مرحبا") -> None:  # type: ignore[no-untyped-def]
    assert client.post(PATH, content=json.dumps(message_update(text=text)).encode(), headers=secret_headers()).status_code == 200
    run_worker(gateway)


def _reply(factory) -> Message:  # type: ignore[no-untyped-def]
    with factory() as session:
        return session.execute(select(Message).where(Message.direction == "out")).scalar_one()


def test_429_waits_retry_after_without_using_attempts(channel_client, channel_gateway, fake_rasa, fake_telegram, factory, logs):  # type: ignore[no-untyped-def]
    fake_telegram.fail_next(429, "Too Many Requests: retry after 7", retry_after=7, times=1)
    before = utcnow()
    _one_message(channel_client, channel_gateway)
    reply = _reply(factory)
    assert (reply.status, reply.error_code, reply.attempts) == ("queued", "429", 0)
    wait = reply.next_attempt_at.replace(tzinfo=dt.timezone.utc) - before
    assert dt.timedelta(seconds=6) < wait < dt.timedelta(seconds=9)
    with factory() as session, session.begin():  # the 7 seconds pass
        session.execute(update(Message).where(Message.id == reply.id).values(next_attempt_at=None))
    channel_gateway.queue("outbox").enqueue("bot.gateway.jobs.run_outbox", reply.contact_id)
    run_worker(channel_gateway)
    assert _reply(factory).status == "sent"
    assert len(fake_telegram.sent) == 2


def test_a_429_storm_never_fails_a_message(channel_client, channel_gateway, fake_rasa, fake_telegram, factory, logs):  # type: ignore[no-untyped-def]
    storm = channel_gateway.config.max_attempts + 3
    fake_telegram.fail_next(429, "Too Many Requests", retry_after=1, times=storm)
    _one_message(channel_client, channel_gateway)
    for _ in range(storm):
        with factory() as session, session.begin():
            session.execute(update(Message).where(Message.direction == "out").values(next_attempt_at=None))
        channel_gateway.queue("outbox").enqueue("bot.gateway.jobs.run_outbox", _reply(factory).contact_id)
        run_worker(channel_gateway)
    reply = _reply(factory)
    assert reply.status == "sent" and reply.attempts == 1
    assert len(fake_telegram.sent) == storm + 1


def test_5xx_is_retried(channel_client, channel_gateway, fake_rasa, fake_telegram, factory, logs):  # type: ignore[no-untyped-def]
    fake_telegram.fail_next(502, "Bad Gateway", times=2)
    _one_message(channel_client, channel_gateway)
    reply = _reply(factory)
    assert (reply.status, reply.attempts) == ("sent", 3)


def test_blocked_by_the_user_opts_the_contact_out(channel_client, channel_gateway, fake_rasa, fake_telegram, factory, logs):  # type: ignore[no-untyped-def]
    fake_telegram.fail_next(403, "Forbidden: bot was blocked by the user")
    _one_message(channel_client, channel_gateway)
    with factory() as session:
        contact = session.execute(select(Contact)).scalar_one()
        escalations = session.execute(select(Escalation)).scalars().all()
    reply = _reply(factory)
    assert (reply.status, reply.error_code) == ("failed", "blocked")
    assert contact.opted_out and escalations == []
    assert len(fake_telegram.sent) == 1  # never retried


def test_chat_not_found_fails_and_escalates(channel_client, channel_gateway, fake_rasa, fake_telegram, factory, logs):  # type: ignore[no-untyped-def]
    fake_telegram.fail_next(400, "Bad Request: chat not found")
    _one_message(channel_client, channel_gateway)
    with factory() as session:
        escalations = session.execute(select(Escalation)).scalars().all()
    assert (_reply(factory).status, _reply(factory).error_code) == ("failed", "chat_not_found")
    assert [e.reason for e in escalations] == ["delivery_failed"]
    assert len(fake_telegram.sent) == 1


def test_menus_become_reply_keyboards_and_typed_digits_still_work(channel_client, channel_gateway, fake_rasa, fake_telegram, factory, logs):  # type: ignore[no-untyped-def]
    _one_message(channel_client, channel_gateway, "هل هي صحيحة؟ 1 نعم / 2 لا")
    _one_message(channel_client, channel_gateway, "Reply:\n1 share my number\n2 only tell them I'm safe\n3 tell them nothing")
    _one_message(channel_client, channel_gateway, "٢")
    keyboards = [p["reply_markup"] for p in fake_telegram.sent]
    assert [b["text"] for b in keyboards[0]["keyboard"][0]] == ["نعم", "لا"]
    assert [b["text"] for b in keyboards[1]["keyboard"][0]] == ["١", "٢", "٣"]  # the contact reads Arabic
    assert keyboards[2] == {"remove_keyboard": True}
    assert [t.message for t in fake_rasa.turns][-1] == "٢"


def test_callback_question_offers_share_my_number(fake_telegram, logs):  # type: ignore[no-untyped-def]
    channel = TelegramChannel(token=BOT_TOKEN, webhook_secret=WEBHOOK_SECRET, api_url=fake_telegram.url)
    body = "على أي رقم يتصل بك أهلك؟ اكتب 1 لاستعمال الرقم الذي تكتب منه، أو اكتب رقماً آخر (مثلاً رقم متطوع)."
    channel.send(Outgoing(channel="telegram", address="70001", body=body, language="ar"))
    (button,) = fake_telegram.sent[0]["reply_markup"]["keyboard"][0]
    assert button["request_contact"] is True and "رقمي" in button["text"]


def test_the_arabizi_callback_question_offers_share_my_number_in_arabizi(fake_telegram, logs):  # type: ignore[no-untyped-def]
    import yaml

    from tests.conftest import ROOT

    domain = yaml.safe_load((ROOT / "bot" / "assistant" / "domain.yml").read_text(encoding="utf-8"))
    (body,) = [r["text"] for r in domain["responses"]["utter_ask_callback_number"]
               if any(c.get("value") == "az" for c in r.get("condition", []))]
    channel = TelegramChannel(token=BOT_TOKEN, webhook_secret=WEBHOOK_SECRET, api_url=fake_telegram.url)
    channel.send(Outgoing(channel="telegram", address="70001", body=body, language="az"))
    (button,) = fake_telegram.sent[0]["reply_markup"]["keyboard"][0]
    assert button == {"text": "📱 Sharek ra2me", "request_contact": True}


def test_long_text_is_split_at_4096(fake_telegram, logs):  # type: ignore[no-untyped-def]
    channel = TelegramChannel(token=BOT_TOKEN, webhook_secret=WEBHOOK_SECRET, api_url=fake_telegram.url)
    text = "كلمة " * 1500  # 7,500 characters
    result = channel.send(Outgoing(channel="telegram", address="70001", body=text, reference="shaml-41-1"))
    parts = [p["text"] for p in fake_telegram.sent]
    assert len(parts) == 2 and all(len(p) <= 4096 for p in parts)
    assert " ".join(parts).split() == text.split()
    # Our id for the send and the last part's message id; never the chat id, which is sealed at rest.
    assert result.provider_id == "tg-out-shaml-41-1-101"
    unnamed = channel.send(Outgoing(channel="telegram", address="70001", body="x"))
    assert unnamed.provider_id.startswith("tg-out-") and "70001" not in unnamed.provider_id


def test_token_never_in_logs_or_errors(fake_telegram, caplog, logs):  # type: ignore[no-untyped-def]
    """An attacker reading the logs or an error learns nothing of the bot token."""
    from bot.gateway.errors import SendError

    channel = TelegramChannel(token=BOT_TOKEN, webhook_secret=WEBHOOK_SECRET, api_url="http://127.0.0.1:9")  # nothing listens
    with pytest.raises(SendError) as failed:
        channel.send(Outgoing(channel="telegram", address="70001", body="hi"))
    assert BOT_TOKEN not in str(failed.value) and BOT_TOKEN not in repr(channel)
    assert failed.value.retryable
    good = TelegramChannel(token=BOT_TOKEN, webhook_secret=WEBHOOK_SECRET, api_url=fake_telegram.url)
    good.send(Outgoing(channel="telegram", address="70001", body="hi"))
    assert any("/bot***/sendMessage" in r.getMessage() for r in caplog.records)  # httpx's line, redacted


def test_set_webhook_and_info(fake_telegram, logs):  # type: ignore[no-untyped-def]
    channel = TelegramChannel(token=BOT_TOKEN, webhook_secret=WEBHOOK_SECRET, api_url=fake_telegram.url)
    channel.set_webhook("https://shaml.invalid/telegram/webhook")
    assert fake_telegram.webhook == {
        "url": "https://shaml.invalid/telegram/webhook", "secret_token": WEBHOOK_SECRET,
        "allowed_updates": ["message", "edited_message"], "drop_pending_updates": False,
    }
    info = channel.webhook_info()
    assert info["pending_update_count"] == 3 and info["url"].endswith("/telegram/webhook")


def test_bot_sender_is_ignored(channel_client, channel_gateway, factory, logs):  # type: ignore[no-untyped-def]
    update_ = message_update(text="spam")
    update_["message"]["from"] = user(99, is_bot=True)
    assert channel_client.post(PATH, content=json.dumps(update_).encode(), headers=secret_headers()).status_code == 200
    with factory() as session:
        assert session.execute(select(Message)).first() is None
