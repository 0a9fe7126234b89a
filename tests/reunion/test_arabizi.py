"""Arabizi readers in the reunification workflow (issue 17): every text in Latin letters, the answers and
commands those texts name understood, on the real databases, Redis, and the gateway with fake Twilio.

- the texts themselves: an Arabizi version of every key, with the same numbered choices, the same
  words to type and the same warning that Shaml never asks for money;
- a released person who writes Arabizi is stored as an Arabizi reader by the assistant's own action,
  asked in Arabizi, answers as people write ("la2", "sharek ra2mi"), and both sides hear in Arabizi;
- an Arabizi family in a relayed conversation, through the webhook and the gateway's workers: Arabizi
  relay texts, a money request still held, HUWE HUWE and SAKKER doing what the texts say.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.actions import deps
from bot.actions.forms import ValidateSlotMappings
from bot.actions.reunion import ActionAskConsentChoice, ActionRecordConsent, ValidateConsentForm
from bot.models import Contact, Escalation, Match, Registration, RelayThread
from bot.reunion import consent, relay
from bot.reunion.texts import ARABIZI, ROLES_ARABIZI, TEXTS, gathering_point, render
from bot.reunion.verification import register
from matching.engine import Matcher
from nlu.answers import ROLES
from nlu.text import is_arabizi
from tests.fakes.twilio import inbound_form, signed_webhook
from tests.gateway.conftest import (  # noqa: F401 - fixtures
    PUBLIC_URL,
    client,
    fake_rasa,
    fake_twilio,
    gateway,
    run_worker,
    settings,
)
from tests.reunion.conftest import (
    PERSON,
    code_sent_to,
    contact,
    contact_row,
    outbox,
    registered,
    search,
)

ARABIC = re.compile(r"[\u0600-\u06ff]")
#: Values of the Latin kind an Arabizi family gives, for the texts' own checks.
VALUES = dict(searcher="Samer", relationship=ROLES_ARABIZI["brother"], name="Mohammad Ahmad el 7alabi", number="+963944123456",
              code="483920", limit=5, source="Barzeh list", date="2024-12-08", governorate="Rif Dimashq",
              place=gathering_point("Rif Dimashq", "az"), text="shu esm tetak?")


def choices(body: str) -> list[str]:
    """The numbered options at the start of lines (what the person types back)."""
    return re.findall(r"(?m)^([1-3]) ", body)


# -- the texts --------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_text_has_an_arabizi_version_in_latin_letters_with_the_same_choices_and_warning(key):
    arabic, english = TEXTS[key]
    az = render(key, "az", **VALUES)
    assert "{" not in az and not ARABIC.search(ARABIZI[key]), az
    assert is_arabizi(ARABIZI[key]), ARABIZI[key]  # reads as Arabizi, not as English
    assert az not in (render(key, "ar", **VALUES), render(key, "en", **VALUES))
    assert choices(az) == choices(arabic), key  # the same numbers to type
    assert ("لا يطلب المال" in arabic) == ("Shaml ma byutlob masari abadan" in az), key
    placeholders = set(re.findall(r"\{(\w+)\}", arabic))
    assert set(re.findall(r"\{(\w+)\}", ARABIZI[key])) == placeholders, key


def test_the_words_the_arabizi_texts_tell_people_to_type_do_what_they_say():
    howto = render("relay_howto_family", "az")
    typed = re.findall(r"ekteb: ([A-Z ]+)\.", howto)
    assert typed == ["HUWE HUWE", "SAKKER"]
    assert relay.normalise(typed[0]) in relay.RECOGNISED and relay.normalise(typed[1]) in relay.CLOSE
    assert "SAKKER" in render("relay_open_registrant", "az")
    # Each option's line of the consent question, typed back whole or as its words, is that option.
    for key in ("consent_request", "consent_reminder"):
        for line in render(key, "az", **VALUES).splitlines()[1:]:
            digit, words = line.split(" ", 1)
            assert consent.parse_choice(line) == int(digit) == consent.parse_choice(words), line


def test_the_searchers_role_the_gathering_point_and_the_unnamed_searcher_in_arabizi():
    assert set(ROLES_ARABIZI) == set(ROLES)
    assert all(not ARABIC.search(label) for label in ROLES_ARABIZI.values())
    assert ROLES_ARABIZI["mother"] == "emmak" and ROLES_ARABIZI["sister"] == "o5tak"
    assert gathering_point("دمشق", "az") == gathering_point("el Sham", "az") == "Jame3 el Salam b Barzeh"
    assert gathering_point("حلب", "az") == gathering_point(None, "az") == "marakez Tal w Minin"
    assert gathering_point("Rif Dimashq", "ar") == "جامع السلام في برزة"  # Arabic and English unchanged
    assert gathering_point("Rif Dimashq", "en") == "the Salam Mosque in Barzeh"


@pytest.mark.parametrize(("answer", "expected"), [
    ("eh", 1), ("Aywa", 1), ("na3am", 1), ("sharek ra2mi", 1), ("1 sharek ra2mi", 1), ("akid!", 1),
    ("bkhair", 2), ("ana b5er", 2), ("2 2ellon enni bkhair bas", 2), ("mni7", 2),
    ("la2", 3), ("La2a", 3), ("la", 3), ("ma t2ellon shi", 3), ("wala shi", 3), ("3 ma t2ellon shi", 3),
    # a digit inside an Arabizi word is a letter: "la2" is no, never option 2; "ra2mi" alone says nothing
    ("ra2mi", None), ("ba3den", None), ("1 la2", None), ("3 sharek ra2mi", None), ("7aki", None),
])
def test_consent_answers_in_arabizi(answer, expected):
    assert consent.parse_choice(answer) == expected


# -- a released person who writes Arabizi -------------------------------------------------------------


@pytest.fixture
def wired(factory: sessionmaker) -> Iterator[sessionmaker]:
    """The assistant's actions on the test database."""
    deps.configure(factory, Matcher())
    yield factory
    deps.reset()


