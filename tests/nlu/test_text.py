"""nlu.text: one-to-one folding, marks on tokens, digits, language detection, years and ages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nlu.text import (
    ascii_digits,
    detect_language,
    extract_age,
    extract_year,
    fold,
    is_arabizi,
    is_number_only,
    menu_choice,
    normalise_token,
    reply_language,
    strip_marks,
)


@given(st.text())
def test_fold_keeps_every_offset(text):
    assert len(fold(text)) == len(text)


@pytest.mark.parametrize(
    ("raw", "folded"),
    [("أحمد", "احمد"), ("إبراهيم", "ابراهيم"), ("آمنة", "امنه"), ("مصطفى", "مصطفي"), ("فاطمة", "فاطمه"),
     ("١٩٨٥", "1985"), ("۱۹۹۰", "1990"), ("کریم", "كريم"), ("شو؟", "شو?")],
)
def test_fold(raw, folded):
    assert fold(raw) == folded


def test_marks_come_off_tokens_only():
    assert strip_marks("مُحَمَّد") == "محمد"
    assert strip_marks("مـــحمد") == "محمد"
    assert normalise_token("أَحْـمَد") == "احمد"
    assert normalise_token("Hello") == "hello"
    assert len(fold("مُحَمَّد")) == len("مُحَمَّد")


@pytest.mark.parametrize(
    ("text", "language"),
    [("مرحبا", "ar"), ("hello", "en"), ("I am looking for my brother", "en"), ("bdi dawer 3a a5i", "ar"),
     ("marhaba", "ar"), ("ok", None), ("OK!", None), ("hi", None), ("yes", None), ("ok thanks", "en"), ("1", None), ("١٩٨٥", None), ("😂", None), ("English please", "en"),
     ("بدي احكي انكليزي", "en"), ("arabic please", "ar"), ("بالعربي", "ar"), ("shukran", "ar")],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


def test_arabizi_needs_latin_letters():
    assert is_arabizi("3am dawer 3ala ibni")
    assert not is_arabizi("good morning")
    assert not is_arabizi("مرحبا")


@pytest.mark.parametrize(
    ("text", "year"),
    [("مواليد ١٩٨٥", 1985), ("born 1990", 1990), ("سنة ۱۹۷۸", 1978), ("12345", None), ("عمره 35", None), ("2003", 2003)],
)
def test_extract_year(text, year):
    assert extract_year(text) == year


@pytest.mark.parametrize(
    ("text", "age"),
    [("عمره 35", 35), ("عمرها ٤٠ سنة", 40), ("35 years", 35), ("age 50", 50), ("٢٢", 22), ("omro 30", 30), ("لا أعرف", None)],
)
def test_extract_age(text, age):
    assert extract_age(text) == age


@pytest.mark.parametrize(("text", "choice"), [("1", 1), ("١", 1), ("٣.", 3), (" 2 ", 2), ("12", None), ("0", None), ("واحد", None)])
def test_menu_choice(text, choice):
    assert menu_choice(text) == choice


def test_number_only():
    assert is_number_only("+963 944 123 456") and is_number_only("١٩٨٥")
    assert not is_number_only("عمره 35") and not is_number_only("")
    assert ascii_digits("٠١٢٣٤٥٦٧٨٩") == "0123456789"


@pytest.mark.parametrize(
    ("text", "current", "expected"),
    [
        ("3am dawer 3ala ibni", None, "az"), ("mar7aba", "ar", "az"), ("بدي دور على ابني", "az", "ar"),
        ("hello, I need help", "ar", "en"), ("thanks", "az", None), ("Ahmad Kassem", "az", None),
        ("I want to search for my brother", "az", "en"), ("arabizi please", "en", "az"), ("English", "az", "en"),
        ("3arabi", "az", "ar"), ("١٩٨٥", "az", None),
    ],
)
def test_reply_language_keeps_arabizi(text, current, expected):
    assert reply_language(text, current) == expected
