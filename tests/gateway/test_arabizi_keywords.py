"""STOP, START and HELP for a contact who writes Arabizi: answered in Arabizi, with the way back named."""

from __future__ import annotations

import pytest

from bot.gateway.keywords import Keyword, match_keyword, reply_language
from bot.gateway.texts import text


@pytest.mark.parametrize(("word", "action"), [("wa2ef", "stop"), ("W2af!", "stop"), ("ebda2", "start"), ("mosa3ade", "help")])
def test_arabizi_keywords_are_keywords_answered_in_arabizi(word, action):
    assert match_keyword(word) == Keyword(action, "az")


def test_a_latin_stop_from_an_arabizi_writer_is_answered_in_arabizi():
    stop = match_keyword("STOP")
    assert stop is not None
    assert reply_language(stop, "az") == "az" and reply_language(stop, "ar") == "en" and reply_language(stop, None) == "en"
    arabic = match_keyword("توقف")
    assert arabic is not None and reply_language(arabic, "az") == "ar"  # Arabic letters get Arabic letters
    stopped = text("stopped", "az")
    assert "START" in stopped and "ebda2" in stopped and all(ord(c) < 128 for c in stopped)
    assert match_keyword("ebda2") == Keyword("start", "az")  # the way back it names works
