"""The route table and the menu buttons: pure functions, tables of cases."""

from __future__ import annotations

import pytest

from bot.actions.parsing import parse_share_policy, parse_yes_no
from bot.channels.keyboards import asks_for_callback, menu_buttons
from bot.gateway.routes import RouteError, RouteTable
from bot.reunion.consent import parse_choice
from bot.reunion.texts import render
from shaml.settings import Settings, SettingsError

TABLE = RouteTable.parse("+963=smsgate,+90=twilio,*=twilio")


@pytest.mark.parametrize(
    ("number", "routes"),
    [("+963944123456", ["smsgate", "twilio"]), ("+905321234567", ["twilio"]), ("+4915112345678", ["twilio"])],
)
def test_candidates_follow_the_table_in_order(number: str, routes: list[str]) -> None:
    assert TABLE.candidates(number) == routes


def test_after_a_refusal_the_next_route_or_none() -> None:
    assert TABLE.after("+963944123456", "smsgate") == "twilio"
    assert TABLE.after("+963944123456", "twilio") is None
    assert RouteTable.parse("+963=smsgate").candidates("+905321234567") == []


@pytest.mark.parametrize(
    ("value", "words"),
    [("963=smsgate", "PREFIX=PROVIDER"), ("+963", "PREFIX=PROVIDER"), ("+963=carrier-pigeon", "carrier-pigeon"),
     ("+9x=twilio", "PREFIX=PROVIDER"), (" , ", "empty")],
)
def test_a_bad_route_table_is_one_clear_line_at_start(value: str, words: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"SHAML_SMS_ROUTES": value})
    message = str(refused.value)
    assert message.startswith("SHAML_SMS_ROUTES") and words in message and "\n" not in message
    with pytest.raises(RouteError):
        RouteTable.parse(value)


@pytest.mark.parametrize(
    ("body", "language", "buttons"),
    [
        ("تأكد من المعلومات:\nالاسم: محمد\nهل هي صحيحة؟ 1 نعم / 2 لا", "ar", ["نعم", "لا"]),
        ("Is this right? 1 yes / 2 no", "en", ["yes", "no"]),
        (render("consent_request", "ar", searcher="سامر", relationship="أخوه"), "ar", ["١", "٢", "٣"]),
        (render("consent_request", "en", searcher="Samer", relationship="brother"), "en", ["1", "2", "3"]),
        ("ولدت سنة 1985 في حلب", "ar", []),
        ("Your code: 123456", "en", []),
    ],
)
def test_menus_become_buttons(body: str, language: str, buttons: list[str]) -> None:
    assert menu_buttons(body, language) == buttons


@pytest.mark.parametrize("button", ["نعم", "لا", "yes", "no"])
def test_yes_no_buttons_read_as_the_typed_answer(button: str) -> None:
    assert parse_yes_no(button) is (button in ("نعم", "yes"))


@pytest.mark.parametrize(("button", "choice"), [("١", 1), ("٢", 2), ("٣", 3), ("1", 1), ("3", 3)])
def test_digit_buttons_read_as_the_typed_digit(button: str, choice: int) -> None:
    assert parse_choice(button) == choice
    assert parse_share_policy(button) == {1: "share_number", 2: "safe_only", 3: "nobody"}[choice]


def test_the_callback_question_is_recognised_in_both_languages() -> None:
    import yaml

    from tests.conftest import ROOT

    domain = yaml.safe_load((ROOT / "bot" / "assistant" / "domain.yml").read_text(encoding="utf-8"))
    texts = [r["text"] for r in domain["responses"]["utter_ask_callback_number"]]
    assert len(texts) == 3 and all(asks_for_callback(t) for t in texts)  # Arabic, English, Arabizi
