"""Reading form answers as people write them: the name in a sentence, years and ages, the searcher's role. Pure.

"ابوه عبدالقادر الله يرحمو" is the father عبدالقادر; "انا امو، اسمي سوسن" is the mother سوسن
typed by the mother herself; "مواليد ٨٢" is 1982. Each reader returns a :class:`Reading`: the
value, the raw text beside it (kept for operators), and whether the reading is sure. An unsure
reading is confirmed with the person in one short question instead of being stored as it is.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from nlu.keywords import is_unknown
from nlu.lexicon import LATIN_LABELS, find_relationship
from nlu.text import ascii_digits, extract_year, normalise_for_matching

#: What the readers return for "I don't know" (the forms' UNKNOWN).
UNKNOWN = "-"


@dataclass(frozen=True)
class Reading:
    """A value read from an answer: ``value`` (None when nothing could be read), the ``raw`` text,
    ``sure`` (False: ask the person to confirm), and the searcher's ``role`` when the answer said it."""

    value: str | int | None
    raw: str
    sure: bool = True
    role: str | None = None


def _f(words: str) -> frozenset[str]:
    return frozenset(normalise_for_matching(w) for w in words.split())


# Prayers and blessings said after a name ("الله يرحمو": God rest him). Folded, matched as phrases.
_PRAYERS = tuple(
    normalise_for_matching(p)
    for p in (
        "الله يرحمو", "الله يرحمه", "الله يرحمها", "الله يرحمهم", "الله يرحمك", "رحمه الله", "رحمها الله",
        "يرحمه الله", "يرحمو الله", "الله يرحم", "الله يفك اسره", "الله يفك اسرو", "الله يفك اسرها",
        "فك الله اسره", "فك الله اسرها", "الله يفرج عنه", "الله يفرج عنو", "الله يفرج عنها", "الله يفرجها",
        "الله يحميه", "الله يحميها", "الله يحميه", "الله يحفظه", "الله يحفظو", "الله يحفظها", "حفظه الله",
        "حفظها الله", "الله يسلمه", "الله يسلمو", "الله يخليه", "الله يخليها", "الله يطول عمره",
        "الله يطول بعمرو", "ان شاء الله", "انشالله", "انشاء الله", "الله يرده", "الله يردو", "الله يرجعه",
        "الله يرجعو", "الله يرجعها", "الله يجمعنا فيه", "الله كريم", "الحمد لله", "والله",
        "allah yer7amo", "allah yer7amou", "allah yir7amo", "alla yer7amo", "allah yerhamo", "allah yerhamu",
        "allah yer7ama", "allah yfek asro", "allah y7meeh", "allah ye7meeh", "allah yrdo", "inshallah",
        "insha allah", "rahimahullah", "rahimahu allah", "god rest his soul", "god rest her soul",
        "god rest him", "god rest her", "god bless him", "god bless her", "god protect him",
        "may god have mercy on him", "may god have mercy on her", "may he rest in peace",
        "may she rest in peace", "rest in peace", "rip", "god willing", "may god free him",
        "may god bring him back", "wallah",
    )
)

# Titles before a name: the pilgrim, the sheikh, the doctor, the late, the martyr.
_HONORIFICS = _f(
    "الحاج الحاجه الحجه حجي الحجي الشيخ شيخ الدكتور دكتور د. د الاستاذ استاذ الاستاذه المهندس مهندس "
    "المرحوم المرحومه مرحوم الشهيد الشهيده السيد السيده الست ست سيد "
    "haj hajj hajji haji hajjeh hajje sheikh shaikh sheik dr dr. doctor mr mr. mrs mrs. ms ms. miss "
    "late eng eng. ustaz ustaz. martyr shahid el-haj elhaj al-haj"
)

# Words that introduce a name ("اسمي سوسن", "his name is", "esmo"): the name follows them.
_INTRO = _f(
    "اسمي اسمه اسمو اسمها اسما اسم اسمهو إسمه إسمي اسمك "
    "name name's named called ismi esmi ismo esmo isma esma esmha ismha esmu"
)