def tracker(contact_id: int, text: str, *, language: str | None, stored: str = "az", intent: str = "inform",
            slots: dict[str, Any] | None = None, loop: str | None = "consent_form") -> Tracker:
    """The tracker of a message that came through the gateway (its metadata names the ``stored`` language)."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": [],
              "metadata": {"channel": "sms", "language": stored}}
    return Tracker(str(contact_id), {"language": language, **(slots or {})}, latest, [], False, None,
                   {"name": loop} if loop else {}, "action_listen")


def run(action, t: Tracker) -> tuple[list[dict[str, Any]], list[str]]:  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return events, [m.get("text") or m.get("response") for m in dispatcher.messages]


def writes(factory: sessionmaker, contact_id: int, text: str) -> str:
    """The assistant's slot-mapping action on one message: the reply language, stored on the contact."""
    t = tracker(contact_id, text, language=None, stored=contact_row(factory, contact_id).language, loop=None)
    mappings = ValidateSlotMappings()
    language = mappings.extract_language(CollectingDispatcher(), t, {})["language"]
    mappings.validate_language(language, CollectingDispatcher(), t, {})
    return str(language)


def bodies(factory: sessionmaker, contact_id: int) -> list[str]:
    return [m.body or "" for m in outbox(factory, contact_id)]


def test_an_arabizi_released_person_is_asked_in_arabizi_and_both_sides_hear_in_arabizi(factory, wired, worker, config):
    family = contact(factory, "+963944230001")
    detainee = contact(factory, "+963955230002")
    # Both write Arabizi to the assistant; its action remembers it on the contact, as for any reader.
    assert writes(factory, family, "badi dawwer 3ala a5uy, 2akhaduh mn 7alab") == "az"
    assert writes(factory, detainee, "ana tle3et mn sednaya w badi sajjel") == "az"
    assert contact_row(factory, family).language == contact_row(factory, detainee).language == "az"
    search(factory, family, config, searcher_name="Samer", relationship="brother")
    registered(factory, detainee, config)
    code_message = [m for m in outbox(factory, detainee) if m.kind == "verification"][-1]
    assert code_message.body.startswith("Ramz Shaml: ") and code_sent_to(factory, detainee)
    worker.step()
    question = bodies(factory, detainee)[-1]
    assert question == render("consent_request", "az", searcher="Samer", relationship="a5uk")
    assert question.startswith("Talab ba7s 3anak mn Samer (a5uk).") and not ARABIC.search(question)
    # A reply that is not a choice is asked again, in Arabizi.
    said = ValidateConsentForm().validate_consent_choice("ba3den", CollectingDispatcher(), tracker(detainee, "ba3den", language="az"), {})
    assert said == {"consent_choice": None}
    _, again = run(ActionAskConsentChoice(), tracker(detainee, "ba3den", language="az"))
    assert again == ["Ekteb 1 aw 2 aw 3 law sama7t."]
    # "sharek ra2mi" (the option's own words) is option 1, never the 2 inside ra2mi.
    said = ValidateConsentForm().validate_consent_choice("Sharek ra2mi", CollectingDispatcher(),
                                                         tracker(detainee, "Sharek ra2mi", language="az"), {})
    assert said == {"consent_choice": "1"}
    with factory() as session:
        match_id = session.execute(select(Match.id)).scalar_one()
    run(ActionRecordConsent(), tracker(detainee, "Sharek ra2mi", language="az",
                                       slots={"consent_choice": "1", "consent_match_id": str(match_id)}))
    with factory() as session:
        assert session.get(Match, match_id).status == "shared"
    worker.step()
    to_detainee, to_family = bodies(factory, detainee)[-1], bodies(factory, family)[-1]
    assert to_detainee == render("consent_done_share", "az", searcher="Samer", number="+963944230001")
    assert to_family == render("family_shared", "az", name=PERSON["full_name"], number="+963955230002")
    assert "Shaml ma byutlob masari abadan" in to_detainee and "Shaml ma byutlob masari abadan" in to_family
    # Only the name the family itself typed is in Arabic letters.
    assert not ARABIC.search(to_family.replace(PERSON["full_name"], ""))


