"""Reading form answers: names, years or ages, governorates, yes/no, phone numbers, share policies. Pure.

Each ``parse_*`` returns the value to store, :data:`UNKNOWN` when the person says they don't
know (or skips an optional question), or None when the answer cannot be read (a kind re-ask).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from bot.contacts import AddressError, normalise_address
from nlu.answers import ROLES, Reading, read_birth_year, read_name, read_relationship, role_label
from nlu.keywords import is_skip, is_unknown, yes_no
from nlu.lexicon import find_governorate, governorate_label, relationship_label
from nlu.text import (
    ascii_digits,
    extract_year,
    has_arabic,
    is_number_only,
    menu_choice,
)

#: Slot value for "I don't know" / "skip": the form moves on, and the database gets NULL.
UNKNOWN = "-"

#: Longest name or free-text answer kept (the database columns are 200 characters).
MAX_TEXT = 200

#: Share policies, in the order of the menu (1, 2, 3).
SHARE_POLICIES = ("share_number", "safe_only", "nobody")

_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_DATE = re.compile(r"(?<!\d)(\d{1,2})[/.\-](\d{1,2})[/.\-]((?:19|20)\d\d)(?!\d)|(?<!\d)((?:19|20)\d\d)(?!\d)")
_SHARE_WORDS = {
    "share_number": ("رقمي", "اعطيهم رقمي", "اعطوهم رقمي", "share", "number", "give them my number", "ra2mi", "raqmi"),
    "safe_only": ("بخير", "منيح", "سالم", "safe", "ok", "fine", "alive", "mni7", "bkheir", "bi5er"),
    "nobody": ("لا تخبر", "ولا حدا", "لا حدا", "محدا", "ما حدا", "nobody", "no one", "noone", "don't tell", "dont tell", "wala 7ada", "ma 7ada"),
}


_ARABIZI_DIGITS = re.compile(r"(?<=[A-Za-z'])[235789]|[235789](?=[A-Za-z'])")
_KUNYA_FIRST = ("ابو", "أبو", "ام", "أم", "abu", "abou", "abo", "um", "umm", "oum", "em", "emm")


def clean_text(text: str) -> str:
    """The answer with spaces collapsed, cut at :data:`MAX_TEXT` characters."""
    return " ".join((text or "").split())[:MAX_TEXT]


def parse_name(text: str, *, min_words: int = 1, allow_unknown: bool = False) -> str | None:
    """A person's name: letters in any script (Arabizi digits allowed), ``min_words`` words or more."""
    reading = read_name_answer(text, min_words=min_words, allow_unknown=allow_unknown)
    return reading.value if isinstance(reading.value, str) else None


def read_name_answer(
    text: str, *, min_words: int = 1, allow_unknown: bool = False, kunya_allowed: bool = False, kunya_is_name: bool = False
) -> Reading:
    """The name read out of an answer (see nlu.answers.read_name), with the checks a name must pass."""
    if is_unknown(text):
        return Reading(UNKNOWN if allow_unknown else None, clean_text(text))
    raw = clean_text(text)
    if is_number_only(raw) or yes_no(raw) is not None:
        return Reading(None, raw)
    reading = read_name(raw, kunya_allowed=kunya_allowed, allow_unknown=False)
    name = reading.value if isinstance(reading.value, str) else None
    if name is None:
        return Reading(None, raw, role=reading.role)
    # Arabizi writes letters with digits ("3la2", "9al7"): inside a Latin word they count as letters.
    letters = _LETTERS.findall(name) + _ARABIZI_DIGITS.findall(name)
    words = [w for w in name.split() if _LETTERS.search(w)]
    # Mostly letters: a name is not a sentence of digits and symbols.
    if len(letters) < 2 or len(letters) < 0.6 * len(name.replace(" ", "")) or yes_no(name) is not None:
        return Reading(None, raw, role=reading.role)
    if len(words) < min_words:
        # "ابني محمد": a sentence with too few name words left is asked again, not stored.
        return Reading(None, raw, role=reading.role)
    if kunya_is_name and not reading.sure and len(words) == 2 and words[0].lower() in _KUNYA_FIRST:
        # "أم يوسف" alone is how many mothers name themselves.
        return Reading(name, raw, True, reading.role)
    return reading


def parse_birth_year(text: str, *, today: dt.date | None = None) -> int | str | None:
    """A birth year from "مواليد ١٩٨٥", "مواليد ٨٢", "1985", "عمره 35" or "35 years"; UNKNOWN for "don't know"."""
    return read_birth_year(text, today=today).value


def parse_governorate(text: str) -> str | None:
    """The governorate's Arabic name, in any script or spelling; UNKNOWN for "don't know"."""
    found = find_governorate(text)
    if found:
        return found
    return UNKNOWN if is_unknown(text) else None


