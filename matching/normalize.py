"""Text normalisation for names, digits and scripts: pure functions, no I/O."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Arabic-Indic (U+0660..0669) and Persian/Urdu (U+06F0..06F9) digits to ASCII.
_DIGITS = {**{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)}}

#: Longest text normalised; anything after this is cut (a name is never this long).
MAX_CHARS = 2_000


def ascii_digits(text: str) -> str:
    """Replace Arabic-Indic and Persian digits with ASCII digits; other characters are kept."""
    return text.translate(_DIGITS)


# Marks removed everywhere: tashkeel, superscript alef, Quranic marks, tatweel, zero-width and
# direction controls, soft hyphen, BOM.
_REMOVE = (
    [chr(c) for c in range(0x064B, 0x0660)]
    + ["\u0670", "\u0640", "\u00ad", "\ufeff", "\u061c", "\u180e"]
    + [chr(c) for c in range(0x06D6, 0x06EE)]
    + [chr(c) for c in range(0x200B, 0x2010)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2060, 0x2070)]
)

# Arabic letter folding: alef and hamza forms, taa marbuta, alef maqsura, Persian/Urdu letters.
_ARABIC_FOLD = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ٲ": "ا",
    "ٳ": "ا",
    "ة": "ه",
    "ۀ": "ه",
    "ە": "ه",
    "ى": "ي",
    "ی": "ي",
    "ې": "ي",
    "ۍ": "ي",
    "ے": "ي",
    "ئ": "ي",
    "ؤ": "و",
    "ء": "",
    "ک": "ك",
    "ڪ": "ك",
    "گ": "ك",
    "پ": "ب",
    "چ": "ج",
    "ژ": "ز",
    "ڤ": "ف",
    "ڨ": "ق",
    # Urdu letters (names registered in Pakistan and Afghanistan): heh goal and doachashmee,
    # teh marbuta goal, retroflex t / d / r, noon ghunna.
    "ہ": "ه",
    "ھ": "ه",
    "ۃ": "ه",
    "ٹ": "ت",
    "ڈ": "د",
    "ڑ": "ر",
    "ں": "ن",
}

# Latin apostrophes and ayn/hamza signs are dropped; a few letters NFKD does not decompose.
_LATIN_FOLD = {
    "'": "",
    "\u2019": "",
    "\u2018": "",
    "`": "",
    "\u00b4": "",
    "\u02bf": "",
    "\u02be": "",
    "\u02bc": "",
    "\u02bb": "",
    "ß": "ss",
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "ł": "l",
    "ı": "i",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
}

_TRANSLATE: dict[str | int, str] = {c: "" for c in _REMOVE}
_TRANSLATE.update(_ARABIC_FOLD)
_TRANSLATE.update(_LATIN_FOLD)
for _code, _digit in _DIGITS.items():
    _TRANSLATE[_code] = _digit
_TABLE = str.maketrans(_TRANSLATE)
_SEPARATORS = re.compile(r"[^\w]+|_+")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")
_LATIN_LETTER = re.compile(r"[a-z]")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", text).translate(_TABLE)


@lru_cache(maxsize=100_000)
def _normalize_word(word: str) -> str:
    folded = _fold(word)
    # Folding can expose new combinations (e.g. compatibility forms); fold until stable.
    for _ in range(3):
        again = _fold(folded)
        if again == folded:
            break
        folded = again
    return " ".join(_SEPARATORS.sub(" ", folded).split())


def normalize_text(text: str) -> str:
    """Fold a name to its comparable form: one script-neutral pass, idempotent.

    Arabic: alef/hamza forms to ا, ة to ه, ى and ئ to ي, ؤ to و, ء dropped, tashkeel, tatweel,
    Persian ی/ک and direction marks removed. Latin: lower case, accents and apostrophes
    (including ʿ) removed. Arabic-Indic and Persian digits become ASCII. Hyphens and other
    punctuation become single spaces. Words are folded one by one (and cached: names repeat).
    """
    if not text:
        return ""
    words = (_normalize_word(w) for w in text[:MAX_CHARS].split())
    return " ".join(w for w in words if w)


def tokens(text: str) -> list[str]:
    """Split a name into normalised tokens (see :func:`normalize_text`)."""
    return normalize_text(text).split()


def script_of(token: str) -> str:
    """``"ar"`` if the token holds Arabic letters, ``"la"`` if Latin letters or digits, else ``"other"``."""
    if _ARABIC_LETTER.search(token):
        return "ar"
    if _LATIN_LETTER.search(token) or any(ch.isdigit() for ch in token):
        return "la"
    return "other"
