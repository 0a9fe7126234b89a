"""Name text: normalisation (``matching.normalize``, ``nlu.text``), parsing (``matching.names``),
cross-script keys (``matching.translit``), the form's name answer, and round trips through the
synthetic registry generator (``matching.synth``).
"""

from __future__ import annotations

import dataclasses
import random
import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.actions.parsing import MAX_TEXT, UNKNOWN, clean_text, read_name_answer
from bot.actions.parsing import parse_name as parse_answer
from matching import synth
from matching.names import MAX_TOKENS, parse_name
from matching.normalize import (
    _ARABIC_FOLD,
    _REMOVE,
    ascii_digits,
    normalize_text,
    script_of,
    tokens,
)
from matching.translit import name_key, skeleton, token_similarity
from nlu.text import fold, normalise_for_matching
from tests.fuzz.strategies import hostile_text

ARABIC_LETTERS = "ءآأؤإئابةتثجحخدذرسشصضطظعغفقكلمنهوىي"
TASHKEEL = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670\u0640"
INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\ufeff\u061c\u2066\u2069"

#: Arabic-heavy text: letters of every shape, marks, digits, Latin and separators.
arabic_text = st.text(
    alphabet=st.sampled_from(
        [*ARABIC_LETTERS, *TASHKEEL, *INVISIBLE, *"٠١٢٣٤٥٦٧٨٩", *"ـ-_ ،.'", *"abdelAl3", "ی", "ک"]
    ),
    max_size=60,
)
name_text = hostile_text | arabic_text

_ARABIC_DIGITS = re.compile("[\u0660-\u0669\u06f0-\u06f9]")


@settings(max_examples=200)
@given(name_text)
@example("ﷲ")  # one compatibility character that folds to several letters
@example("İ")  # lower-cases to two code points
def test_normalize_text_is_idempotent_and_clean(text):
    """normalize_text is idempotent, single-spaced, lower case, without marks, folded letters or
    Arabic-Indic digits, and ``tokens`` is its split."""
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert once == " ".join(once.split())
    assert once == once.lower()
    assert not any(ch in _REMOVE or ch in _ARABIC_FOLD for ch in once)
    assert not _ARABIC_DIGITS.search(once)
    assert tokens(text) == once.split()
    assert all(script_of(token) in ("ar", "la", "other") for token in once.split())


@settings(max_examples=150)
@given(st.text(alphabet=ARABIC_LETTERS, min_size=1, max_size=12), st.data())
def test_marks_and_invisible_characters_do_not_change_a_name(word, data):
    """Tashkeel, tatweel and direction or zero-width marks anywhere inside a word are ignored."""
    noisy = "".join(ch + data.draw(st.text(alphabet=TASHKEEL + INVISIBLE, max_size=2)) for ch in word)
    assert normalize_text(noisy) == normalize_text(word)
    assert parse_name(noisy) == parse_name(word)


@settings(max_examples=150)
@given(name_text)
def test_digit_and_letter_folding_in_the_nlu_is_one_to_one_and_idempotent(text):
    """nlu.text.fold keeps every offset and is idempotent; normalise_for_matching is idempotent;
    ascii_digits leaves no Arabic-Indic or Persian digit."""
    folded = fold(text)
    assert len(folded) == len(text) and fold(folded) == folded
    matched = normalise_for_matching(text)
    assert normalise_for_matching(matched) == matched
    assert not _ARABIC_DIGITS.search(ascii_digits(text))


@settings(max_examples=200)
@given(name_text)
@example("abd abd abd abd abd abd ال abd abd")
@example("بن")
@example("ابو")
def test_parse_name_gives_at_most_eight_canonical_tokens(text):
    """Any text parses (never raises) into at most 8 non-empty normalised tokens without spaces or
    bare numbers; the father index, when set, points at a token after the first."""
    parsed = parse_name(text)
    assert len(parsed.tokens) <= MAX_TOKENS
    for token in parsed.tokens:
        assert token and " " not in token and not token.isdigit()
        assert normalize_text(token) == token
    assert parsed.father is None or 0 < parsed.father < len(parsed.tokens)
    assert parsed.given == (parsed.tokens[0] if parsed.tokens else None)
    assert parsed.family == (parsed.tokens[-1] if len(parsed.tokens) >= 2 else None)


@settings(max_examples=150)
@given(name_text, name_text)
def test_skeletons_and_similarity_are_well_formed(left, right):
    """Skeletons are upper-case ASCII classes; similarity is in [0, 1], symmetric, 1 for a token and itself."""
    for token in parse_name(left).tokens + parse_name(right).tokens:
        key = skeleton(token)
        assert key == "" or (key.isascii() and key.isupper())
        assert token_similarity(token, token) == 1.0
    assert len(name_key(left)) <= MAX_TOKENS
    a, b = parse_name(left).tokens, parse_name(right).tokens
    if a and b:
        sim = token_similarity(a[0], b[-1])
        assert 0.0 <= sim <= 1.0
        assert sim == token_similarity(b[-1], a[0])