def test_la2_from_an_arabizi_reader_tells_the_family_nothing(factory, wired, worker, config):
    family = contact(factory, "+963944240001", language="az")
    detainee = contact(factory, "+963955240002", language="az")
    search(factory, family, config, searcher_name="Rima", relationship="sister")
    registered(factory, detainee, config)
    worker.step()
    assert "(o5tak)" in bodies(factory, detainee)[-1]
    said = ValidateConsentForm().validate_consent_choice("La2", CollectingDispatcher(), tracker(detainee, "La2", language="az"), {})
    assert said == {"consent_choice": "3"}  # "no", not the 2 (tell them I'm safe) written inside it
    with factory() as session, session.begin():
        assert consent.record_choice(session, detainee, 3).status == "declined"
    worker.step()
    assert bodies(factory, detainee)[-1] == render("consent_done_nothing", "az")
    assert bodies(factory, family) == []


# -- an Arabizi family in a relayed conversation, through the gateway ------------------------------------

FAMILY, REGISTRANT = "+963944250001", "+963955250002"


def post(web, number: str, body: str) -> None:  # type: ignore[no-untyped-def]
    """One SMS as Twilio posts it to the webhook."""
    form = inbound_form(sid=f"SM{uuid.uuid4().hex}", from_=number, body=body)
    content, headers = signed_webhook(PUBLIC_URL, "/twilio/inbound", form)
    response = web.post("/twilio/inbound", content=content, headers=headers)
    assert response.status_code == 200, response.text


def sent_to(twilio, number: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.form.get("Body", "") for r in twilio.sent if r.form.get("To") == number]


def open_relay(factory, worker, config, numbers: tuple[str, str], family_language: str, **searched):  # type: ignore[no-untyped-def]
    """A family's search, an uncorroborated Arabizi registrant who chose the relay, the relay open."""
    family = contact(factory, numbers[0], language=family_language)
    registrant = contact(factory, numbers[1], language="az")
    search(factory, family, config, **searched)
    registered(factory, registrant, config, corroborated=False)
    worker.step()
    assert bodies(factory, registrant)[-1] == render("consent_request_anon", "az")
    with factory() as session, session.begin():
        assert consent.record_choice(session, registrant, 1).status == "relay"
    worker.step()
    return family, registrant


@pytest.fixture
def arabizi_relay(factory, worker, config):  # type: ignore[no-untyped-def]
    """An Arabizi family's search, an uncorroborated Arabizi registrant who chose the relay, the relay open."""
    return open_relay(factory, worker, config, (FAMILY, REGISTRANT), "az", searcher_name="Um Salim", relationship="mother")


def test_an_arabizi_family_gets_the_relay_in_arabizi_and_huwe_huwe_does_what_it_says(
        factory, worker, arabizi_relay, client, gateway, fake_twilio, fake_rasa):  # type: ignore[no-untyped-def] # noqa: F811
    family, registrant = arabizi_relay
    opened = bodies(factory, family)
    assert opened == [render("relay_open_family", "az", name=PERSON["full_name"]), render("relay_howto_family", "az")]
    assert "HUWE HUWE" in opened[1] and "SAKKER" in opened[1] and "ma tedfa3 la 7ada" in opened[1]
    assert bodies(factory, registrant)[-1] == render("relay_open_registrant", "az")
    # The family asks; the registrant reads it in the Arabizi frame, number masked, money warning on.
    post(client, FAMILY, "shu kan esm kalbna? ra2mi 0944 250 001")
    run_worker(gateway)
    relayed = sent_to(fake_twilio, REGISTRANT)[-1]
    assert relayed.startswith("Resale 3abr Shaml:\nshu kan esm kalbna?") and "•••" in relayed and "250 001" not in relayed
    assert relayed.endswith("(Shaml ma byutlob masari abadan)")
    # A money request in Arabizi is still held: never forwarded, the family warned in Arabizi, a person takes over.
    post(client, REGISTRANT, "eb3atli 500 dolar 3al haram w b2ellak wen huwe")
    run_worker(gateway)
    assert sent_to(fake_twilio, REGISTRANT)[-1] == render("relay_held_sender", "az")
    assert sent_to(fake_twilio, FAMILY)[-1] == render("relay_held_recipient", "az")
    assert not any("500" in b for b in sent_to(fake_twilio, FAMILY))
    with factory() as session:
        assert session.execute(select(Escalation.reason).where(Escalation.contact_id == registrant)).scalar_one() == "relay_money"
    # "Huwe huwe!" as the family types it: recognised, answered in Arabizi, and he is asked again by name.
    post(client, FAMILY, "Huwe huwe!")
    run_worker(gateway)
    assert sent_to(fake_twilio, FAMILY)[-1] == render("relay_recognised", "az")
    with factory() as session:
        assert session.execute(select(Registration.corroboration)).scalar_one() == "family"
        assert session.execute(select(RelayThread.status)).scalar_one() == "recognised"
        session.get(Contact, registrant).escalated = False  # (the operator hands his conversation back)
        session.commit()
    worker.step()
    assert bodies(factory, registrant)[-1] == render("consent_request", "az", searcher="Um Salim", relationship="emmak")
    assert fake_rasa.turns == []  # every one of these messages was the relay's, none reached the assistant


