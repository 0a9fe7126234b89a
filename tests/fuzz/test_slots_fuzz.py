"""The form's other answers and the NLU's keyword rules: governorates, relationships, detention
(place and date), stored slot values, distress / don't-know / skip, the reply language, and the
matcher's typed ids (``search:12``).

Each parser returns only its documented kinds of value on any text, and every listed spelling of a
governorate or relationship is found whatever the punctuation, case or words around it.
"""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.actions.parsing import (
    MAX_TEXT,
    UNKNOWN,
    as_int,
    as_text,
    clean_text,
    parse_detention,
    parse_governorate,
    parse_relationship,
    split_detention,
)
from bot.reunion.records import REGISTRATION, SEARCH, parse_typed_id, typed_id
from nlu.keywords import DISTRESS, has_distress, is_skip, is_unknown
from nlu.lexicon import GOVERNORATES, RELATIONSHIPS, find_governorate, find_relationship
from nlu.text import detect_language
from tests.fuzz.strategies import digit_scripts, digits_in, hostile_text

GOVERNORATE_SPELLINGS = sorted((spelling, name) for name, spellings in GOVERNORATES.items() for spelling in (name, *spellings))
RELATIONSHIP_SPELLINGS = sorted((spelling, key) for key, (_ar, _en, spellings) in RELATIONSHIPS.items() for spelling in spellings)

_AROUND = st.tuples(
    st.sampled_from(["", " ", "انا من ", "من ", "I am from ", "from ", "(", "\u200f"]),
    st.sampled_from(["", " ", "!", "?", "؟", ".", "،", ",", "...", ")", "!!", " please"]),
)


@settings(max_examples=150)
@given(st.sampled_from(GOVERNORATE_SPELLINGS), _AROUND, st.sampled_from([str, str.upper, str.lower, str.title]))
@example(("Damascus Countryside", "ريف دمشق"), ("from ", "!"), str)  # was read as دمشق
@example(("حمص", "حمص"), ("", "؟"), str)  # was no answer
@example(("7alab", "حلب"), ("\u200f", ""), str)  # a direction mark before it: was no answer
def test_every_governorate_spelling_is_found_with_words_and_punctuation(spelling_name, around, case):
    """Each listed spelling, in any case, with words before it and punctuation after, is its governorate."""
    spelling, name = spelling_name
    text = around[0] + case(spelling) + around[1]
    assert find_governorate(text) == name
    assert parse_governorate(text) == name


@settings(max_examples=150)
@given(st.sampled_from(RELATIONSHIP_SPELLINGS), st.sampled_from(["", "!", "؟", ".", "،", " :)"]))
def test_every_relationship_spelling_is_found_with_punctuation(spelling_key, after):
    """Each listed relationship spelling, with punctuation after it, is its relationship key; the form's
    reading (the searcher's role since issue 17: "عمي" makes the searcher a nephew or niece) is the
    same with the punctuation as without, and never empty."""
    spelling, key = spelling_key
    assert find_relationship(spelling + after) == key
    read = parse_relationship(spelling + after)
    # A spelling that names no role ("ana") is kept as written, for an operator: its punctuation too.
    assert read is not None and read.rstrip("!؟.،:) ") == parse_relationship(spelling)


@settings(max_examples=200)
@given(hostile_text)
@example("²")
def test_governorate_and_relationship_answers_are_known_values(text):
    """A governorate answer is a governorate, UNKNOWN or None; a relationship a key, the words as
    typed (at most 100 characters) or None."""
    assert parse_governorate(text) in (*GOVERNORATES, UNKNOWN, None)
    relation = parse_relationship(text)
    assert relation is None or relation in RELATIONSHIPS or (relation == clean_text(text)[:100] and len(relation) <= 100)


@settings(max_examples=200)
@given(hostile_text | st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩/.- سجن صيدنايا", max_size=30))
@example("99/99/2012")
@example("٣/٤/٢٠١٣ صيدنايا")
def test_detention_answer_and_its_split(text):
    """A detention answer is None, UNKNOWN or the cleaned text; splitting it never raises and gives a
    place of at most 200 characters and a date written YYYY or YYYY-MM-DD (at most 50 characters)."""
    answer = parse_detention(text)
    assert answer in (None, UNKNOWN) or answer == clean_text(text)
    place, date = split_detention(answer)
    if answer in (None, UNKNOWN):
        assert (place, date) == (None, None)
        return
    assert place is None or (place and len(place) <= MAX_TEXT)
    assert date is None or re.fullmatch(r"(19|20)\d\d(-\d\d-\d\d)?", date)


@settings(max_examples=150)
@given(st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)), digit_scripts, st.sampled_from("/.-"), st.sampled_from(["صيدنايا", "فرع فلسطين", "Sednaya"]))
def test_a_detention_date_in_any_digits_is_split_from_the_place(date, script, sep, place):
    """"<place> d/m/yyyy" in any digit script splits into the place and yyyy-mm-dd."""
    written = digits_in(script, f"{date.day}{sep}{date.month}{sep}{date.year}")
    assert split_detention(f"{place} {written}") == (place, date.isoformat())


@settings(max_examples=150)
@given(st.one_of(hostile_text, st.none(), st.integers(), st.floats(allow_nan=True)))
@example("inf")  # float("inf") cannot become an int: was an OverflowError
@example("1e400")
@example("-")
def test_stored_slot_values_convert_or_give_none(value):
    """as_int gives an int or None for any slot value; as_text gives None or clean text."""
    number = as_int(value)
    assert number is None or isinstance(number, int)
    text = as_text(value)
    assert text is None or (text == clean_text(str(value)) and len(text) <= MAX_TEXT)


@settings(max_examples=150)
@given(st.sampled_from(DISTRESS), st.sampled_from(["", "انا ", "I ", "والله "]), st.sampled_from(["", "!", " ...", "؟"]))
def test_every_distress_phrase_is_caught_inside_a_message(phrase, before, after):
    """Each listed distress phrase is caught with words before it and punctuation after it."""
    assert has_distress(before + phrase + after)


@settings(max_examples=150)
@given(hostile_text)
def test_keyword_rules_and_language_never_raise(text):
    """Distress, don't-know and skip are booleans; the reply language is ar, en or None."""
    assert has_distress(text) in (True, False)
    assert is_unknown(text) in (True, False)
    assert is_skip(text) in (True, False)
    assert detect_language(text) in ("ar", "en", None)


@settings(max_examples=150)
@given(st.sampled_from([SEARCH, REGISTRATION]), st.integers(0, 10**12))
def test_typed_ids_round_trip(kind, row_id):
    """``typed_id`` then ``parse_typed_id`` gives back the kind and the row id."""
    assert parse_typed_id(typed_id(kind, row_id)) == (kind, row_id)


@settings(max_examples=150)
@given(st.one_of(hostile_text, st.sampled_from([SEARCH, REGISTRATION, "barzeh"]).flatmap(lambda k: hostile_text.map(lambda t: f"{k}:{t}"))))
@example("search:²")  # a digit int() refuses: was a ValueError
@example("registration:١٢")
@example("search:0012")
def test_anything_else_is_not_a_typed_id(value):
    """Any other text (a registry row's ``source:record``) gives None or a (kind, non-negative id)."""
    parsed = parse_typed_id(value)
    if parsed is not None:
        kind, _, rest = value.partition(":")
        assert parsed == (kind, int(rest)) and kind in (SEARCH, REGISTRATION) and rest.isascii()
