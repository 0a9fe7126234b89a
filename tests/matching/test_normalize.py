"""Normalisation: Arabic orthography, Latin folding, digits; idempotent and crash-free."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.normalize import ascii_digits, normalize_text, script_of, tokens

CASES = [
    # label, raw, normalised
    ("hamza on alef", "أحمد", "احمد"),
    ("hamza under alef", "إبراهيم", "ابراهيم"),
    ("madda", "آمنة", "امنه"),
    ("taa marbuta", "فاطمة", "فاطمه"),
    ("alef maqsura", "مصطفى", "مصطفي"),
    ("tashkeel", "مُحَمَّد", "محمد"),
    ("tatweel", "محمـــد", "محمد"),
    ("persian yeh and kaf", "کریم", "كريم"),
    ("waw hamza", "مؤمن", "مومن"),
    ("yeh hamza", "وائل", "وايل"),
    ("lone hamza dropped", "علاء", "علا"),
    ("zero width and direction marks", "\u200fمحمد\u200c\u202a", "محمد"),
    ("latin case and accents", "Chérif  MÜLLER", "cherif muller"),
    ("apostrophes and ayn sign", "Dara'a Saʿid", "daraa said"),
    ("hyphen", "Al-Ahmad", "al ahmad"),
    ("arabic-indic digits", "١٩٨٥", "1985"),
    ("persian digits", "۱۹۸۵", "1985"),
    ("presentation forms", "\ufefb", "لا"),
    ("urdu heh goal and doachashmee", "عبیداللہ ھاشم", "عبيدالله هاشم"),
    ("urdu retroflex letters", "ٹیپو ڈار", "تيبو دار"),
]


@pytest.mark.parametrize(("label", "raw", "expected"), CASES, ids=[c[0] for c in CASES])
def test_normalisation_table(label: str, raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_ascii_digits_keeps_other_characters() -> None:
    assert ascii_digits("سنة ١٩٩٠ / ۲۰۰۱") == "سنة 1990 / 2001"


@pytest.mark.parametrize(
    ("token", "script"), [("محمد", "ar"), ("mohammad", "la"), ("m7md", "la"), ("---", "other"), ("", "other")]
)
def test_script_of(token: str, script: str) -> None:
    assert script_of(token) == script


def test_tokens_split_on_punctuation() -> None:
    assert tokens("محمد، أحمد/ Al-Hasan") == ["محمد", "احمد", "al", "hasan"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@settings(max_examples=30, deadline=None)
@given(st.text(min_size=1, max_size=200).map(lambda t: (t * 10_000)[:10_000]))
def test_long_input_does_not_crash(text: str) -> None:
    assert isinstance(normalize_text(text), str)
