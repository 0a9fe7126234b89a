"""STOP, START and HELP in English, Arabic and Arabizi, recognised before anything reaches Rasa. Pure functions."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Whole-message keywords (after normalisation) and what they do. Arabic forms are written
#: without hamza or taa marbuta variants, since the text is normalised the same way.
KEYWORDS: dict[str, tuple[str, str]] = {
    # English (and Twilio's standard opt-out and opt-in words)
    "stop": ("stop", "en"),
    "stopall": ("stop", "en"),
    "unsubscribe": ("stop", "en"),
    "cancel": ("stop", "en"),
    "end": ("stop", "en"),
    "quit": ("stop", "en"),
    "start": ("start", "en"),
    "unstop": ("start", "en"),
    "resume": ("start", "en"),
    "help": ("help", "en"),
    "info": ("help", "en"),
    # Arabic
    "توقف": ("stop", "ar"),
    "وقف": ("stop", "ar"),
    "قف": ("stop", "ar"),
    "ايقاف": ("stop", "ar"),
    "الغاء": ("stop", "ar"),
    "الغاء الاشتراك": ("stop", "ar"),
    "اوقف": ("stop", "ar"),
    "ابدا": ("start", "ar"),
    "بدء": ("start", "ar"),
    "استئناف": ("start", "ar"),
    "استيناف": ("start", "ar"),
    "مساعده": ("help", "ar"),
    "ساعدني": ("help", "ar"),
    # Arabizi (Arabic in Latin letters): the same words, answered in Arabizi
    "wa2ef": ("stop", "az"),
    "wa2if": ("stop", "az"),
    "w2ef": ("stop", "az"),
    "w2af": ("stop", "az"),
    "waqef": ("stop", "az"),
    "tawa2of": ("stop", "az"),
    "ebda": ("start", "az"),
    "ebda2": ("start", "az"),
    "ibda2": ("start", "az"),
    "ebda2 mn jdid": ("start", "az"),
    "mosa3ade": ("help", "az"),
    "mosa3ada": ("help", "az"),
    "sa3edni": ("help", "az"),
    "sa3dni": ("help", "az"),
}

_TASHKEEL = re.compile("[\u064b-\u0652\u0670\u0640]")  # harakat, dagger alef, tatweel
_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u200b-\u200d\ufeff]")  # bidi and zero-width
_PUNCT = re.compile(r"[\s\.\!\?؟،,;:\-_*\"'()]+")


@dataclass(frozen=True)
class Keyword:
    """A recognised keyword: ``action`` is stop, start or help; ``language`` is the keyword's language."""

    action: str
    language: str


def normalise(text: str) -> str:
    """Lower-case, drop bidi marks, tashkeel and punctuation, unify alef/hamza, ة and ى."""
    text = unicodedata.normalize("NFKC", text)
    text = _MARKS.sub("", text)
    text = _TASHKEEL.sub("", text)
    text = text.translate(str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و"}))
    text = _PUNCT.sub(" ", text.casefold()).strip()
    return text


def match_keyword(text: str) -> Keyword | None:
    """The keyword that ``text`` is, as a whole message, or None. "stop please" is not a keyword."""
    key = normalise(text)
    if not key or len(key) > 30:
        return None
    found = KEYWORDS.get(key)
    return Keyword(*found) if found else None


def reply_language(keyword: Keyword, contact_language: str | None) -> str:
    """The language to answer a keyword in: the keyword's own, except that a contact who writes
    Arabizi and sends the Latin STOP, START or HELP is answered in Arabizi."""
    if keyword.language == "en" and contact_language == "az":
        return "az"
    return keyword.language
