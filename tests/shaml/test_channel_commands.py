"""``shaml telegram set-webhook|info`` and ``shaml smsgate register-webhooks`` against the fakes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from shaml.cli import cli
from shaml.settings import reset_settings
from tests.fakes.smsgate import PASSWORD, SIGNING_KEY, USERNAME, FakeSmsGate
from tests.fakes.telegram import BOT_TOKEN, WEBHOOK_SECRET, FakeTelegram


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeTelegram, FakeSmsGate]]:
    with FakeTelegram() as telegram, FakeSmsGate() as gate:
        for name, value in {
            "SHAML_PUBLIC_URL": "https://shaml.invalid", "SHAML_TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "SHAML_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET, "SHAML_TELEGRAM_API_URL": telegram.url,
            "SHAML_SMSGATE_API_URL": gate.url, "SHAML_SMSGATE_USERNAME": USERNAME, "SHAML_SMSGATE_PASSWORD": PASSWORD,
            "SHAML_SMSGATE_SIGNING_KEY": SIGNING_KEY,
        }.items():
            monkeypatch.setenv(name, value)
        reset_settings()
        yield telegram, gate  # type: ignore[misc]
    reset_settings()


def test_telegram_set_webhook_and_info_never_print_the_token(fakes) -> None:  # type: ignore[no-untyped-def]
    telegram, _ = fakes
    runner = CliRunner()
    done = runner.invoke(cli, ["telegram", "set-webhook"])
    assert done.exit_code == 0, done.output
    assert telegram.webhook is not None and telegram.webhook["url"] == "https://shaml.invalid/telegram/webhook"
    assert telegram.webhook["secret_token"] == WEBHOOK_SECRET
    info = runner.invoke(cli, ["telegram", "info"])
    assert info.exit_code == 0 and "pending_update_count: 3" in info.output and "last_error_message: Connection refused" in info.output
    for output in (done.output, info.output):
        assert BOT_TOKEN not in output and BOT_TOKEN.split(":")[1] not in output and WEBHOOK_SECRET not in output


def test_telegram_refusal_is_a_clear_error_without_the_token(fakes) -> None:  # type: ignore[no-untyped-def]
    telegram, _ = fakes
    telegram.token = "999:other"  # the fake no longer knows our token: 401
    result = CliRunner().invoke(cli, ["telegram", "info"])
    assert result.exit_code != 0 and "SHAML_TELEGRAM_BOT_TOKEN" in result.output and BOT_TOKEN not in result.output


def test_smsgate_register_webhooks(fakes) -> None:  # type: ignore[no-untyped-def]
    _, gate = fakes
    result = CliRunner().invoke(cli, ["smsgate", "register-webhooks"])
    assert result.exit_code == 0, result.output
    assert [r.payload["event"] for r in gate.requests] == ["sms:received", "sms:sent", "sms:delivered", "sms:failed", "system:ping"]
    assert all(r.payload["url"] == "https://shaml.invalid/smsgate/webhook" for r in gate.requests)
    assert PASSWORD not in result.output