# -- round trips through the synthetic generator ------------------------------------------------

POOLS = synth.load_pools()
_CONNECTOR = re.compile(r"(?i)(?:^|\s)(?:bin|ibn|بن)\s")


def _toks(text: str) -> tuple[str, ...]:
    return parse_name(text).tokens


@settings(max_examples=150)
@given(st.integers(0, 2**32 - 1))
def test_a_generated_row_with_parts_parses_to_its_parts(seed):
    """A generated row that has both the full name and the parts parses, in order, to the first
    name's tokens, the father's (when written) and the family name's; بن/bin marks the father."""
    rng = random.Random(seed)
    person = synth.random_person(rng, POOLS)
    for _ in range(50):  # about half the rows have both layouts; draw until one does
        row, with_father = synth.render_row_detail(person, "R1", rng, POOLS)
        if row["full_name"] and row["first_name"]:
            break
    first = _toks(row["first_name"])
    expected = first + (_toks(row["father_name"]) if with_father else ()) + _toks(row["family_name"])
    parsed = parse_name(row["full_name"])
    assert parsed.tokens == expected[:MAX_TOKENS]
    if _CONNECTOR.search(row["full_name"]):
        assert parsed.father == len(first)


def _latin_family_spellings(name: synth.Name) -> set[tuple[str, ...]]:
    spellings = set()
    for spelling in name.latin:
        single = dataclasses.replace(name, latin=(spelling,))
        for article in POOLS.articles.items:
            spellings.add(_toks(synth.latin_family(single, random.Random(0), POOLS, article)))
    return spellings


@settings(max_examples=150)
@given(st.integers(0, 2**32 - 1), st.booleans())
@example(1281, True)  # found in CI: "Abdo Shaaban" was read as عبد الشعبان, losing the given name
def test_a_generated_row_recovers_the_persons_given_and_family_name(seed, latin):
    """Whatever layout, spelling and typing noise the generator chose, the parsed name starts with
    the person's given name and ends with the family name (one of its listed spellings in Latin)."""
    rng = random.Random(seed)
    person = synth.random_person(rng, POOLS)
    row = synth.render_row(person, "R1", rng, POOLS, latin=latin)
    text = row["full_name"] or " ".join(row[c] for c in ("first_name", "father_name", "family_name") if row[c])
    parsed = _toks(text)
    if latin:
        givens = {_toks(spelling) for spelling in person.first.latin}
        families = _latin_family_spellings(person.family)
    else:
        givens = {_toks(person.first.arabic)}
        families = {_toks(person.family.arabic)}
    assert any(parsed[: len(g)] == g for g in givens), (text, parsed, givens)
    assert any(parsed[-len(f) :] == f for f in families), (text, parsed, families)


@settings(max_examples=150)
@given(st.sampled_from(POOLS.male.items + POOLS.female.items + POOLS.family.items), st.integers(0, 31))
def test_registry_typing_habits_do_not_change_a_parsed_name(name, flags):
    """Dropped hamza, ة written ه, ى written ي, عبد and الدين joined: the parse is the same."""
    assert parse_name(synth.arabic_registry_noise(name.arabic, flags)) == parse_name(name.arabic)


# -- the form's name answer ----------------------------------------------------------------------


@settings(max_examples=200)
@given(name_text, st.integers(1, 3), st.booleans())
@example("²", 1, False)
@example("ما بعرف", 1, True)
def test_form_name_answer_is_the_cleaned_text_or_none(text, min_words, allow_unknown):
    """A name answer is None, UNKNOWN (only when allowed), or words taken from the text (the name read
    out of a sentence, issue 17: never a word the person did not type), at most 200 characters, with
    at least ``min_words`` words that have letters."""
    answer = parse_answer(text, min_words=min_words, allow_unknown=allow_unknown)
    if answer is None:
        return
    if answer == UNKNOWN:
        assert allow_unknown
        return
    cleaned = clean_text(text)
    assert all(word in cleaned for word in answer.split()) and len(answer) <= MAX_TEXT
    assert sum(1 for word in answer.split() if re.search(r"[^\W\d_]", word)) >= min_words


@settings(max_examples=150)
@given(
    st.sampled_from(POOLS.male.items + POOLS.female.items),
    st.sampled_from(POOLS.family.items),
    st.booleans(),
    st.integers(0, 3),
)
def test_every_pool_name_is_accepted_as_a_full_name(first, family, latin, spelling):
    """A given name and a family name from the pools, in Arabic or any Latin spelling, is a full name."""
    if latin:
        text = f"{first.latin[spelling % len(first.latin)]} {family.latin[spelling % len(family.latin)]}"
    else:
        text = f"{first.arabic} {family.arabic}"
    # As the form reads the sought person's name: a family name that looks like a kunya (أبو زيد) stays.
    assert read_name_answer(text, min_words=2, kunya_allowed=True).value == text
