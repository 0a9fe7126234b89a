"""Pure text functions for Arabic, Arabizi and English messages: one-to-one folding, marks, digits, years."""

from __future__ import annotations

import re
import unicodedata

# Arabic-Indic (U+0660..0669) and Persian (U+06F0..06F9) digits to ASCII: one character each.
_DIGITS = {**{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)}}

# One-to-one letter folding: every entry maps one character to exactly one character, so a
# folded text has the same length as the original and every offset stays true.
_FOLD = {
    ord("أ"): "ا",
    ord("إ"): "ا",
    ord("آ"): "ا",
    ord("ٱ"): "ا",
    ord("ى"): "ي",
    ord("ی"): "ي",
    ord("ئ"): "ي",
    ord("ؤ"): "و",
    ord("ة"): "ه",
    ord("ک"): "ك",
    ord("گ"): "ك",
    ord("پ"): "ب",
    ord("چ"): "ج",
    ord("ڤ"): "ف",
    ord("،"): ",",
    ord("؟"): "?",
    ord("؛"): ";",
    **_DIGITS,
}

# Removed from tokens only (never from the message text): tashkeel, superscript alef, tatweel.
_MARKS = {c: None for c in [*range(0x064B, 0x0660), 0x0670, 0x0640]}

# Invisible direction and zero-width characters phones put around Arabic text: removed for matching.
_INVISIBLE = {
    c: None for c in [*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF, 0x061C]
}

