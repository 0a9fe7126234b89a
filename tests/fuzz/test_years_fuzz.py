"""Years in every digit script: the registry's ``parse_year``/``parse_date``, the form's birth year
(year or age), ``nlu.text.extract_year`` and the batch queries' ``birth_year``.

Each accepts exactly the years of its documented range, written in Latin, Arabic-Indic or Persian
digits, refuses the rest, and raises nothing but its documented error.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.actions.parsing import UNKNOWN, parse_birth_year
from matching.batch import QueryError, query_from_json, read_queries
from matching.records import MAX_FIELD_CHARS, MIN_BIRTH_YEAR, RowError, parse_date, parse_year
from nlu.text import extract_age, extract_year
from tests.fuzz.strategies import digit_scripts, digits_in, hostile_text, padding

TODAY = dt.date(2025, 6, 1)


# -- matching.records.parse_year: MIN_BIRTH_YEAR..this year, four digits, any script ----------------


@settings(max_examples=150)
@given(st.integers(MIN_BIRTH_YEAR, TODAY.year), digit_scripts, padding, padding)
def test_registry_year_in_range_is_read_in_every_script(year, script, before, after):
    """Every year from 1900 to this year, in any digit script and padded with spaces, is that year."""
    assert parse_year(before + digits_in(script, str(year)) + after, today=TODAY) == year


@settings(max_examples=150)
@given(st.integers(0, 9999).filter(lambda y: not MIN_BIRTH_YEAR <= y <= TODAY.year), digit_scripts)
def test_registry_year_out_of_range_is_refused(year, script):
    """Four-digit years before 1900 or after this year raise RowError saying so."""
    text = digits_in(script, f"{year:04d}")
    with pytest.raises(RowError) as info:
        parse_year(text, today=TODAY)
    assert "birth_year" in info.value.reason


@settings(max_examples=200)
@given(hostile_text)
@example("19 85")
@example("١٩٨٥a")
@example("1985\n")
def test_registry_year_is_a_year_none_or_row_error(text):
    """Any cell gives None (empty), a year in range, or RowError; it never raises anything else."""
    try:
        year = parse_year(text, today=TODAY)
    except RowError as exc:
        assert exc.reason
        return
    if year is None:
        assert not text.strip()
    else:
        assert MIN_BIRTH_YEAR <= year <= TODAY.year


@settings(max_examples=150)
@given(st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31)), st.sampled_from("-/."), digit_scripts, st.booleans())
def test_registry_dates_are_read_in_every_script_and_separator(date, sep, script, pad):
    """A real date written YYYY-MM-DD (or / or .), months and days with or without a zero, is that date."""
    month = f"{date.month:02d}" if pad else str(date.month)
    day = f"{date.day:02d}" if pad else str(date.day)
    text = digits_in(script, f"{date.year:04d}{sep}{month}{sep}{day}")
    assert parse_date(text) == date


@settings(max_examples=200)
@given(hostile_text | st.from_regex(r"\A[0-9٠-٩]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}\Z"))
@example("2024-02-30")
@example("2024-00-10")
def test_registry_date_is_a_date_none_or_row_error(text):
    """Any cell gives None (empty), a date, or RowError (not a date, or not a real one)."""
    try:
        value = parse_date(text)
    except RowError:
        return
    assert value is None or isinstance(value, dt.date)


# -- nlu.text.extract_year: the first 1900-2099 year inside a message --------------------------------


_NOT_DIGIT = st.text(alphabet=st.characters(blacklist_categories=("Nd", "Cs")), max_size=15)


@settings(max_examples=150)
@given(st.integers(1900, 2099), digit_scripts, _NOT_DIGIT, _NOT_DIGIT)
def test_extract_year_finds_a_year_among_words(year, script, before, after):
    """A 1900-2099 year in any digit script, between any words without digits, is found."""
    assert extract_year(before + digits_in(script, str(year)) + after) == year


@settings(max_examples=150)
@given(hostile_text)
def test_extract_year_is_in_range_or_none(text):
    """Any message gives None or a year 1900-2099; extract_age gives None or 0-999."""
    year = extract_year(text)
    assert year is None or 1900 <= year <= 2099
    age = extract_age(text)
    assert age is None or 0 <= age <= 999


# -- bot.actions.parsing.parse_birth_year: the form's answer (a year or an age) ------------------------

_YEAR_WORDS = st.sampled_from(["", "مواليد ", "مواليد سنة ", "born ", "تولد ", "سنة "])


@settings(max_examples=150)
@given(st.integers(1900, TODAY.year - 10), digit_scripts, _YEAR_WORDS, padding)
def test_form_year_in_range_is_accepted_in_every_script(year, script, words, pad):
    """Every year from 1900 to ten years ago, in any digits and with words around it, is that year."""
    assert parse_birth_year(pad + words + digits_in(script, str(year)) + pad, today=TODAY) == year


@settings(max_examples=150)
@given(st.integers(TODAY.year - 9, 2099) | st.integers(1000, 1899) | st.integers(2100, 9999), digit_scripts)
def test_form_year_out_of_range_is_refused(year, script):
    """Years of the last ten years, the future, or before 1900 are no answer (a kind re-ask)."""
    assert parse_birth_year(digits_in(script, str(year)), today=TODAY) is None


@settings(max_examples=150)
@given(st.integers(0, 999), digit_scripts, st.sampled_from(["{}", "عمره {}", "{} سنة", "age {}", "{} years"]))
def test_form_age_becomes_a_birth_year_within_10_to_110(age, script, template):
    """An age of 10-110 with عمره/سنة/age/years gives this year minus the age; others nothing. A bare
    number is read as people write it (issue 17): 10-39 an age, 40-99 a year of the 1900s ("مواليد ٨٢"
    is written "82"; 40-59 is confirmed by the form), anything else no answer (a kind re-ask)."""
    answer = parse_birth_year(template.format(digits_in(script, str(age))), today=TODAY)
    if template != "{}":
        assert answer == (TODAY.year - age if 10 <= age <= 110 else None)
    elif 10 <= age <= 39:
        assert answer == TODAY.year - age
    elif 40 <= age <= 99:
        assert answer == 1900 + age
    else:
        assert answer is None


@settings(max_examples=150)
@given(hostile_text)
@example("²")
@example("عمره ²")
def test_form_birth_year_never_raises(text):
    """Any answer gives None, UNKNOWN, or a year between 1900 and ten years ago."""
    answer = parse_birth_year(text, today=TODAY)
    assert answer is None or answer == UNKNOWN or 1900 <= answer <= TODAY.year - 10


# -- matching.batch: the birth_year of a JSONL query -----------------------------------------------


@settings(max_examples=150)
@given(st.integers(1900, 2030), digit_scripts, st.booleans())
def test_query_year_in_range_is_read_as_text_or_number(year, script, as_text):
    """A query's birth_year 1900-2030, as a number or as text in any digits, is that year."""
    value = digits_in(script, str(year)) if as_text else year
    assert query_from_json({"query_id": "q", "name": "سامر", "birth_year": value}).birth_year == year


