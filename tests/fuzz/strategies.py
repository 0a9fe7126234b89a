"""Shared hypothesis strategies for the fuzz suite: digits in three scripts, hostile text, padding."""

from __future__ import annotations

from hypothesis import strategies as st

#: ASCII digit -> the same digit in Arabic-Indic (U+0660..) and in Persian (U+06F0..) script.
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

#: Characters that have broken parsers elsewhere: digits that are not decimal, compatibility
#: forms, direction marks, tashkeel, tatweel, NUL, BOM, emoji, Arabic punctuation.
NASTY = (
    "²³¹⁴½①０５１٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹१५๕"  # digits of many kinds, some not decimal
    "\u200f\u200e\u202b\u202c\u2066\u2069\u200b\u200d\ufeff\u061c"  # bidi and zero-width
    "\u064b\u064e\u0651\u0652\u0670\u0640"  # tashkeel, superscript alef, tatweel
    "\x00\t\r\n\x0b\x0c\x1c\x85\u2028\u3000\xa0"  # control and odd whitespace
    "،؟؛٫٬.-+()#*/=@'\"`"  # punctuation
    "أإآٱىئؤةـیکگپچژڤ"  # letters that fold
    "İıßﷲﻻ😂👋🏽"  # case and compatibility traps, emoji
)


def digits_in(script: str, text: str) -> str:
    """``text`` with its ASCII digits written in ``script`` (latin, arabic or persian)."""
    if script == "arabic":
        return text.translate(ARABIC_INDIC)
    if script == "persian":
        return text.translate(PERSIAN)
    return text


#: One of the three digit scripts families type in.
digit_scripts = st.sampled_from(["latin", "arabic", "persian"])

#: Any unicode text, biased towards the characters above.
hostile_text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.sampled_from(NASTY), max_size=20),
    st.lists(st.one_of(st.text(max_size=8), st.sampled_from(NASTY)), max_size=10).map("".join),
)

#: Spaces, tabs and no-break spaces people leave around a short answer.
padding = st.text(alphabet=" \t\u00a0", max_size=3)
