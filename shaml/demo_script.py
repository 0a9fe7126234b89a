"""``shaml demo --script``: a family inside Syria on Telegram and a released detainee texting the
association's SMS gateway phone, through the real stack; Telegram and the gateway are the demo's local
fakes (:mod:`shaml.demo_fakes`), and not one message may reach Twilio, which cannot deliver in Syria."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.models import Contact
from shaml.demo_fakes import Screens, sms_received, telegram_webhook

#: The person the family looks for, and who registers: invented, and absent from the sample registry.
PERSON = {
    "person_name": "يوسف عمر الديري",
    "father_name": "عمر",
    "mother_name": "نجاح الحسن",
    "birth_year": "1975",
    "governorate": "دير الزور",
}
FAMILY_ANSWERS = {
    **PERSON,
    "detention": "صيدنايا 2013",
    "searcher_name": "مريم عمر الديري",
    "relationship": "أخته",
    "search_confirm": "نعم",
    "search_consent": "نعم",
}
DETAINEE_ANSWERS = {**PERSON, "share_policy": "1", "registration_confirm": "نعم"}
#: The relayed conversation: the family's question, his answer, and what the family writes when sure.
QUESTION = "شو كان اسم كلبنا بالبيت العتيق؟"
ANSWER = "بوبي، وكان يخاف من الرعد"
RECOGNISE = "هو هو"
CODE = re.compile(r"(?<![\d٠-٩])([\d٠-٩]{6})(?![\d٠-٩])")
_ARABIC_DIGITS = {0x0660 + i: str(i) for i in range(10)}


class JourneyFailed(AssertionError):
    """The scripted journey did not reach its end; the message says where it stopped."""


@dataclass
class Phone:
    """A person's phone: Telegram (``address`` is the chat id) or SMS to the gateway phone (``address``
    is the +963 number); everything it sent and received, in order."""

    label: str
    channel: str
    address: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    seen: int = 0  # screen lines already read

    @property
    def number(self) -> str:
        """The phone number (a Telegram chat id here is the digits of the account's number)."""
        return self.address if self.address.startswith("+") else f"+{self.address}"


class Journey:
    """Drives the phones through the web service's Telegram and gateway webhooks, signed as the providers
    sign, and reads what reached each phone from the demo fakes' screens."""

    def __init__(self, web_url: str, rasa_url: str, rasa_token: str, factory: sessionmaker, screens: Screens,
                 telegram_secret: str, gateway_key: str, echo: Callable[[str], None]) -> None:
        self.web_url = web_url
        self.rasa_url = rasa_url
        self.rasa_token = rasa_token
        self.factory = factory
        self.screens = screens
        self.telegram_secret = telegram_secret
        self.gateway_key = gateway_key
        self.echo = echo
        self.http = httpx.Client(timeout=30)

    def _contact(self, phone: Phone) -> Contact | None:
        with self.factory() as session:
            return session.execute(
                select(Contact).where(Contact.channel == phone.channel, Contact.address == phone.address)
            ).scalar_one_or_none()

    def send(self, phone: Phone, text: str) -> None:
        """The person writes ``text``: Telegram posts the update, or the gateway phone the received SMS."""
        if phone.channel == "telegram":
            path = "/telegram/webhook"
            body, headers = telegram_webhook(self.telegram_secret, int(phone.address), text=text)
        else:
            path = "/smsgate/webhook"
            body, headers = sms_received(self.gateway_key, phone.address, text)
        response = self.http.post(f"{self.web_url}{path}", content=body, headers=headers)
        if response.status_code != 200:
            raise JourneyFailed(f"the web service refused {phone.label}'s message on {path}: HTTP {response.status_code}")
        self.screens.push(phone.channel, phone.address, "in", text)  # the phone's own screen shows it
        phone.lines.append(("→", text))
        self.echo(f"  {phone.label:9} → {text}")

    def replies(self, phone: Phone, *, timeout: float = 60, quiet: float = 2.0,
                until: Callable[[str], bool] | None = None) -> list[str]:
        """Wait for what reaches ``phone``: at least one message (or one satisfying ``until``), then quiet."""
        got: list[str] = []
        deadline = time.monotonic() + timeout
        last_new = time.monotonic()
        while time.monotonic() < deadline:
            for line in self.screens.read(phone.channel, phone.address, phone.seen):
                phone.seen = line["id"]
                if line["direction"] != "out":
                    continue
                got.append(line["body"])
                phone.lines.append(("←", line["body"]))
                self.echo(f"  {phone.label:9} ← {line['body']}")
                last_new = time.monotonic()
            satisfied = any(until(b) for b in got) if until else bool(got)
            if satisfied and time.monotonic() - last_new >= quiet:
                return got
            time.sleep(0.2)
        what = "the expected message" if until else "any reply"
        raise JourneyFailed(f"{phone.label} waited {timeout:.0f} s for {what} from the bot")

    def wait_for(self, phone: Phone, predicate: Callable[[str], bool], *, since: int, timeout: float = 90) -> str:
        """Wait until a message to ``phone`` received after line ``since`` satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            found = next((t for d, t in phone.lines[since:] if d == "←" and predicate(t)), None)
            if found is not None:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise JourneyFailed(f"{phone.label} waited {timeout:.0f} s for the expected message from the bot")
            try:
                self.replies(phone, timeout=min(remaining, 5), quiet=0)
            except JourneyFailed:
                pass

    def requested_slot(self, phone: Phone) -> str | None:
        """The slot Rasa's active form is asking for, read from the tracker through Rasa's API."""
        contact = self._contact(phone)
        if contact is None:
            return None
        response = self.http.get(
            f"{self.rasa_url}/conversations/{contact.id}/tracker", params={"token": self.rasa_token}
        )
        response.raise_for_status()
        tracker = response.json()
        if not (tracker.get("active_loop") or {}).get("name"):
            return None
        slot = tracker.get("slots", {}).get("requested_slot")
        return str(slot) if slot else None

    def fill_form(self, phone: Phone, answers: dict[str, str]) -> None:
        """Answer whatever the active form asks, from ``answers``, until the form is done."""
        asked: dict[str, int] = {}
        while (slot := self.requested_slot(phone)) is not None:
            asked[slot] = asked.get(slot, 0) + 1
            if slot not in answers or asked[slot] > 2:
                raise JourneyFailed(f"{phone.label}: the bot asked for {slot!r}, which the script cannot answer")
            self.send(phone, answers[slot])
            self.replies(phone)


def play(journey: Journey, family: Phone, detainee: Phone, volunteer: Phone) -> float:
    """The whole journey; returns the seconds from the detainee's verification to the family's news."""
    echo = journey.echo
    echo("\n— a sister in Homs searches, on Telegram —")
    journey.send(family, "مرحبا")
    journey.replies(family)
    journey.send(family, "1")
    journey.replies(family)
    journey.fill_form(family, FAMILY_ANSWERS)

    echo("\n— a released detainee texts the association's gateway phone (a Syrian SIM); he gives a volunteer's number —")
    journey.send(detainee, "مرحبا")
    journey.replies(detainee)
    journey.send(detainee, "2")
    journey.replies(detainee)
    local = "0" + volunteer.number.removeprefix("+963")  # as a Syrian writes it; Shaml reads it as +963…
    journey.fill_form(detainee, {**DETAINEE_ANSWERS, "callback_number": local})

    echo("\n— the code goes by SMS to the volunteer's phone, through the gateway (+963 never goes to Twilio) —")
    code_text = journey.wait_for(volunteer, lambda b: bool(CODE.search(b)), since=0)
    code = CODE.search(code_text).group(1).translate(_ARABIC_DIGITS)  # type: ignore[union-attr]
    mark = len(detainee.lines)
    journey.send(detainee, code)
    verified_at = time.monotonic()

    echo("\n— the worker matches; he is asked first, without the searcher's name (nobody vouched for him yet) —")
    journey.wait_for(detainee, lambda b: "1" in b and "3" in b and "2" in b, since=mark)
    mark_family = len(family.lines)
    journey.send(detainee, "1")

    echo("\n— a relayed conversation, numbers hidden: the family asks what only he would know —")
    journey.wait_for(family, lambda b: RECOGNISE in b, since=mark_family)
    mark_detainee = len(detainee.lines)
    journey.send(family, QUESTION)
    journey.wait_for(detainee, lambda b: QUESTION in b, since=mark_detainee)
    mark_family = len(family.lines)
    journey.send(detainee, ANSWER)
    journey.wait_for(family, lambda b: ANSWER in b, since=mark_family)

    echo("\n— the family recognises him; he is asked again, by name now, and still agrees —")
    mark_family, mark_detainee = len(family.lines), len(detainee.lines)
    journey.send(family, RECOGNISE)
    journey.wait_for(detainee, lambda b: FAMILY_ANSWERS["searcher_name"] in b and "1" in b, since=mark_detainee)
    mark_detainee = len(detainee.lines)
    journey.send(detainee, "1")

    echo("\n— both are told, each on their own channel: the family on Telegram, he by SMS —")
    journey.wait_for(family, lambda b: volunteer.number in b, since=mark_family)
    elapsed = time.monotonic() - verified_at
    journey.wait_for(detainee, lambda b: FAMILY_ANSWERS["searcher_name"] in b, since=mark_detainee)
    return elapsed


def transcript(phone: Phone) -> str:
    """The phone's conversation as a phone would show it."""
    lines = [f"=== {phone.label} ({phone.channel} {phone.address}) ==="]
    for direction, text in phone.lines:
        who = "me " if direction == "→" else "bot"
        for i, part in enumerate(text.splitlines() or [""]):
            lines.append(f"  {who if i == 0 else '   '} | {part}")
    return "\n".join(lines)
