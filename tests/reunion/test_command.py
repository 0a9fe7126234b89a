"""``shaml reunion-worker --once`` runs one step wired from the settings."""

from __future__ import annotations

from click.testing import CliRunner

from shaml.cli import cli
from shaml.commands.reunion import reunion_config
from shaml.settings import Settings
from tests.reunion.conftest import add_row, add_source, contact, outbox, search


def test_settings_reach_the_workflow():
    cfg = reunion_config(Settings.from_env({"SHAML_SEARCH_LIMIT_PER_DAY": "7", "SHAML_CONSENT_REMINDER_SECONDS": "60",
                                            "SHAML_REDIS_PREFIX": "x:", "SHAML_LIST_NEWS_DELAY_SECONDS": "30"}))
    assert (cfg.search_limit_per_day, cfg.consent_reminder_seconds, cfg.redis_prefix) == (7, 60, "x:")
    assert cfg.list_news_delay_seconds == 30


def test_reunion_worker_once_matches_a_new_search(shaml_env, factory, db_url, redis_prefix, config):
    shaml_env.setenv("SHAML_DATABASE_URL", db_url)
    shaml_env.setenv("SHAML_REDIS_PREFIX", redis_prefix)
    shaml_env.setenv("SHAML_LIST_NEWS_DELAY_SECONDS", "0")  # the delay itself: tests/reunion/test_trust.py
    add_source(factory, "barzeh-list", public=True)
    add_row(factory, "barzeh-list", "B-1")
    family = contact(factory, "+963944000701")
    search(factory, family, config)
    result = CliRunner().invoke(cli, ["reunion-worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "searches matched 1, matches created 1, asked 0, notified 1" in result.output
    # A restarted worker replays the last seconds of changes (the overlap), and that changes nothing.
    again = CliRunner().invoke(cli, ["reunion-worker", "--once"])
    assert "matches created 0, asked 0, notified 0" in again.output
    assert len(outbox(factory, family)) == 1