# Words around a name that are not part of it: pronouns, roles, fillers, the kunya's words.
_FILLERS = _f(
    "انا هو هي هوي هيي اسمه كان كانت يعني يا هاد هاي هذا هذه هاد ابوه ابوها ابو امه امها امو ام "
    "والده والدها والدته والدتها والدو والدتو ابوي ابي امي اخوي اخي اختي اخوه اخوها اخته اختها "
    "ابني ابنه ابنها ابنو بنتي بنته بنتها بنتو زوجي زوجتي جوزي مرتي زوجها زوجته جوزها مرتو "
    "الاب الام الوالد الوالده الابن اخو خيو اختو خيي عمي خالي "
    "i i'm im am is it's its his her my the he she was me this that's thats father's mother's "
    "father mother dad mom mum son brother sister wife husband daughter name's "
    "ana howe huwe hiye hiya abouh abuh aboh abou abo abu emmo emma ommo omo em um umm oum ibni "
    "ebni akhi a5i akhoy a5oy ukhti o5ti okhti jozi zawji baba mama"
)

# A kunya: "أبو محمد", "أم أحمد", "abu mhd" (the word and the child's name after it).
_KUNYA_WORDS = _f("ابو ام abu abou abo um umm oum em emm")

# Words that show a sentence rather than a name (unsure: confirm before storing).
_SENTENCE_WORDS = _f(
    "في من عن مع لما بس كان كانت مش مو ما لا هلق اليوم مبارح بدي عم رح اعتقل اعتقلوه اعتقلوها "
    "سجن السجن مفقود عندي عنا الي اللي "
    "in on from at with when but was not no now today yesterday want detained arrested prison missing "
    "have has had who which"
)

# "اسمي رنا وأنا أخته": "and I" starts another clause.
_AND_I = re.compile(r"(?i)\s(?:وانا|وأنا|وإنا|and i(?:'m| am)?|w ana|wana)\s")
_SPLIT = re.compile(r"[،,.;:!?؟؛\n()\[\]\"«»/|]+")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


def _tokens(clause: str) -> list[str]:
    return [t for t in clause.split() if t.strip("-'’")]


def _fold(token: str) -> str:
    return normalise_for_matching(token.strip("-'’"))


# Verbs of a wish after "الله" ("الله يطول بعمرها"); not يوسف or يحيى after عبد الله.
_PRAYER_VERB = re.compile(
    r"^(?:ي(?:رحم|فك|فرج|حمي|حفظ|سلم|خلي|طول|رد|رجع|جمع|عطي|سامح|تقبل|وفق|عين|صبر|هدي|شفي|رضي|فكه|كون)|"
    r"y(?:e|i)?(?:r7|rh|fek|fok|fk|7m|7f|hm|hf|rd|rj|sal|khal|5al|twl|6awel)|bless|protect|keep|have|free|rest)"
)


def _remove_prayers(text: str) -> str:
    """The text without prayer phrases (word-aligned, in folded form, the original spelling kept)."""
    words = text.split()
    folded = [_fold(w) for w in words]
    keep = [True] * len(words)
    for prayer in _PRAYERS:
        parts = prayer.split()
        n = len(parts)
        for i in range(len(words) - n + 1):
            if folded[i : i + n] == parts:
                for j in range(i, i + n):
                    keep[j] = False
    # "الله يطول بعمرها", "allah y7meeh": God and a verb of wishing end the clause's name.
    for i in range(len(words) - 1):
        if folded[i] in ("الله", "allah", "alla", "god", "may") and _PRAYER_VERB.match(folded[i + 1]):
            for j in range(i, len(words)):
                if re.search(r"[،,.;:!?؟؛]", words[j - 1] if j > i else ""):
                    break
                keep[j] = False
    return " ".join(w for w, k in zip(words, keep, strict=True) if k)


def _strip_kunya(tokens: list[str]) -> tuple[list[str], bool]:
    """Tokens without a kunya pair when other name words remain; (tokens, whether one was dropped)."""
    for i, token in enumerate(tokens[:-1]):
        if _fold(token) in _KUNYA_WORDS:
            rest = tokens[:i] + tokens[i + 2 :]
            if any(_fold(t) not in _FILLERS for t in rest):
                return rest, True
    return tokens, False


