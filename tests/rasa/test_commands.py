"""shaml train/rasa/actions wiring: the Rasa endpoints written from the settings, and refusals."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from bot.internal_auth import ACTIONS_HEADER, actions_token
from shaml.cli import cli
from shaml.commands.assistant import endpoints_yaml
from shaml.settings import Settings


def _settings(tmp_path, **env):
    return Settings.from_env({"SHAML_VAR_DIR": str(tmp_path), **env})


def test_endpoints_for_postgres_and_redis(tmp_path):
    settings = _settings(
        tmp_path,
        SHAML_DATABASE_URL="postgresql://shaml:s3cret@db.internal:6543/shaml",
        SHAML_REDIS_URL="redis://shaml:pw@cache.internal:6380/2",
        SHAML_ACTIONS_URL="http://actions:5055/webhook",
        SHAML_RASA_TOKEN="rasa-token-for-the-endpoints-test",
    )
    data = yaml.safe_load(endpoints_yaml(settings))
    # Rasa sends the action server its token in a header (never the Rasa token itself).
    token = actions_token("rasa-token-for-the-endpoints-test")
    assert data["action_endpoint"] == {"url": "http://actions:5055/webhook", "headers": {ACTIONS_HEADER: token}}
    assert token and "rasa-token-for-the-endpoints-test" not in token
    assert data["tracker_store"] == {"type": "bot.crypto.tracker_store.EncryptedSQLTrackerStore", "dialect": "postgresql", "url": "db.internal", "port": 6543,
                                     "db": "shaml", "username": "shaml", "password": "s3cret"}
    assert data["lock_store"] == {"type": "redis", "url": "cache.internal", "port": 6380, "db": 2,
                                  "key_prefix": "shamlrasa", "username": "shaml", "password": "pw"}


def test_sqlite_demo_keeps_rasa_trackers_in_their_own_file(tmp_path):
    data = yaml.safe_load(endpoints_yaml(_settings(tmp_path)))
    assert data["tracker_store"] == {"type": "bot.crypto.tracker_store.EncryptedSQLTrackerStore", "dialect": "sqlite", "db": str(tmp_path / "rasa-trackers.sqlite3")}
    assert data["action_endpoint"]["url"] == "http://127.0.0.1:5055/webhook"


def test_rasa_refuses_to_start_with_an_open_api(shaml_env):
    result = CliRunner().invoke(cli, ["rasa"])
    assert result.exit_code != 0
    assert "SHAML_RASA_TOKEN is empty" in result.output
