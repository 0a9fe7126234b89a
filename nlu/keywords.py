"""Keyword lists read deterministically: distress, yes/no, "don't know" and "skip", in Arabic, Arabizi and English."""

from __future__ import annotations

import re

from nlu.text import menu_choice, normalise_for_matching

# Each list is written in folded form (see nlu.text.fold): ا for أ/إ/آ, ي for ى, ه for ة.
#: Words that mean a person may be in danger or crisis; any of them hands the chat to a person.
DISTRESS = (
    "انتحار",
    "انتحر",
    "بنتحر",
    "رح انتحر",
    "بدي موت",
    "بدي اموت",
    "اريد ان اموت",
    "اريد الموت",
    "بدي اقتل حالي",
    "بدي اقتل نفسي",
    "اقتل نفسي",
    "ما بدي عيش",
    "مابدي عيش",
    "ما عاد بدي عيش",
    "تعذيب",
    "عذبوني",
    "عذبوه",
    "يعذبوه",
    "اغتصاب",
    "اغتصبوني",
    "مهدد",
    "عم يهددوني",
    "يهددوني",
    "خطف",
    "خطفوه",
    "ابتزاز",
    "يبتزوني",
    "suicide",
    "suicidal",
    "kill myself",
    "killing myself",
    "want to die",
    "wanna die",
    "end my life",
    "tortured",
    "torture",
    "raped",
    "threatening me",
    "being threatened",
    "blackmail",
    "extortion",
    "kidnapped",
    "bdi moot",
    "badi mout",
    "bade mut",
    "bdi mut",
    "ente7ar",
    "inti7ar",
    "3azabooh",
    "ta3zeeb",
    "ta3zib",
)

#: Parts of words without which a message is not a request to erase data: the verbs (delete,
#: wipe, remove, forget) and the things erased (my data, my number, my request). The model's
#: delete_data is kept only when one of these is in the message, so a name answered mid-form
#: is never taken for an erasure request. Every delete_data example in the training and held-out
#: data has one (tests/nlu/test_keywords_lexicon.py), and no name in data/names/ does.
ERASURE_WORDS = (
    "حذف", "مسح", "محو", "امحو", "تمحو", "شيل", "ازال", "ازيل", "تحتفظ", "تضل",
    "معلومات", "بيانات", "رقمي", "سجل", "طلبي", "الطلب",
    "delete", "erase", "remove", "wipe", "clear", "forget", "rid of", "deleted",
    "data", "info", "detail", "record", "number",
    "7zef", "7thef", "7ze", "m7o", "msa7", "mse7", "ma3lom", "bayan",
)
_ERASURE_F = tuple(normalise_for_matching(w) for w in ERASURE_WORDS)

_YES = {
    "نعم", "اي", "ايه", "ايوه", "ايوا", "اكيد", "تمام", "صح", "صحيح", "موافق", "موافقه", "طبعا",
    "ماشي", "اوكي", "اوك", "يب", "بلى", "اجل", "مزبوط", "مظبوط", "منيح", "تمام التمام",
    "yes", "yeah", "yep", "yup", "y", "ok", "okay", "sure", "correct", "right", "agree",
    "i agree", "of course", "aywa", "aiwa", "eh", "ah", "na3am", "akid", "akeed", "tamam",
    "sa7", "sah", "mwafe2", "mashi", "tmam",
}
_NO = {
    "لا", "لأ", "لاء", "كلا", "غلط", "خطا", "مش صح", "مو صح", "مو مزبوط", "مش موافق", "ما بدي",
    "مابدي", "لا شكرا", "ابدا", "no", "nope", "nah", "n", "wrong", "not correct", "incorrect",
    "la", "la2", "laa", "lae", "mish sa7", "mo sa7", "ma badi", "mabadi", "no thanks",
}
_UNKNOWN = {
    "ما بعرف", "مابعرف", "ما بعرفها", "ما بعرفه", "لا اعرف", "لا اعلم", "لا ادري", "مش عارف",
    "مو عارف", "ما بعرف والله", "ما في", "مافي", "مجهول", "غير معروف", "ما منعرف", "منعرفش",
    "ما بتذكر", "مابتذكر", "لا اتذكر", "ما عندي", "ماعندي", "لا يوجد",
    "don't know", "dont know", "do not know", "i don't know", "i dont know", "idk", "unknown",
    "not sure", "no idea", "don't remember", "dont remember", "none", "n/a", "na",
    "ma ba3ref", "mab3ref", "ma b3rf", "mb3rf", "ma ba3rif", "ma b3ref", "ma fi", "mafi",
}
_SKIP = {
    "تخطي", "تخطى", "تجاوز", "بلا", "لا شي", "لا شيء", "ولا شي", "مش مهم", "مو مهم", "بعدين",
    "skip", "pass", "nothing", "later", "no", "لا", "la", "la2",
}