def _name_words(tokens: list[str]) -> list[str]:
    """Name words of a clause: fillers dropped from both ends, honorifics from the start ("السيد" ends names too)."""
    words = [t.strip("-'’") for t in tokens]
    # Leading fillers and titles go, but a kunya's first word stops it ("ابو محمد" is read whole, then dropped).
    while words and (
        _fold(words[0]) in _HONORIFICS
        or (_fold(words[0]) in _FILLERS and not (_fold(words[0]) in _KUNYA_WORDS and len(words) >= 2))
    ):
        words = words[1:]
    while words and _fold(words[-1]) in _FILLERS:
        words = words[:-1]
    return words


def read_name(text: str, *, kunya_allowed: bool = False, allow_unknown: bool = True) -> Reading:
    """The name in an answer: prayers, honorifics, lead-ins and (unless ``kunya_allowed``) a kunya removed.

    A clause with "اسمي"/"اسمه"/"name is" wins; otherwise the clause that has name words left.
    The reading is unsure when the words left look like a sentence, or only a kunya is left.
    """
    raw = " ".join((text or "").split())
    role = said_role(raw)
    if allow_unknown and is_unknown(raw):
        return Reading(UNKNOWN, raw, True, role)
    cleaned = _AND_I.sub(",", _remove_prayers(raw))
    clauses = [c for c in _SPLIT.split(cleaned) if c.strip()]
    candidates: list[list[str]] = []
    for clause in clauses:
        tokens = _tokens(clause)
        folded = [_fold(t) for t in tokens]
        intro = [i for i, f in enumerate(folded) if f in _INTRO or (f.startswith("و") and f[1:] in _INTRO)]
        if intro:
            after = tokens[intro[-1] + 1 :]
            if after and _fold(after[0]) in ("is", "هو", "هي"):
                after = after[1:]
            words = _name_words(after)
            if words:
                candidates.insert(0, words)
                continue
        words = _name_words(tokens)
        if words:
            candidates.append(words)
    if not candidates:
        return Reading(None, raw, True, role)
    if len(candidates) > 1:
        # "الحاج عبدالقادر (ابو محمد)": the clause that is only a kunya is not the name.
        named = [c for c in candidates if not (len(c) == 2 and _fold(c[0]) in _KUNYA_WORDS)]
        candidates = named or candidates
    words = candidates[0]
    kunya_only = False
    if not kunya_allowed:
        words, _dropped = _strip_kunya(words)
        # "أبو بكر" is a given name, not a kunya.
        kunya_only = len(words) == 2 and _fold(words[0]) in _KUNYA_WORDS and not is_given_name(" ".join(words))
    letters = sum(len(_LETTER.findall(w)) for w in words)
    if letters < 2:
        return Reading(None, raw, True, role)
    value = " ".join(words)[:200]
    sentence = any(_fold(w) in _SENTENCE_WORDS for w in words) or len(words) > 7
    sure = not sentence and not kunya_only and (len(candidates) == 1 or _has_intro(raw))
    return Reading(value, raw, sure, role)


def _has_intro(text: str) -> bool:
    return any(_fold(t) in _INTRO for t in text.split())


# ---------------------------------------------------------------- years and ages

_YEAR_CUE = re.compile(
    r"(?i)(?:مواليد|مواليد سنه|مواليد سنة|من مواليد|مواليد عام|تولد|تولدو|مولود|مولوده|مولودة|سنه|سنة|عام|"
    r"born|b\.|year|class of|mwaleed|mawaleed|mawalid|mwalid|mawaled|twallod)\s*(?:ال|الـ|في|in|sanet|sene|'|’)?\s*'?(\d{2})(?!\d)"
)
_APOSTROPHE_YEAR = re.compile(r"['’‘](\d{2})(?!\d)")
_AGE_CUE = re.compile(
    r"(?i)(?:عمره|عمرها|عمرو|عمري|عمر|العمر|age|aged|3omro|3emro|omro|3omra|3emra)\s*(?:is|حوالي|تقريبا|تقريباً|around|about|approx\.?|~)?\s*(\d{1,3})(?!\d)"
    r"|(\d{1,3})\s*(?:سنه|سنة|سنين|سنوات|عام|years?|yrs?|y/o|yo|sneh|sene|seneh|snin)(?![a-z])"
)
_BARE_NUMBER = re.compile(r"^\D*?(\d{2,4})\D*$")
_TENS = {
    "عشرين": 20, "تلاتين": 30, "ثلاثين": 30, "اربعين": 40, "خمسين": 50, "ستين": 60, "سبعين": 70,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
}
_DETAINED_CUE = re.compile(r"(?i)(اعتقل|انعتقل|اخدوه|اخذوه|لما|وقت|detained|arrested|taken|when)")


