"""Words an intent needs before the model's guess is believed: a person asked for, messages stopped, a search.

The classifier reads names and everyday messages as intents now and then ("محمد الجمال" as
request_human, "لماذا تم إلغاء طلبي؟" as stop). These intents change what happens to a family, so
nlu.components.KeywordIntentRules keeps them only when the message has one of these words.
"""

from __future__ import annotations

import re

from nlu.lexicon import find_relationship
from nlu.text import normalise_for_matching

#: Asking for a person: "بدي احكي مع شخص", "talk to a person", "موظف", "bde 7ada".
HUMAN_WORDS = (
    "شخص", "انسان", "بني ادم", "موظف=", "موظفه=", "متطوع", "متطوعه", "حدا", "احد", "مسؤول", "الادمن",
    "ادمن", "دعم", "خدمه العملاء", "حقيقي", "اتصل", "اتصلوا", "تتصلوا", "اكلم", "احكي مع",
    "كلموني", "تواصل معي", "حكيني", "حاكيني", "رقم تلفون", "رقمكم",
    "person", "human", "agent", "operator", "someone", "somebody", "staff", "volunteer",
    "representative", "call me", "phone call", "talk to", "speak to", "speak with", "talk with",
    "7ada", "7adan", "shakhes", "sha5es", "shakhs", "insan", "mowazaf", "muwazzaf", "e7ki ma3", "ehki ma3",
    "e7ke ma3", "بشري لو", "مكالمه", "احكوني", "تلفون", "هاتف",
)

#: Stopping messages: "ما بدي رسائل", "وقفوا الرسايل", "unsubscribe". Not "cancel" alone.
STOP_WORDS = (
    "رسائل", "رسايل", "رساله", "رسالات", "مسجات", "مسج", "اشتراك=", "الاشتراك", "القائمه", "قائمه",
    "تبعتو", "تبعتولي", "تبعتلي", "تبعتوا", "ترسلوا", "ترسل لي", "ترسلو", "تراسلوني", "تراسلني",
    "توقف", "اوقف", "وقفوا", "وقفو", "بطلوا", "بطلو", "كفى", "شيلوني", "ازعاج", "تزعجوني",
    "stop", "unsubscribe", "message", "messages", "messaging", "text me", "texting", "texts", "opt out",
    "opt-out", "leave me alone", "contact me", "write to me", "spam",
    "rasa2el", "rasayel", "rasa2il", "rsayel", "msgs", "tba3tuli", "tba3tu", "wa2ef", "wa2fo", "wa2fu",
    "ما عاد بدي شي", "وقف", "ايقاف",
)

#: A person sought or released: detention, prison, missing, release, searching, registering.
DOMAIN_WORDS = (
    "معتقل", "اعتقل", "اعتقال", "انعتقل", "سجن", "سجنو", "سجنت", "مسجون", "سجين", "حبس", "محبوس", "مفقود", "فقدنا",
    "فقدت", "اختفى", "اختفي", "مختفي", "مغيب", "غيبوه", "غايب", "افرج", "افراج", "مفرج", "اطلق سراح",
    "طلعت من", "طلع من", "خرجت من", "خرج من", "اخذوه", "اخدوه", "اخدوها", "اخذوها", "شالوه", "سحبوه",
    "طلعت", "طلعنا", "اهلي=", "لاهلي=", "اهلي يعرفوا", "يلاقوني", "يلاقيني", "عايش", "طمن", "سجل اسمي",
    "سجل حالي", "اسجل", "سجلني", "سجلوني", "سجل رقمي", "اسجل رقمي",
    "صيدنايا", "صدنايا", "عدرا", "فرع", "مخابرات", "امن الدوله", "حاجز", "ابحث", "بحث", "البحث",
    "ادور", "دور على", "دور ع", "بدور", "عم دور", "دوروا", "دورولي", "ساعدوني لاقي", "الاقي", "لاقي",
    "تلاقو", "تلاقوا", "اسمه", "اسمو", "اسمها", "اسماء", "قوائم", "قائمه", "نجيت", "خبر عن", "اخبار عن", "وين صار", "لقيتوه", "لقيتو", "المفقودين", "المعتقلين",
    "detain", "detained", "detainee", "detention", "prison", "prisoner", "jail", "jailed", "arrest",
    "arrested", "missing", "disappeared", "released", "release", "freed", "got out", "find", "search",
    "searching", "looking for", "look for", "locate", "trace", "his name", "her name", "register me",
    "register my", "register myself", "sign me up", "my family", "tle3et", "tle3t", "sajjel", "sajelni", "ahli",
    "la ahli", "d7ar", "saydnaya", "sednaya", "checkpoint", "whereabouts",
    "m3ta2al", "mo3ta2al", "mu3ta2al", "e3ta2alo", "i3ti2al", "e3te2al", "7abs", "7abes", "sejen", "sijn",
    "msjoon", "masjoon", "mafoud", "mafqood", "mafkoud", "tle3t", "tl3t", "tele3t", "tli3t", "dawer",
    "bdawer", "dawwer", "ndawer", "la2i", "al2a", "tla2o", "sednaya",
)

_PUNCT = re.compile(r"[-'’.,!?;:()\"،؟؛]")
_ARABIC_PREFIXES = ("وال", "بال", "فال", "لل", "ال", "و", "ب", "ف", "ل")


def _prepared(words: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(phrases found between word boundaries, short Arabic words matched whole after a prefix,
    Arabic stems of four letters or more a word may start with: "حدا" must not match حداد)."""
    phrases, exact, stems = [], [], []
    for word in words:
        folded = normalise_for_matching(word.rstrip("="))
        if word.endswith("="):  # "اهلي=": the whole word only, so اهلين (hello) is not اهلي (my family)
            exact.append(folded)
        elif " " in folded or not re.search(r"[\u0600-\u06ff]", folded):
            phrases.append(folded)
        elif len(folded) <= 3:
            exact.append(folded)
        else:
            stems.append(folded)
    return tuple(phrases), tuple(exact), tuple(stems)


_HUMAN, _STOP, _DOMAIN = _prepared(HUMAN_WORDS), _prepared(STOP_WORDS), _prepared(DOMAIN_WORDS)


def _has(text: str, table: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]) -> bool:
    phrases, exact, stems = table
    clean = normalise_for_matching(_PUNCT.sub(" ", text))
    padded = f" {clean} "
    if any(f" {p} " in padded for p in phrases):
        return True
    for word in clean.split():
        forms = [word] + [word[len(p) :] for p in _ARABIC_PREFIXES if word.startswith(p) and len(word) - len(p) >= 2]
        if any(form in exact for form in forms) or any(form.startswith(stem) for form in forms for stem in stems):
            return True
    return False


def asks_for_person(text: str) -> bool:
    """True when the message asks for a person ("بدي احكي مع شخص", "talk to a person")."""
    return _has(text, _HUMAN)


def asks_to_stop(text: str) -> bool:
    """True when the message is about stopping messages, not only a "cancel" about something else."""
    return _has(text, _STOP)


def has_domain_evidence(text: str) -> bool:
    """True when the message is about a person sought or released: detention, prison, a relative, searching."""
    found = find_relationship(text)
    return (found is not None and found != "self") or _has(text, _DOMAIN)