def parse_detention(text: str) -> str | None:
    """Where and when a person was detained (free text, kept as written); UNKNOWN when skipped."""
    if is_skip(text):
        return UNKNOWN
    answer = clean_text(text)
    return answer if _LETTERS.search(answer) or extract_year(answer) else None


def split_detention(answer: str | None) -> tuple[str | None, str | None]:
    """(place, date) from a detention answer: the date is the first date or year found in it."""
    if not answer or answer == UNKNOWN:
        return None, None
    plain = ascii_digits(answer)
    match = _DATE.search(plain)
    if not match:
        return answer, None
    if match.group(4):
        date = match.group(4)
    else:
        date = f"{match.group(3)}-{int(match.group(2)):02d}-{int(match.group(1)):02d}"
    place = clean_text((plain[: match.start()] + " " + plain[match.end() :]).strip(" ,-،"))
    return (place or None), date


def parse_relationship(text: str, *, searcher_female: bool | None = None) -> str | None:
    """The searcher's role (nlu.answers.ROLES key: mother, sibling…) or, when not known, the words as written."""
    reading = read_relationship(clean_text(text), searcher_female=searcher_female)
    if reading.value is None or yes_no(str(reading.value)) is not None:
        return None
    return str(reading.value)


def parse_yes_no(text: str, intent: str | None = None) -> bool | None:
    """Yes (1, نعم, ok…) or no (2, لا…); the NLU intent decides only when the words don't."""
    answer = yes_no(text)
    if answer is not None:
        return answer
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    return None


def parse_share_policy(text: str) -> str | None:
    """share_number (1), safe_only (2) or nobody (3), from a digit in any script or words."""
    choice = menu_choice(text)
    if choice is not None:
        return SHARE_POLICIES[choice - 1] if 1 <= choice <= 3 else None
    lowered = " ".join(text.lower().split())
    for policy in ("nobody", "share_number", "safe_only"):
        if any(word in lowered for word in _SHARE_WORDS[policy]):
            return policy
    return None


def parse_callback(text: str, own_address: str | None) -> str | None:
    """The callback number in E.164: "1" or yes means the sender's own number, else the number typed.

    Numbers without a country code are read as Syrian; Turkish, Lebanese, Jordanian and any
    other international number written with its code is accepted.
    """
    if menu_choice(text) == 1 or yes_no(text) is True:
        if not own_address:
            return None
        try:
            return normalise_address(own_address)
        except AddressError:
            return None
    if has_arabic(text) and not re.search(r"[\d٠-٩۰-۹]{6,}", re.sub(r"[\s\-]", "", text)):
        return None
    candidate = re.sub(r"[^\d+٠-٩۰-۹]", "", text)
    try:
        return normalise_address(candidate)
    except AddressError:
        return None


def _value(slots: Mapping[str, Any], name: str) -> Any:
    value = slots.get(name)
    return None if value in (None, "", UNKNOWN) else value


def _labels(language: str) -> dict[str, str]:
    if language == "az":
        return {"name": "Esem", "father": "El ab", "mother": "El em", "born": "Mawalid", "gov": "Mu7afaza",
                "det": "E3te2al", "you": "Enta/enti", "rel": "2araba", "cb": "Ra2am el ettesal", "share": "Iza dawwaro ahlak",
                "unknown": "ma ma3ruf"}
    if language == "en":
        return {"name": "Name", "father": "Father", "mother": "Mother", "born": "Born", "gov": "Governorate",
                "det": "Detained", "you": "You", "rel": "relationship", "cb": "Callback number", "share": "If family searches",
                "unknown": "not known"}
    return {"name": "الاسم", "father": "الأب", "mother": "الأم", "born": "الميلاد", "gov": "المحافظة",
            "det": "الاعتقال", "you": "أنت", "rel": "القرابة", "cb": "رقم الاتصال", "share": "إن بحث أهلك",
            "unknown": "غير معروف"}


_POLICY_LABELS = {
    "ar": {"share_number": "أعطهم رقمي", "safe_only": "أخبرهم أني بخير", "nobody": "لا تخبر أحداً"},
    "en": {"share_number": "give them my number", "safe_only": "tell them I am safe", "nobody": "tell nobody"},
    "az": {"share_number": "a3touhon ra2me", "safe_only": "2ulolon eni mnih", "nobody": "ma t2ulo la 7ada"},
}


def _identity_lines(slots: Mapping[str, Any], language: str) -> list[str]:
    lab = _labels(language)
    gov = _value(slots, "governorate")
    return [
        f"{lab['name']}: {_value(slots, 'person_name') or lab['unknown']}",
        f"{lab['father']}: {_value(slots, 'father_name') or lab['unknown']}",
        f"{lab['mother']}: {_value(slots, 'mother_name') or lab['unknown']}",
        f"{lab['born']}: {_value(slots, 'birth_year') or lab['unknown']}",
        f"{lab['gov']}: {governorate_label(gov, language) if gov else lab['unknown']}",
    ]