@settings(max_examples=150)
@given(st.one_of(hostile_text, st.integers(), st.floats(), st.booleans(), st.none(), st.text(alphabet="0123456789٠١", min_size=4400, max_size=4500)))
@example("²")  # a digit int() refuses: was a ValueError that stopped the whole batch
@example("1" * 5000)  # more digits than int() converts: was a ValueError too
def test_query_year_is_a_year_none_or_query_error(value):
    """Any birth_year gives a Query with None or a 1900-2030 year, or QueryError; nothing else."""
    try:
        query = query_from_json({"query_id": "q", "name": "سامر", "birth_year": value})
    except QueryError:
        return
    assert query.birth_year is None or 1900 <= query.birth_year <= 2030


_QUERY_LINE = st.one_of(
    hostile_text.filter(lambda t: "\n" not in t and "\r" not in t),
    st.fixed_dictionaries(
        {"query_id": st.one_of(st.text(max_size=5), st.integers()), "name": st.text(max_size=MAX_FIELD_CHARS + 5)},
        optional={"birth_year": st.one_of(st.text(max_size=6), st.integers(), st.floats())},
    ).map(json.dumps),
)


@settings(max_examples=150)
@given(st.lists(_QUERY_LINE, max_size=8))
@example(['{"query_id": "q", "name": "x", "birth_year": "\\u00b2"}', '{"query_id": "r", "name": "y"}'])
def test_reading_queries_never_stops_on_a_bad_line(lines):
    """read_queries yields every good line as a Query and reports each bad one by its number."""
    warnings: list[str] = []
    queries = list(read_queries(io.StringIO("\n".join(lines) + "\n"), warnings.append))
    good = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            query_from_json(json.loads(line))
        except (ValueError, QueryError):
            assert any(w.startswith(f"queries line {number}:") for w in warnings), (number, warnings)
            continue
        good += 1
    assert len(queries) == good
    assert len(queries) + len(warnings) == sum(1 for line in lines if line.strip())
