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
    [("+963944123456", ["smsgate"]), ("+905321234567", ["twilio"]), ("+4915112345678", ["twilio"])],
)
def test_candidates_follow_the_table_in_order(number: str, routes: list[str]) -> None:
    assert TABLE.candidates(number) == routes


def test_after_a_refusal_the_next_route_or_none() -> None:
    assert TABLE.after("+963944123456", "smsgate") is None  # `*` is for numbers no prefix matches
    both = RouteTable.parse("+963=smsgate,+963=twilio,*=twilio")
    assert both.after("+963944123456", "smsgate") == "twilio"
    assert both.after("+963944123456", "twilio") is None
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
        (render("consent_request", "az", searcher="Samer", relationship="a5uk"), "az", ["1", "2", "3"]),
        (render("consent_request_anon", "az"), "az", ["1", "2", "3"]),
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


# -- the default route: Syria through the gateway phone, and a refusal to start without one ----------

STRONG = "k" + "7Hq2-xZ9pL4mN8vB3cR6tY1wE5"
GATEWAY = {"SHAML_SMSGATE_API_URL": "http://10.0.0.7:8080", "SHAML_SMSGATE_USERNAME": "sms",
           "SHAML_SMSGATE_PASSWORD": STRONG[1:], "SHAML_SMSGATE_SIGNING_KEY": STRONG[2:]}


def _deployment(**env: str) -> Settings:
    """A production configuration (no demo), strong secrets, plus ``env``."""
    return Settings.from_env({"SHAML_RASA_TOKEN": STRONG, "TWILIO_AUTH_TOKEN": STRONG, **env})


def test_by_default_syria_goes_to_the_gateway_phone_and_the_rest_to_twilio() -> None:
    routes = RouteTable.parse(Settings.from_env({}).sms_routes)
    assert str(routes) == "+963=smsgate,*=twilio"
    assert routes.candidates("+963944123456") == ["smsgate"]  # never Twilio, which cannot deliver there
    assert routes.candidates("+905321234567") == ["twilio"]


@pytest.mark.parametrize(("env", "refused"), [
    ({}, True),  # the default routes +963 to a gateway phone that is not configured
    ({"SHAML_SMS_ROUTES": "+963=smsgate"}, True),
    ({"SHAML_SMS_ROUTES": "*=twilio"}, False),  # families abroad only: said explicitly
    (GATEWAY, False),
    ({**GATEWAY, "SHAML_SMS_ROUTES": "*=smsgate"}, False),
])
def test_a_gateway_route_without_a_gateway_refuses_to_start(env: dict[str, str], refused: bool) -> None:
    from shaml.safety import startup_problems

    problems = startup_problems(_deployment(**env))
    if not refused:
        assert problems == []
        return
    assert len(problems) == 1
    line = problems[0]
    assert "\n" not in line and line.startswith("SHAML_SMS_ROUTES")
    assert "SHAML_SMSGATE_API_URL is empty" in line and "SHAML_SMS_ROUTES=*=twilio" in line


def test_a_route_to_the_simulator_refuses_to_start_outside_demo_mode() -> None:
    from shaml.safety import startup_problems

    assert [p.split(",")[0] for p in startup_problems(_deployment(SHAML_SMS_ROUTES="+963=sim,*=twilio"))] == [
        "SHAML_SMS_ROUTES names sim"]
    demo = Settings.from_env({"SHAML_DEMO": "true", "SHAML_SMS_ROUTES": "+963=sim,*=twilio"})
    assert startup_problems(demo) == []  # the demo's own phones


def test_serve_stops_with_the_one_line(shaml_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import uvicorn
    from click.testing import CliRunner

    from shaml.cli import cli
    from shaml.settings import reset_settings

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: (_ for _ in ()).throw(AssertionError("started")))
    for key, value in {"SHAML_RASA_TOKEN": STRONG, "TWILIO_AUTH_TOKEN": STRONG}.items():
        shaml_env.setenv(key, value)
    reset_settings()
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1 and "SHAML_SMSGATE_API_URL is empty" in result.output
    shaml_env.setenv("SHAML_SMS_ROUTES", "*=twilio")
    reset_settings()
    result = CliRunner().invoke(cli, ["serve"])
    assert "started" in repr(result.exception)  # the check passed; uvicorn would have run
