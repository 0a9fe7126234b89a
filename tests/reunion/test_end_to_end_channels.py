"""End to end inside Syria: a family on Telegram, a released person on the SMS gateway phone (or on
Telegram), through the real web service, Rasa, action server and worker; no message reaches Twilio."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from bot.models import AuditEvent, Contact, Registration
from tests.fakes.smsgate import PASSWORD, SIGNING_KEY, USERNAME, FakeSmsGate, received, signed
from tests.fakes.telegram import (
    BOT_TOKEN,
    WEBHOOK_SECRET,
    FakeTelegram,
    message_update,
    secret_headers,
)
from tests.reunion.test_end_to_end import Phone, Stack, running_stack, search_for, verify, vouch

# The stack's first start trains Rasa when its model is stale (not in `make test`, which trains
# first): longer than the suite's 15-minute limit per test allows.
pytestmark = pytest.mark.timeout(1800)

_updates = itertools.count(900_000)


@pytest.fixture(scope="module")
def channels() -> Iterator[tuple[FakeTelegram, FakeSmsGate]]:
    """The fake Telegram Bot API and the fake gateway phone, for the whole module."""
    with FakeTelegram() as telegram, FakeSmsGate() as gate:
        yield telegram, gate  # type: ignore[misc]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, channels) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    """Every Shaml process, with Telegram and the SMS gateway on their fakes and +963 routed to the phone."""
    telegram, gate = channels
    env = {
        "SHAML_TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "SHAML_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SHAML_TELEGRAM_API_URL": telegram.url,
        "SHAML_SMSGATE_API_URL": gate.url,
        "SHAML_SMSGATE_USERNAME": USERNAME,
        "SHAML_SMSGATE_PASSWORD": PASSWORD,
        "SHAML_SMSGATE_SIGNING_KEY": SIGNING_KEY,
        "SHAML_SMSGATE_PER_MINUTE": "120",
        "SHAML_SMS_ROUTES": "+963=smsgate,*=twilio",
    }
    stack = running_stack(tmp_path_factory, env)
    s = next(stack)
    s.telegram, s.gate = telegram, gate  # type: ignore[attr-defined]
    yield s
    with pytest.raises(StopIteration):
        next(stack)
    logs = s.text()
    assert BOT_TOKEN.split(":")[1] not in logs and PASSWORD not in logs and SIGNING_KEY not in logs, "a secret reached a log"


class TelegramUser(Phone):
    """A person in a private chat with the bot."""

    def __init__(self, stack: Stack, chat_id: int) -> None:
        super().__init__(stack, str(chat_id))
        self.chat_id = chat_id

    def inbox(self) -> list[tuple[str, float]]:
        return [(c.payload.get("text", ""), c.at) for c in self.stack.telegram.calls  # type: ignore[attr-defined]
                if c.method == "sendMessage" and c.payload.get("chat_id") == self.chat_id]

    def post(self, **content: object) -> float:
        update = message_update(next(_updates), chat_id=self.chat_id, **content)
        at = time.monotonic()
        response = httpx.post(self.stack.web + "/telegram/webhook", content=json.dumps(update).encode(), headers=secret_headers(), timeout=30)
        assert response.status_code == 200, response.text
        return at

    def send(self, body: str) -> float:
        self.sent += 1
        return self.post(text=body)

    def share_own_contact(self, phone: str) -> float:
        """Press "share my number": Telegram sends the account's own verified number."""
        return self.post(contact={"phone_number": phone.lstrip("+"), "user_id": self.chat_id, "first_name": "A"})


class GatewayPhone(Phone):
    """A person texting the association's gateway phone (a Syrian SIM)."""

    def inbox(self) -> list[tuple[str, float]]:
        return [(r.payload["textMessage"]["text"], r.at) for r in self.stack.gate.requests  # type: ignore[attr-defined]
                if r.path == "/messages" and r.payload.get("phoneNumbers") == [self.number]]

    def send(self, body: str) -> float:
        self.sent += 1
        content, headers = signed(received(body, phone=self.number))
        at = time.monotonic()
        response = httpx.post(self.stack.web + "/smsgate/webhook", content=content, headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        return at


PERSON = dict(name="يوسف سمير الخطيب", father="سمير", mother="هالة", year="1988", governorate="حماة")


def _register(detainee: Phone, callback_step) -> list[str]:  # type: ignore[no-untyped-def]
    detainee.say("أنا طلعت من صيدنايا وبدي سجل")
    for answer in (PERSON["name"], PERSON["father"], PERSON["mother"], PERSON["year"], PERSON["governorate"]):
        detainee.say(answer)
    callback_step()
    detainee.say("1")  # share my number
    return detainee.say("نعم")


def test_family_on_telegram_detainee_on_the_gateway_with_a_volunteers_number(stack):
    family = TelegramUser(stack, 71001)
    detainee = GatewayPhone(stack, "+963955700002")
    volunteer = GatewayPhone(stack, "+963944700003")
    search_for(family, **PERSON, searcher="ليلى", relationship="أخته")
    _register(detainee, lambda: detainee.say("0944 700 003"))
    vouch(stack, detainee)  # two operators spoke with him (the trust rules: identity is corroborated first)
    verify(detainee, code_phone=volunteer)  # the code went to the volunteer's phone by SMS
    question, _ = detainee.wait_for("طلب بحث عنك", timeout=90)
    assert "ليلى" in question
    detainee.send("١")
    news, _ = family.wait_for(r"\+963944700003", timeout=90)  # the family, on Telegram, gets the callback
    told, _ = detainee.wait_for("سيتصل بك هو", timeout=90)  # no phone number to give for a Telegram chat
    assert "71001" not in told
    assert stack.twilio.requests == []  # nothing went to Twilio


def test_detainee_on_telegram_shares_his_own_number_and_needs_no_code(stack):
    family = GatewayPhone(stack, "+963944800001")
    detainee = TelegramUser(stack, 72002)
    person = PERSON | {"name": "عمار نادر الشامي", "father": "نادر", "mother": "سلمى"}

    def share() -> None:
        before = len(detainee.inbox())
        detainee.share_own_contact("+963955800002")
        detainee.wait_for(".", after=before, timeout=60)

    detainee.say("أنا طلعت من صيدنايا وبدي سجل")
    for answer in (person["name"], person["father"], person["mother"], person["year"], person["governorate"]):
        detainee.say(answer)
    share()
    detainee.say("1")
    detainee.say("نعم")
    detainee.wait_for("تم تأكيد رقم التواصل|callback number is confirmed", timeout=90)
    with stack.factory() as session:
        registration = session.execute(
            select(Registration).join(Contact, Contact.id == Registration.contact_id)
            .where(Contact.address == str(detainee.chat_id))
        ).scalar_one()
        verified = session.execute(select(AuditEvent).where(AuditEvent.action == "registration_verified",
                                                            AuditEvent.subject_id == str(registration.id))).scalar_one()
    assert registration.status == "active" and verified.detail == {"by": "telegram_contact"}
    assert registration.callback_address == "+963955800002"
    # Telegram vouches for the number, not for who he is: two operators speak with him first.
    vouch(stack, detainee)
    search_for(family, **person, searcher="منى", relationship="أخته")
    assert not any("رمز شمل" in b or "Shaml code" in b for b, _ in detainee.inbox() + family.inbox())  # no code anywhere
    detainee.wait_for("طلب بحث عنك", timeout=90)
    detainee.send("1")
    family.wait_for(r"\+963955800002", timeout=90)
    assert stack.twilio.requests == []
