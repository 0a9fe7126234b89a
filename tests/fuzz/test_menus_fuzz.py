"""Menu digits and whole-message keywords: exactly the documented inputs are recognised, nothing else.

Covers ``nlu.text.menu_choice`` (1-9 in Latin, Arabic-Indic or Persian digits), ``nlu.keywords.yes_no``
(1 = yes, 2 = no), ``bot.actions.parsing.parse_share_policy`` (1/2/3), the consent answer
``bot.reunion.consent.parse_choice`` (1/2/3) and the gateway's STOP/START/HELP ``match_keyword``.
"""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.actions.parsing import SHARE_POLICIES, parse_share_policy
from bot.gateway.keywords import KEYWORDS, Keyword, match_keyword, normalise
from bot.reunion.consent import parse_choice
from nlu.keywords import is_unknown, yes_no
from nlu.text import ascii_digits, menu_choice
from tests.fuzz.strategies import digit_scripts, digits_in, hostile_text, padding

#: What menu_choice strips around the digit (its docstring: "with punctuation").
_MENU_PUNCT = ".)-*#"

menu_wrapping = st.tuples(padding, st.text(alphabet=_MENU_PUNCT + "\u200f\u200e", max_size=2), padding)


#: Invisible direction and zero-width marks, which menu_choice also ignores.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u061c]")


def _menu_core(text: str) -> str:
    return _INVISIBLE.sub("", ascii_digits(text)).strip().strip(_MENU_PUNCT).strip()


@settings(max_examples=150)
@given(st.integers(1, 9), digit_scripts, menu_wrapping, menu_wrapping)
def test_every_menu_digit_in_every_script_is_read(digit, script, before, after):
    """A digit 1-9 in Latin, Arabic-Indic or Persian script, with spaces, ``.)-*#`` and direction
    marks, is that choice."""
    text = "".join(before) + digits_in(script, str(digit)) + "".join(after)
    assert menu_choice(text) == digit


@settings(max_examples=150)
@given(hostile_text)
@example("²")  # superscript two: str.isdigit() is True but int() refused it (was a ValueError)
@example("¹")
@example("０")  # fullwidth zero is a digit 0, not a menu choice
@example("①")
def test_menu_choice_is_a_single_digit_or_none(text):
    """Any text gives None or 1-9, and a choice is given only when the message is that one digit."""
    choice = menu_choice(text)
    core = _menu_core(text)
    if choice is None:
        assert not (len(core) == 1 and core in "123456789")
    else:
        assert 1 <= choice <= 9
        assert len(core) == 1 and int(core) == choice


@settings(max_examples=150)
@given(st.integers(10, 10**6), digit_scripts, padding)
def test_numbers_of_several_digits_and_zero_are_not_menu_choices(number, script, pad):
    """"10", "٢٣", a year or a phone number is never read as a menu digit; neither is 0."""
    assert menu_choice(pad + digits_in(script, str(number)) + pad) is None
    assert menu_choice(digits_in(script, "0")) is None


@settings(max_examples=100)
@given(st.integers(1, 9), digit_scripts, padding)
def test_yes_no_reads_1_as_yes_2_as_no_and_other_digits_as_neither(digit, script, pad):
    """1 in any script is yes, 2 is no, 3-9 are neither."""
    expected = {1: True, 2: False}.get(digit)
    assert yes_no(pad + digits_in(script, str(digit)) + pad) is expected


_MARKS = st.text(alphabet="\u200f\u200e\u202b\u202c\u2066\u2069\u200b\ufeff\u061c", max_size=3)


@settings(max_examples=150)
@given(st.sampled_from(["نعم", "ايوه", "أكيد", "yes", "ok", "لا", "لأ", "no", "غلط", "ما بعرف", "1", "٢"]), _MARKS, _MARKS)
@example("نعم", "\u200f", "")  # a direction mark before the word: was no answer at all
@example("1", "", "\u061c")
def test_direction_marks_around_an_answer_change_nothing(word, before, after):
    """Invisible direction and zero-width marks a phone adds around a word do not change the answer."""
    assert yes_no(before + word + after) is yes_no(word)
    assert yes_no(word) is not None or word == "ما بعرف"
    assert is_unknown(before + word + after) is is_unknown(word)


