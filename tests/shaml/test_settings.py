"""Settings: defaults serve the demo, bad values fail with one line, secrets never print."""

from __future__ import annotations

import subprocess
import sys

import pytest

from shaml.settings import Settings, SettingsError

BAD_VALUES = [
    ("SHAML_DATABASE_URL", "mysql://u:pw@h/db", "SHAML_DATABASE_URL"),
    ("SHAML_DATABASE_URL", "postgresql://", "has no host"),
    ("SHAML_REDIS_URL", "http://127.0.0.1:6379", "redis"),
    ("SHAML_RASA_URL", "127.0.0.1:5005", "SHAML_RASA_URL"),
    ("SHAML_PUBLIC_URL", "ftp://example", "http"),
    ("SHAML_LOG_LEVEL", "LOUD", "SHAML_LOG_LEVEL"),
    ("SHAML_IMPORT_BATCH_SIZE", "many", "whole number"),
    ("SHAML_IMPORT_BATCH_SIZE", "0", "at least 1"),
    ("SHAML_DEMO", "maybe", "boolean"),
]


def test_defaults_serve_the_demo(tmp_path):
    settings = Settings.from_env({"SHAML_VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'shaml.sqlite3'}"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.twilio_api_url == ""  # the twilio library's own base URL
    assert settings.log_level == "INFO"
    assert settings.import_batch_size == 1000


def test_values_are_read_and_typed():
    settings = Settings.from_env(
        {
            "SHAML_DATABASE_URL": "postgresql://shaml@db:5432/shaml",
            "SHAML_LOG_LEVEL": "debug",
            "SHAML_IMPORT_BATCH_SIZE": " 250 ",
            "SHAML_DEMO": "yes",
            "SHAML_PUBLIC_URL": "https://shaml.example.org/",
        }
    )
    assert settings.log_level == "DEBUG"
    assert settings.import_batch_size == 250
    assert settings.demo is True
    assert settings.public_url == "https://shaml.example.org"


@pytest.mark.parametrize(("name", "value", "expected"), BAD_VALUES)
def test_bad_values_fail_with_one_clear_line(name, value, expected):
    with pytest.raises(SettingsError) as info:
        Settings.from_env({name: value})
    message = str(info.value)
    assert expected in message
    assert "\n" not in message
    assert "pw" not in message  # a password in a URL is masked


def test_secrets_never_print():
    settings = Settings.from_env(
        {
            "TWILIO_AUTH_TOKEN": "tok-very-secret",
            "SHAML_RASA_TOKEN": "rasa-very-secret",
            "SHAML_DATABASE_URL": "postgresql://shaml:db-very-secret@db/shaml",
        }
    )
    shown = repr(settings) + str(settings.describe())
    assert "very-secret" not in shown
    assert ("twilio_auth_token", "(set)") in settings.describe()


def test_cli_stops_with_one_line_on_a_bad_setting(tmp_path):
    env = {"SHAML_LOG_LEVEL": "LOUD", "SHAML_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "shaml", "settings"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "shaml: configuration error: SHAML_LOG_LEVEL='LOUD' must be one of: DEBUG, INFO, WARNING, ERROR, CRITICAL"
    ]