#: "I don't want to talk about this": a pause in the middle of a form, never an opt-out.
_REFUSAL = {
    "ما بدي احكي", "مابدي احكي", "ما بدي احكي بهالموضوع", "ما بدي احكي عن هالموضوع", "ما بدي اتكلم",
    "مابدي اتكلم", "ما بدي جاوب", "مابدي جاوب", "ما بدي قول", "لا اريد التحدث", "لا اريد الحديث",
    "لا اريد التكلم", "لا اريد الاجابه", "لا ارغب بالحديث", "لا ارغب في الحديث", "مش قادر احكي",
    "مو قادر احكي", "ما بقدر احكي", "مابقدر احكي", "بعدين بحكي", "مش هلق", "مو هلق",
    "i don't want to talk", "i dont want to talk", "don't want to talk", "dont want to talk",
    "i don't want to answer", "i dont want to answer", "i can't talk about this", "i cant talk about this",
    "not now", "i'd rather not say", "rather not say", "i can't do this", "i cant do this",
    "ma badi e7ki", "mabadi e7ki", "ma bde e7ki", "ma bdi e7ki", "mabde e7ke", "ma badi 2ol", "mesh halla2",
}


def _folded(words: set[str] | tuple[str, ...]) -> frozenset[str]:
    return frozenset(normalise_for_matching(w) for w in words)


_YES_F, _NO_F, _UNKNOWN_F, _SKIP_F, _DISTRESS_F = (
    _folded(_YES), _folded(_NO), _folded(_UNKNOWN), _folded(_SKIP), _folded(DISTRESS)
)
_REFUSAL_F = _folded(_REFUSAL)
_NO_PHRASES = _folded({"مش صح", "مو صح", "غلط", "not correct", "wrong"})


def _clean(text: str) -> str:
    return normalise_for_matching(re.sub(r"[.!?,;:؟،]+", " ", text)).strip()


def _has_phrase(text: str, phrases: frozenset[str]) -> bool:
    padded = f" {text} "
    return any(f" {p} " in padded for p in phrases)


def has_distress(text: str) -> bool:
    """True when the message contains a distress word or phrase (any script)."""
    clean = _clean(text)
    return _has_phrase(clean, _DISTRESS_F) or any(len(p) >= 6 and p in clean for p in _DISTRESS_F)


def yes_no(text: str) -> bool | None:
    """True for yes (also "1"), False for no (also "2"), None when the message is neither."""
    choice = menu_choice(text)
    if choice == 1:
        return True
    if choice == 2:
        return False
    clean = _clean(text)
    if not clean:
        return None
    if clean in _NO_F or _has_phrase(clean, _NO_PHRASES):
        return False
    if clean in _YES_F:
        return True
    words = clean.split()
    if words and words[0] in _NO_F and len(words) <= 3:
        return False
    if words and words[0] in _YES_F and len(words) <= 4:
        return True
    return None


def is_unknown(text: str) -> bool:
    """True when the message says the person does not know ("ما بعرف", "don't know")."""
    clean = _clean(text).replace("’", "'")
    return clean in _UNKNOWN_F or _has_phrase(clean, _UNKNOWN_F)


def is_skip(text: str) -> bool:
    """True when the message declines an optional question ("skip", "لا", "تخطي")."""
    clean = _clean(text)
    return clean in _SKIP_F or is_unknown(text)


def asks_erasure(text: str) -> bool:
    """True when the message has a word of an erasure request (see ERASURE_WORDS)."""
    clean = _clean(text)
    return any(word in clean for word in _ERASURE_F)


def is_refusal(text: str) -> bool:
    """True when the message declines to go on talking ("ما بدي احكي بهالموضوع", "I don't want to talk")."""
    clean = _clean(text).replace("’", "'")
    return clean in _REFUSAL_F or _has_phrase(clean, _REFUSAL_F)