def relationship_text(value: str | None, language: str) -> str | None:
    """A relationship slot value as words in the reply language."""
    if not value or value == UNKNOWN:
        return None
    if value in ROLES:
        return role_label(value, language)
    try:
        return relationship_label(value, language)
    except KeyError:
        return value


#: UCS-2 characters an SMS summary may take: two segments (134) less the question around it.
SMS_SUMMARY_BUDGET = 112


def sms_summary(slots: Mapping[str, Any], language: str, *, budget: int = SMS_SUMMARY_BUDGET) -> str:
    """The summary on one short line for SMS: the longest names cut with "…" until it fits two segments."""
    lab = _labels(language)
    gov = _value(slots, "governorate")
    parts = [
        str(_value(slots, "person_name") or lab["unknown"]),
        f"{lab['father']} {_value(slots, 'father_name') or '-'}",
        f"{lab['mother']} {_value(slots, 'mother_name') or '-'}",
        str(_value(slots, "birth_year") or "-"),
        governorate_label(gov, language) if gov else "-",
    ]
    sep = "، " if language == "ar" else ", "
    while len(sep.join(parts)) > budget:
        longest = max(range(len(parts)), key=lambda i: len(parts[i]))
        if len(parts[longest]) <= 4:
            break
        parts[longest] = parts[longest][: max(3, len(parts[longest]) - (len(sep.join(parts)) - budget) - 1)].rstrip() + "…"
    return sep.join(parts)


def search_summary(slots: Mapping[str, Any], language: str, *, sms: bool = False) -> str:
    """The details a family gave, one per line, to confirm before the search is kept (one short line on SMS)."""
    if sms:
        return sms_summary(slots, language)
    lab = _labels(language)
    lines = _identity_lines(slots, language)
    if _value(slots, "detention"):
        lines.append(f"{lab['det']}: {slots['detention']}")
    rel = relationship_text(slots.get("relationship"), language)
    you = _value(slots, "searcher_name")
    if you:
        lines.append(f"{lab['you']}: {you}" + (f" ({rel})" if rel else ""))
    return "\n".join(lines)


def registration_summary(slots: Mapping[str, Any], language: str, *, sms: bool = False) -> str:
    """The details a released detainee gave, one per line, to confirm before they are stored."""
    if sms:
        return sms_summary(slots, language)
    lab = _labels(language)
    lines = _identity_lines(slots, language)
    if _value(slots, "callback_number"):
        lines.append(f"{lab['cb']}: {slots['callback_number']}")
    policy = _value(slots, "share_policy")
    if policy in SHARE_POLICIES:
        lines.append(f"{lab['share']}: {_POLICY_LABELS.get(language, _POLICY_LABELS['ar'])[policy]}")
    return "\n".join(lines)


def as_int(value: Any) -> int | None:
    """A stored slot value as an int (None for UNKNOWN, empty or unreadable)."""
    if value in (None, "", UNKNOWN):
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError):  # OverflowError: "inf", "1e400"
        return None


def as_text(value: Any) -> str | None:
    """A stored slot value as text for the database (None for UNKNOWN or empty)."""
    if value in (None, "", UNKNOWN):
        return None
    return clean_text(str(value))


_FIELD_LABELS = {
    "ar": {"person_name": "الاسم", "father_name": "اسم الأب", "mother_name": "اسم الأم", "birth_year": "سنة الميلاد",
           "governorate": "المحافظة", "detention": "مكان وتاريخ الاعتقال", "searcher_name": "اسمك",
           "relationship": "صلة القرابة", "callback_number": "رقم الاتصال", "share_policy": "ما نخبر به أهلك"},
    "en": {"person_name": "Name", "father_name": "Father", "mother_name": "Mother", "birth_year": "Birth year",
           "governorate": "Governorate", "detention": "Detention", "searcher_name": "Your name",
           "relationship": "Relationship", "callback_number": "Callback number", "share_policy": "What we tell family"},
    "az": {"person_name": "El esem", "father_name": "Esem el ab", "mother_name": "Esem el em", "birth_year": "Sanet el wlede",
           "governorate": "El mu7afaza", "detention": "Wein w emta el e3te2al", "searcher_name": "Esmak",
           "relationship": "Sellet el 2araba", "callback_number": "Ra2am el ettesal", "share_policy": "Shu mn2ul la ahlak"},
}


def field_list(fields: tuple[str, ...], language: str) -> str:
    """The numbered list of fields a person can change after answering "no" to the summary."""
    labels = _FIELD_LABELS.get(language, _FIELD_LABELS["ar"])
    return "\n".join(f"{i} {labels[field]}" for i, field in enumerate(fields, start=1))