def _year_from_two(two: int, this_year: int) -> int:
    century = 2000 if two <= this_year % 100 - 10 else 1900
    return century + two


def read_birth_year(text: str, *, today: dt.date | None = None) -> Reading:
    """A birth year from a year ("1985", "مواليد ٨٢", "'82", "around 1980"), an age ("عمره 35",
    "35 سنة", "خمسين"), or an age at detention with its year ("كان عمره 25 لما اعتقلوه 2013")."""
    raw = " ".join((text or "").split())
    this_year = (today or dt.date.today()).year
    if is_unknown(raw):
        return Reading(UNKNOWN, raw)
    plain = ascii_digits(raw)
    age_match = _AGE_CUE.search(plain)
    age = int(age_match.group(1) or age_match.group(2)) if age_match else None
    year = extract_year(plain)
    if year is not None and age is not None and _DETAINED_CUE.search(plain):
        born = year - age
        return Reading(born, raw, 1900 <= born <= this_year - 10) if 1900 <= born <= this_year - 10 else Reading(None, raw)
    if year is not None:
        return Reading(year, raw) if 1900 <= year <= this_year - 10 else Reading(None, raw)
    cue = _YEAR_CUE.search(plain) or _APOSTROPHE_YEAR.search(plain)
    if cue:
        return Reading(_year_from_two(int(cue.group(1)), this_year), raw)
    if age is not None:
        return Reading(this_year - age, raw) if 10 <= age <= 110 else Reading(None, raw)
    folded = normalise_for_matching(raw)
    for word, tens in _TENS.items():
        if word in folded.split():
            return Reading(this_year - tens, raw, bool(re.search(r"سن|عمر|year|age", folded)))
    bare = _BARE_NUMBER.match(plain)
    if bare and len(bare.group(1)) == 2:
        number = int(bare.group(1))
        if number >= 60:
            return Reading(1900 + number, raw)
        if number >= 40:
            # "45" is an age or '45: read as the year, and confirmed with the person.
            return Reading(1900 + number, raw, False)
        if number >= 10:
            return Reading(this_year - number, raw)
    return Reading(None, raw)


# ---------------------------------------------------------------- the searcher's role

#: The searcher's role towards the person sought, as the released person would hear it:
#: key -> (Arabic "your …", English "your …", Arabic noun, English noun, female).
ROLES: dict[str, tuple[str, str, str, str, bool]] = {
    "mother": ("والدتك", "your mother", "الأم", "mother", True),
    "father": ("والدك", "your father", "الأب", "father", False),
    "parent": ("أحد والديك", "your parent", "أحد الوالدين", "parent", False),
    "brother": ("أخوك", "your brother", "الأخ", "brother", False),
    "sister": ("أختك", "your sister", "الأخت", "sister", True),
    "sibling": ("أخوك أو أختك", "your brother or sister", "أخ أو أخت", "brother or sister", False),
    "wife": ("زوجتك", "your wife", "الزوجة", "wife", True),
    "husband": ("زوجك", "your husband", "الزوج", "husband", False),
    "spouse": ("زوجك أو زوجتك", "your spouse", "الزوج أو الزوجة", "spouse", False),
    "son": ("ابنك", "your son", "الابن", "son", False),
    "daughter": ("ابنتك", "your daughter", "الابنة", "daughter", True),
    "child": ("ابنك أو ابنتك", "your child", "ابن أو ابنة", "child", False),
    "uncle": ("عمك أو خالك", "your uncle", "العم أو الخال", "uncle", False),
    "aunt": ("عمتك أو خالتك", "your aunt", "العمة أو الخالة", "aunt", True),
    "nephew": ("ابن أخيك أو أختك", "your nephew or niece", "ابن الأخ أو الأخت", "nephew or niece", False),
    "cousin": ("ابن عمك أو خالك", "your cousin", "ابن العم أو الخال", "cousin", False),
    "grandparent": ("جدك أو جدتك", "your grandparent", "الجد أو الجدة", "grandparent", False),
    "grandchild": ("حفيدك", "your grandchild", "الحفيد", "grandchild", False),
    "fiance": ("خطيبك أو خطيبتك", "your fiancé(e)", "الخطيب", "fiancé(e)", False),
    "friend": ("صديقك", "your friend", "صديق", "friend", False),
    "relative": ("أحد أقاربك", "a relative of yours", "قريب", "relative", False),
}