@settings(max_examples=200)
@given(hostile_text)
@example("²")
def test_yes_no_never_raises(text):
    """Any message gives True, False or None."""
    assert yes_no(text) in (True, False, None)


@settings(max_examples=100)
@given(st.integers(1, 9), digit_scripts, menu_wrapping)
def test_share_policy_digits_map_to_the_menu_order(digit, script, wrap):
    """1, 2, 3 in any script are share_number, safe_only, nobody; 4-9 are no answer."""
    text = wrap[0] + digits_in(script, str(digit)) + wrap[1] + wrap[2]
    expected = SHARE_POLICIES[digit - 1] if digit <= 3 else None
    assert parse_share_policy(text) == expected


@settings(max_examples=200)
@given(hostile_text)
@example("²")
def test_share_policy_never_raises(text):
    """Any message gives one of the three policies or None."""
    assert parse_share_policy(text) in (*SHARE_POLICIES, None)


@settings(max_examples=100)
@given(st.integers(1, 3), digit_scripts, st.text(alphabet=" .!?؟،,", max_size=3))
def test_consent_choice_reads_1_2_3_in_every_script(digit, script, punct):
    """The released person's 1, 2 or 3 is read in any digit script, with spaces and punctuation."""
    assert parse_choice(punct + digits_in(script, str(digit)) + punct) == digit


@settings(max_examples=200)
@given(hostile_text)
@example("1:۲๐")  # found in CI: the Thai zero hid the 2, and "1:20" was read as 1
def test_consent_choice_is_1_2_3_or_none(text):
    """Any answer gives 1, 2, 3 or None; a digit answer names exactly one of 1, 2, 3."""
    choice = parse_choice(text)
    assert choice in (1, 2, 3, None)
    digits = set(re.findall(r"(?<![0-9])[123](?![0-9])", ascii_digits(text)))
    if choice is not None and digits:
        assert digits == {str(choice)}


@settings(max_examples=100)
@given(st.integers(4, 9) | st.integers(10, 9999), digit_scripts)
def test_consent_choice_refuses_other_numbers(number, script):
    """4-9, 0 and numbers of several digits are not consent answers."""
    assert parse_choice(digits_in(script, str(number))) is None


_DECORATION = st.tuples(
    st.text(alphabet=" .!?؟،,-_*\"'()\u200f\u200e\ufeff", max_size=3),
    st.text(alphabet=" .!?؟،,-_*\"'()\u200f\u200e", max_size=3),
)


@settings(max_examples=150)
@given(st.sampled_from(sorted(KEYWORDS)), _DECORATION, st.booleans())
def test_every_keyword_is_recognised_with_case_marks_and_punctuation(word, decoration, upper):
    """STOP/START/HELP words in both languages match whatever their case, marks and punctuation."""
    text = decoration[0] + (word.upper() if upper else word) + decoration[1]
    assert match_keyword(text) == Keyword(*KEYWORDS[word])


@settings(max_examples=150)
@given(st.sampled_from(sorted(KEYWORDS)), st.sampled_from(["please", "now", "الآن", "رجاء", "1"]))
def test_a_keyword_inside_a_sentence_is_not_a_keyword(word, other):
    """"stop please" is not STOP: only a whole message is a keyword."""
    assert match_keyword(f"{word} {other}") is None
    assert match_keyword(f"{other} {word}") is None


@settings(max_examples=150)
@given(hostile_text)
def test_keyword_matching_never_raises_and_only_matches_the_list(text):
    """Any message gives None or a listed keyword, and its normalised form says the same."""
    found = match_keyword(text)
    assert found is None or found == Keyword(*KEYWORDS[normalise(text)])
    assert normalise(normalise(text)) == normalise(text)
    assert match_keyword(normalise(text)) == found