def test_sakker_closes_the_relay_for_both_in_arabizi(
        factory, worker, arabizi_relay, client, gateway, fake_twilio, fake_rasa):  # type: ignore[no-untyped-def] # noqa: F811
    family, registrant = arabizi_relay
    post(client, REGISTRANT, "SAKKER")
    run_worker(gateway)
    assert sent_to(fake_twilio, REGISTRANT)[-1] == sent_to(fake_twilio, FAMILY)[-1] == render("relay_closed", "az")
    with factory() as session:
        assert session.execute(select(RelayThread.status)).scalar_one() == "closed"
        assert session.execute(select(Match.status)).scalar_one() == "declined"
    assert fake_rasa.turns == []


@pytest.mark.parametrize(("typed", "reader", "answered"), [
    ("CLOSE", "az", "az"),  # the English word from an Arabizi reader, as with STOP
    ("sakker el m7adase", "ar", "az"),  # Arabizi typed by someone stored as an Arabic reader
    ("اغلاق", "az", "ar"),  # Arabic letters get Arabic letters
    ("close", "ar", "en"),
])
def test_a_command_is_answered_in_the_language_it_was_typed_in(factory, worker, config, typed, reader, answered):
    family, registrant = open_relay(factory, worker, config, ("+963944260001", "+963955260002"), reader)
    with factory() as session, session.begin():
        turn = relay.handle(session, family, typed)
    assert turn is not None
    assert turn.replies == [(render("relay_closed", answered), "notice")]
    assert turn.forward == [(registrant, render("relay_closed", "az"), "notice")]  # the other side in its own language


def test_a_latin_message_to_an_arabizi_reader_may_fill_two_gsm_segments_and_an_arabic_one_two_ucs2_segments(factory, worker, config):
    family, registrant = open_relay(factory, worker, config, ("+963944270001", "+963955270002"), "az")
    latin = "Esma3, ana emmak. Eza enta ebni 2elli shu kan esm el kalb yalli kan 3anna bel bet, w shu kanet tet 2ellak kel lele. " * 3
    with factory() as session, session.begin():
        [(to, body, _)] = relay.handle(session, family, latin).forward
    assert to == registrant and body.isascii() and 250 < len(body) <= 306
    assert body.startswith("Resale 3abr Shaml:\nEsma3, ana emmak.") and body.endswith("...\n(Shaml ma byutlob masari abadan)")
    arabic = "اسمع، أنا أمك. إذا كنت ابني قلي شو كان اسم الكلب يلي كان عنا بالبيت، وشو كانت ستك تقلك كل ليلة. " * 2
    with factory() as session, session.begin():
        [(_, body, _)] = relay.handle(session, family, arabic).forward
    assert len(body) == 134 and "…" in body and body.endswith("(Shaml ma byutlob masari abadan)")
    short = "shu esm tetak?"
    with factory() as session, session.begin():
        [(_, body, _)] = relay.handle(session, family, short).forward
    assert body == render("relayed", "az", text=short)


@pytest.mark.parametrize("said", ["nafs el ra2am", "Ra2mi"])
def test_this_number_in_arabizi_is_the_callback_and_the_code_comes_in_arabizi(factory, said):
    detainee = contact(factory, "+963955280001", language="az")
    with factory() as session, session.begin():
        reg = register(session, detainee, callback=said, **PERSON)  # type: ignore[arg-type]
        assert reg.registration.callback_address == "+963955280001"
        assert reg.reply == render("verification_sent", "az", number="+963955280001")
    code = [m for m in outbox(factory, detainee) if m.kind == "verification"][-1].body
    assert re.fullmatch(r"Ramz Shaml: \d{6}\nEb3at hal ramz .*", code, re.S)