_ARABIC_LETTER = re.compile(r"[\u0621-\u064A\u0671-\u06D3\u06FA-\u06FF]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
# Arabizi: Latin words with the digits that stand for Arabic letters (3=ع, 7=ح, 2=ء, 5=خ, 8=ق, 9=ص).
_ARABIZI_DIGIT_WORD = re.compile(r"(?i)\b[a-z]*[a-z][235789][a-z0-9]*\b|\b[235789][a-z]{2,}\b")
#: Everyday Levantine words written in Latin letters; one of them marks a message as Arabizi.
ARABIZI_WORDS = frozenset(
    """
    marhaba mar7aba ahlan ahla salam slm shukran shokran chokran yislamo ysalmo tislam
    baddi badi bade bdi bde biddi bidi beddi mabdi ma ana enta inta enti inti ente huwe hiye
    akhi akhoy a5i a5oy ibni ebni bni binti ukhti o5ti zawji jozi abi abouy baba mama emmi
    ummi yalla inshallah inshalla wallah walla shu sho shou eh aywa aiwa la2 laa lla khalas
    5alas kteer ktir hala halla la7 ra7 3am mish mesh mo msh kif keef kifak kifik wen wein
    fi fe mnih mne7 tayyeb tayeb mashi tamam habibi 3afak 3afwan sa7 ya3ni yaane hek heik
    shi shy sar sa3edni sa3dni sa3idni sa3dne dawer dawwer bdawer 3an 3ala 3la kamen kaman
    """.split()
)

#: Latin words Arabic speakers type too; alone they do not switch the reply language to English.
NEUTRAL_LATIN_WORDS = frozenset({"ok", "okay", "oki", "okey", "k", "kk", "hi", "hii", "hey", "bye", "lol", "sos", "pls", "plz", "no", "yes", "ya", "yaa", "thx", "tnx", "msg", "sms"})

#: Words that ask for a language by name.
_ASK_ENGLISH = re.compile(r"(?i)\b(english|inglizi|engliz[iy]|englesh)\b|(?:انكليزي|إنكليزي|انجليزي|إنجليزي|الانكليزي|الإنجليزية|الانجليزيه)")
_ASK_ARABIC = re.compile(r"(?i)\b(arabic|3arabi|arabi)\b|(?:عربي|العربي|بالعربي|العربية)")

_YEAR = re.compile(r"(?<!\d)(19\d\d|20\d\d)(?!\d)")
_AGE = re.compile(
    r"(?i)(?:عمر[هوي]?|عمرها|age[d]?|3omro|3emro|omro)\s*(?:is\s*)?[:=]?\s*(\d{1,3})"
    r"|(\d{1,3})\s*(?:سنة|سنه|سنين|عام|years?|yrs?|sneh|sene|seneh)"
)
_NUMBER_ONLY = re.compile(r"^\s*(\d{1,3})\s*$")


def ascii_digits(text: str) -> str:
    """Arabic-Indic and Persian digits replaced by ASCII digits; nothing else changes."""
    return text.translate(_DIGITS)


def fold(text: str) -> str:
    """Fold alef and hamza forms, ى, ة, Persian letters, Arabic punctuation and digits.

    Every replacement is one character for one character: ``len(fold(t)) == len(t)``, so
    entity offsets computed on the folded text are true for the original.
    """
    return text.translate(_FOLD)


def strip_marks(token: str) -> str:
    """A token without tashkeel, superscript alef and tatweel (this changes its length)."""
    return token.translate(_MARKS)


def normalise_token(token: str) -> str:
    """The form a token is featurised in: folded, without marks, lower case, NFC."""
    return unicodedata.normalize("NFC", strip_marks(fold(token))).lower()


def normalise_for_matching(text: str) -> str:
    """Folded text without marks or direction marks, spaces collapsed, for keyword and lookup comparisons."""
    return " ".join(strip_marks(fold(text)).translate(_INVISIBLE).lower().split())


def has_arabic(text: str) -> bool:
    """True when the text contains at least one Arabic letter."""
    return bool(_ARABIC_LETTER.search(text))


def is_arabizi(text: str) -> bool:
    """True for Arabic written in Latin letters (digit-letters like 3, 7 or common Levantine words)."""
    if has_arabic(text) or not _LATIN_LETTER.search(text):
        return False
    if _ARABIZI_DIGIT_WORD.search(text):
        return True
    words = re.findall(r"[a-z0-9']+", text.lower())
    return any(w in ARABIZI_WORDS for w in words)


def requested_language(text: str) -> str | None:
    """The language a message asks for by name ("English please", "بالعربي"), or None."""
    if _ASK_ENGLISH.search(text):
        return "en"
    if _ASK_ARABIC.search(text):
        return "ar"
    return None


def detect_language(text: str) -> str | None:
    """The reply language a message asks for: ``"ar"``, ``"en"`` or None when it gives no sign.

    An explicit request ("English please", "بالعربي") wins; then Arabic script or Arabizi give
    Arabic, and plain Latin words give English. Digits and emoji alone give None.
    """
    asked = requested_language(text)
    if asked:
        return asked
    if has_arabic(text):
        return "ar"
    if not _LATIN_LETTER.search(text):
        return None
    if is_arabizi(text):
        return "ar"
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", text)]
    # "ok", "hi" and the like are typed by everyone: they say nothing about the reader's language.
    meaningful = [w for w in words if w not in NEUTRAL_LATIN_WORDS]
    if sum(len(w) for w in meaningful) < 3:
        return None
    return "en"


#: Reply languages: Arabic, English, and Arabic written in Latin letters (Arabizi).
REPLY_LANGUAGES = ("ar", "en", "az")

_ASK_ARABIZI = re.compile(r"(?i)\b(arabizi|3arabizi|franco|frankoarab|bel latini|b ?7rouf latiniye)\b")


def reply_language(text: str, current: str | None = None) -> str | None:
    """The language to reply in after ``text``: ``"ar"``, ``"en"``, ``"az"`` (Arabizi) or None for no sign.

    An explicit request wins ("English", "بالعربي", "3arabi" give en, ar, ar; "arabizi" gives az).
    Arabic letters give ar; Arabizi gives az. Plain Latin words give en, except in a conversation
    already in Arabizi: people writing Arabizi mix in English words ("thanks", "ok", a name), so
    there a Latin message switches to English only when it has three or more words and none of
    them is Arabizi.
    """
    if _ASK_ARABIZI.search(text):
        return "az"
    asked = requested_language(text)
    if asked:
        return asked
    if has_arabic(text):
        return "ar"
    if is_arabizi(text):
        return "az"
    detected = detect_language(text)
    if detected == "en" and current == "az":
        words = [w for w in re.findall(r"[A-Za-z']+", text.lower()) if w not in NEUTRAL_LATIN_WORDS]
        return "en" if len(words) >= 3 else None
    return detected


def extract_year(text: str) -> int | None:
    """The first plausible four-digit year (1900-2099) in any digits, or None."""
    match = _YEAR.search(ascii_digits(text))
    return int(match.group(1)) if match else None


def extract_age(text: str) -> int | None:
    """An age written as "عمره 35", "35 سنة", "age 35", or a bare number; None otherwise."""
    plain = ascii_digits(text)
    match = _AGE.search(plain)
    if match:
        return int(match.group(1) or match.group(2))
    bare = _NUMBER_ONLY.match(plain)
    return int(bare.group(1)) if bare else None


def menu_choice(text: str) -> int | None:
    """The menu number a message is, when it is only a digit 1-9 in any script (with punctuation
    and invisible direction marks)."""
    plain = ascii_digits(text).translate(_INVISIBLE).strip().strip(".)-*#").strip()
    # isdecimal, not isdigit: "²" or "①" are digits that int() refuses; "０" is a zero too.
    if len(plain) == 1 and plain.isdecimal() and int(plain) != 0:
        return int(plain)
    return None


def is_number_only(text: str) -> bool:
    """True when the message is digits with separators only (a year, a phone number, an age)."""
    plain = ascii_digits(text).strip()
    return bool(plain) and bool(re.fullmatch(r"[+\d\s().\-/]+", plain)) and any(c.isdigit() for c in plain)