# The searcher names their own role: "انا امو", "أمه", "his mother", "ana emmo".
_SELF_ROLES: dict[str, tuple[str, ...]] = {
    "mother": ("امه", "امو", "امها", "والدته", "والدتها", "والدتو", "his mother", "her mother", "emmo", "emma", "ommo", "immo", "ommha", "emmha"),
    "father": ("ابوه", "ابوها", "ابوو", "بيو", "بيه", "والده", "والدها", "والدو", "his father", "her father", "his dad", "her dad", "abouh", "abuh", "aboh", "bayyo", "bayo"),
    "brother": ("اخوه", "اخوها", "خيو", "خيه", "اخو", "his brother", "her brother", "akhoh", "a5oh", "a5ouh", "khayyo", "5ayyo"),
    "sister": ("اخته", "اختها", "اختو", "his sister", "her sister", "ekhto", "e5to", "okhto", "o5to", "ekhta", "e5ta"),
    "wife": ("زوجته", "مرته", "مرتو", "his wife", "marto", "marteh", "zawjto", "zawjeto"),
    "husband": ("زوجها", "جوزها", "her husband", "jozha", "jawzha", "zawjha"),
    "son": ("ابنه", "ابنو", "ابنها", "his son", "her son", "ebno", "ibno", "ebna", "ibna"),
    "daughter": ("بنته", "بنتو", "بنتها", "ابنته", "ابنتها", "his daughter", "her daughter", "bento", "binto", "benta", "binta"),
    "uncle": ("عمه", "عمو", "خاله", "خالو", "عمها", "خالها", "his uncle", "her uncle"),
    "aunt": ("عمته", "عمتو", "خالته", "خالتو", "عمتها", "خالتها", "his aunt", "her aunt"),
    "cousin": ("ابن عمه", "ابن عمو", "ابن خاله", "ابن خالو", "بنت عمه", "بنت عمو", "his cousin", "her cousin"),
}
_SELF_INDEX = sorted(
    ((normalise_for_matching(s), key) for key, spellings in _SELF_ROLES.items() for s in spellings),
    key=lambda p: -len(p[0]),
)

# The lexicon names the person sought ("ابني": my son); the searcher's role is its converse.
_CONVERSE = {
    "son": "parent", "daughter": "parent", "brother": "sibling", "sister": "sibling",
    "father": "child", "mother": "child", "husband": "wife", "wife": "husband", "uncle": "nephew",
    "aunt": "nephew", "cousin": "cousin", "grandson": "grandparent", "nephew": "uncle",
    "fiance": "fiance", "friend": "friend", "relative": "relative",
}
_FEMALE_OF = {"parent": "mother", "sibling": "sister", "child": "daughter", "spouse": "wife"}
_MALE_OF = {"parent": "father", "sibling": "brother", "child": "son", "spouse": "husband"}
_PUNCT = re.compile(r"[-'’.,!?;:()\"،؟؛]")


def read_role(text: str, *, searcher_female: bool | None = None) -> str | None:
    """The searcher's role towards the person sought (a :data:`ROLES` key), or None.

    "انا امو" / "his mother" name the role itself; "ابني" / "my brother" name the person sought,
    whose converse is taken (parent, sibling), made mother/father… when the searcher's gender is known.
    """
    padded = f" {normalise_for_matching(_PUNCT.sub(' ', text or ''))} "
    for spelling, key in _SELF_INDEX:
        if f" {spelling} " in padded:
            return key
    sought = find_relationship(text or "")
    if sought is None or sought == "self":
        return None
    role = _CONVERSE.get(sought)
    if role is None:
        return None
    if searcher_female is True:
        return _FEMALE_OF.get(role, role)
    if searcher_female is False:
        return _MALE_OF.get(role, role)
    return role


_I_AM = _f("انا وانا i'm im i ana ane wana")


