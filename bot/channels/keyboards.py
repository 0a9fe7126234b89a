"""Menu buttons for channels that have them (Telegram): read from the message text itself. Pure.

A menu is the numbered choices at the end of a message ("1 نعم / 2 لا", "1 … / 2 … / 3 …"). Two
choices read as yes/no become the words yes and no in the reader's language (the forms read them as
1 and 2 do); three choices become the digits, Arabic-Indic for Arabic. The buttons only type the
answer for the person: typed digits in either digit system keep working.
"""

from __future__ import annotations

import re

_DIGITS = {**{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)}}
#: A choice: a digit 1-3 at the start of a line or after " / ", then its label.
_CHOICE = re.compile(r"(?:^|\n|/\s*|\s)([1-3])\s+([^/\n]+?)\s*(?=/|\n|$)")
_YES = ("نعم", "yes")
_NO = ("لا", "no")
_ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"

#: The questions that ask a released person for a callback number (the assistant's
#: utter_ask_callback_number, in Arabic, English and Arabizi): Telegram offers "share my number" with them.
CALLBACK_QUESTIONS = ("على أي رقم يتصل بك أهلك", "Which number should your family call",
                      "3ala ayya ra2am fiyon yettaslo ahlak")
SHARE_LABEL = {"ar": "📱 شارك رقمي", "en": "📱 Share my number", "az": "📱 Sharek ra2me"}


def _choices(body: str) -> dict[int, str]:
    lines = body.strip().translate(_DIGITS).split("\n")
    tail = [lines.pop()]
    while lines and re.match(r"\s*[1-3]\s", lines[-1]) and re.match(r"\s*[1-3]\s", tail[0]):
        tail.insert(0, lines.pop())  # one choice a line
    found = {int(d): label.strip() for d, label in _CHOICE.findall("\n" + "\n".join(tail))}
    return found if sorted(found) in ([1, 2], [1, 2, 3]) else {}


def menu_buttons(body: str, language: str) -> list[str]:
    """The buttons for the menu that ends ``body`` (empty when it ends with none)."""
    choices = _choices(body)
    if not choices:
        return []
    if len(choices) == 2:
        first, second = choices[1].casefold(), choices[2].casefold()
        if first.startswith(_YES) and second.startswith(_NO):
            return ["نعم", "لا"] if language == "ar" else ["yes", "no"]
    if language == "ar":
        return [_ARABIC_DIGITS[n] for n in sorted(choices)]
    return [str(n) for n in sorted(choices)]


def asks_for_callback(body: str) -> bool:
    """Whether ``body`` asks the released person which number their family should call."""
    return any(question in body for question in CALLBACK_QUESTIONS)