def said_role(text: str) -> str | None:
    """The searcher's role when an answer says it of the searcher ("انا امو", "I'm Sami, his brother"), else None.

    "امو سوسن" (his mother is Sawsan) names the mother, not the searcher: "انا"/"I am" must be in
    the answer, and the role must end its clause (not be followed by someone's name).
    """
    clauses = [_PUNCT.sub(" ", c) for c in re.split(r"[،,.;:!?؟؛\n]+|\s(?=وانا|وأنا)", text or "")]
    folded = [[_fold(w) for w in c.split()] for c in clauses]
    if not any(w in _I_AM or w == "وانا" for words in folded for w in words):
        return None
    for words in folded:
        for start in range(len(words)):
            tail = " ".join(words[start:])
            after_i = start > 0 and (words[start - 1] in _I_AM or words[start - 1] in ("am", "وانا"))
            for spelling, key in _SELF_INDEX:
                # "انا امه واسمي فاطمة": right after "I am"; "I'm Sami, his brother": ending a clause.
                if tail == spelling or (after_i and (tail + " ").startswith(spelling + " ")):
                    return key
    return None


def refine_role(role: str | None, searcher_female: bool | None) -> str | None:
    """A neutral role (parent, sibling…) made gendered once the searcher's gender is known."""
    if role is None or searcher_female is None:
        return role
    return (_FEMALE_OF if searcher_female else _MALE_OF).get(role, role)


def read_relationship(text: str, *, searcher_female: bool | None = None) -> Reading:
    """The answer to "how are you related?": a role key, or the words as written (unsure)."""
    raw = " ".join((text or "").split())
    role = read_role(raw, searcher_female=searcher_female)
    if role:
        return Reading(role, raw, True, role)
    if is_unknown(raw):
        return Reading(None, raw)
    letters = len(_LETTER.findall(raw))
    return Reading(raw[:100], raw, False) if letters >= 2 else Reading(None, raw)


def role_female(role: str | None) -> bool | None:
    """True for a woman's role (mother, sister…), False for a man's, None when neutral or unknown."""
    if role not in ROLES:
        return None
    if role in ("parent", "sibling", "spouse", "child", "nephew", "grandparent", "fiance", "friend", "relative", "cousin", "grandchild"):
        return None
    return ROLES[role][4]


def role_label(role: str, language: str, *, to_survivor: bool = False) -> str:
    """The role's words: "your mother"/"والدتك" told to the released person, else "mother"/"الأم"."""
    ar_you, en_you, ar, en, _female = ROLES[role]
    if to_survivor:
        return en_you if language in LATIN_LABELS else ar_you
    return en if language in LATIN_LABELS else ar


# ---------------------------------------------------------------- the searcher's gender from a name

_NAMES = Path(__file__).resolve().parents[1] / "data" / "names"


def _given_names(file: str) -> frozenset[str]:
    path = _NAMES / file
    if not path.exists():
        return frozenset()
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        columns = line.split("\t")
        spellings = [columns[0], *(s for c in columns[1:] for s in c.split("|"))]
        names |= {normalise_for_matching(s) for s in spellings if s.strip()}
    return frozenset(names)


_FEMALE_NAMES: frozenset[str] | None = None
_MALE_NAMES: frozenset[str] | None = None


def _load_names() -> tuple[frozenset[str], frozenset[str]]:
    global _FEMALE_NAMES, _MALE_NAMES
    if _FEMALE_NAMES is None or _MALE_NAMES is None:
        _FEMALE_NAMES, _MALE_NAMES = _given_names("given_female.tsv"), _given_names("given_male.tsv")
    return _FEMALE_NAMES, _MALE_NAMES


def is_given_name(text: str) -> bool:
    """True when the whole text is a given name of data/names/ in any of its spellings ("أبو بكر")."""
    female, male = _load_names()
    key = normalise_for_matching(text)
    return key in female or key in male


def name_is_female(name: str | None) -> bool | None:
    """True when the first word is a woman's given name in data/names/, False for a man's, None if unknown or both."""
    if not name:
        return None
    females, males = _load_names()
    first = normalise_for_matching(name.split()[0]) if name.split() else ""
    female, male = first in females, first in males
    if female == male:
        return None
    return female
