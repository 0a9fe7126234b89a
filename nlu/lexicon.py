"""Governorates and family relationships in Arabic, Latin and Arabizi spellings, with lookups."""

from __future__ import annotations

import re
from functools import lru_cache

from nlu.text import normalise_for_matching

#: Syria's 14 governorates: the Arabic name, its English name, then other spellings.
GOVERNORATES: dict[str, tuple[str, ...]] = {
    "ريف دمشق": ("Rif Dimashq", "ريف الشام", "ريف", "Damascus Countryside", "Rural Damascus", "Reef Dimashq", "Rif Damascus", "reef el sham", "rif esh sham", "ghouta", "الغوطة", "دوما", "douma", "داريا", "daraya"),
    "دمشق": ("Damascus", "الشام", "دمشق", "Dimashq", "Damas", "sham", "el sham", "al sham", "esh sham", "dimashk"),
    "حمص": ("Homs", "Hims", "Hooms", "7oms", "7ims"),
    "حلب": ("Aleppo", "Halab", "Alep", "7alab", "7aleb", "haleb"),
    "درعا": ("Daraa", "Dar'a", "Deraa", "Dara", "dar3a", "der3a", "حوران", "horan", "hauran"),
    "حماة": ("Hama", "Hamah", "Hamaa", "7ama", "حماه"),
    "إدلب": ("Idlib", "Idleb", "Edlib", "Edleb", "ادلب"),
    "دير الزور": ("Deir ez-Zor", "Deir Ezzor", "Deir al-Zour", "Dayr al-Zawr", "Deir Alzour", "deir ezzor", "deir el zor", "deir alzor", "deir", "الدير", "دير الزور"),
    "اللاذقية": ("Latakia", "Lattakia", "Al-Ladhiqiyah", "Lattaquie", "lazkiye", "lathqiye", "اللادقية", "لاذقية"),
    "الحسكة": ("Hasakah", "Al-Hasakah", "Hassakeh", "Hasakeh", "hasake", "7asake", "الحسكه", "حسكة", "القامشلي", "qamishli"),
    "الرقة": ("Raqqa", "Al-Raqqa", "Rakka", "Raqa", "ra22a", "رقة"),
    "طرطوس": ("Tartus", "Tartous", "Tartos", "tartoos"),
    "القنيطرة": ("Quneitra", "Al-Qunaytirah", "Kuneitra", "qunaitra", "الجولان", "golan", "قنيطرة"),
    "السويداء": ("Suwayda", "As-Suwayda", "Sweida", "Soueida", "sweda", "swaida", "السويدا", "سويداء", "جبل العرب"),
}

#: Relationships a searcher gives: key -> (Arabic label, English label, spellings).
RELATIONSHIPS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "son": ("ابن", "son", ("ابني", "ابنى", "ابننا", "ولدي", "ابنها", "ابنه", "my son", "son", "ibni", "ebni", "ebne", "ibne", "walade", "waladi")),
    "daughter": ("ابنة", "daughter", ("بنتي", "ابنتي", "بنتنا", "my daughter", "daughter", "binti", "bente", "benti")),
    "brother": ("أخ", "brother", ("اخي", "أخي", "اخوي", "خيي", "اخونا", "اخوها", "اخوه", "my brother", "brother", "bro", "akhi", "a5i", "a5oy", "akhoy", "5ayye", "khayye", "a5ouye")),
    "sister": ("أخت", "sister", ("اختي", "أختي", "خيتي", "اختنا", "my sister", "sister", "okhti", "o5ti", "ekhti", "e5te", "5ayti")),
    "father": ("أب", "father", ("ابي", "أبي", "بابا", "ابوي", "والدي", "ابونا", "my father", "my dad", "father", "dad", "baba", "abi", "abouy", "abuy", "walidi")),
    "mother": ("أم", "mother", ("امي", "أمي", "ماما", "والدتي", "امنا", "my mother", "my mom", "my mum", "mother", "mom", "mum", "mama", "immi", "emmi", "ummi")),
    "husband": ("زوج", "husband", ("زوجي", "جوزي", "my husband", "husband", "zawji", "jozi", "jawzi", "juzi")),
    "wife": ("زوجة", "wife", ("زوجتي", "مرتي", "مراتي", "my wife", "wife", "zawjti", "zawjati", "marti", "mrati")),
    "uncle": ("عم أو خال", "uncle", ("عمي", "خالي", "عمو", "خالو", "my uncle", "uncle", "3ammi", "3amo", "khali", "5ali", "5alo")),
    "aunt": ("عمة أو خالة", "aunt", ("عمتي", "خالتي", "my aunt", "aunt", "3amti", "khalti", "5alti")),
    "cousin": ("ابن أو بنت العم أو الخال", "cousin", ("ابن عمي", "ابن خالي", "بنت عمي", "بنت خالي", "ابن عمتي", "ابن خالتي", "my cousin", "cousin", "ibn 3ammi", "ebn 3ami", "ibn khali", "ebn 5ali")),
    "grandson": ("حفيد", "grandchild", ("حفيدي", "حفيدتي", "my grandson", "my granddaughter", "grandson", "granddaughter", "7afidi")),
    "nephew": ("ابن الأخ أو الأخت", "nephew or niece", ("ابن اخي", "ابن اختي", "بنت اخي", "بنت اختي", "my nephew", "my niece", "nephew", "niece")),
    "fiance": ("خطيب", "fiancé", ("خطيبي", "خطيبتي", "my fiance", "my fiancé", "fiance", "khatibi", "5atibi")),
    "friend": ("صديق", "friend", ("صديقي", "رفيقي", "صاحبي", "جاري", "my friend", "friend", "neighbour", "neighbor", "sadi2i", "rfi2i", "sa7bi")),
    "relative": ("قريب", "relative", ("قريبي", "قريبنا", "من العيلة", "relative", "family member", "my relative", "2aribi")),
    "self": ("أنا", "myself", ("انا", "نفسي", "myself", "me", "ana")),
}


# Punctuation around or inside a place or relationship ("حمص؟", "Homs!", "Dar'a"): a word break.
_PUNCT = re.compile(r"[-'’.,!?;:()\"،؟؛]")


def _key(text: str) -> str:
    return normalise_for_matching(_PUNCT.sub(" ", text))


@lru_cache(maxsize=1)
def _governorate_index() -> list[tuple[str, str]]:
    pairs = []
    for name, spellings in GOVERNORATES.items():
        for spelling in (name, *spellings):
            pairs.append((_key(spelling), name))
    # Longest spellings first, so "ريف دمشق" wins over "دمشق".
    return sorted(set(pairs), key=lambda p: -len(p[0]))


@lru_cache(maxsize=1)
def _relationship_index() -> list[tuple[str, str]]:
    pairs = []
    for key, (_ar, _en, spellings) in RELATIONSHIPS.items():
        for spelling in spellings:
            pairs.append((_key(spelling), key))
    return sorted(set(pairs), key=lambda p: -len(p[0]))


def _find(text: str, index: list[tuple[str, str]]) -> str | None:
    padded = f" {_key(text)} "
    for spelling, value in index:
        if f" {spelling} " in padded:
            return value
    # Arabic prefixes: بحمص, من حلب written together, ومن درعا.
    for word in padded.split():
        for prefix in ("وال", "بال", "لل", "من", "ب", "و", "ل"):
            if word.startswith(prefix) and len(word) > len(prefix) + 2:
                rest = word[len(prefix) :]
                for spelling, value in index:
                    if rest == spelling or "ال" + rest == spelling:
                        return value
    return None


def find_governorate(text: str) -> str | None:
    """The governorate (its Arabic name) mentioned in the text, in any script, or None."""
    return _find(text, _governorate_index())


#: Reply languages written in Latin letters: Arabizi readers get the English names of governorates and
#: relationships (an Arabizi spelling of each would be one more thing to misread).
LATIN_LABELS = frozenset({"en", "az"})


def governorate_label(name: str, language: str) -> str:
    """The governorate's name in the reply language."""
    if language in LATIN_LABELS and name in GOVERNORATES:
        return GOVERNORATES[name][0]
    return name


def find_relationship(text: str) -> str | None:
    """The relationship key ("brother", "son", …) the text names, or None."""
    return _find(text, _relationship_index())


def relationship_label(key: str, language: str) -> str:
    """The relationship's label in the reply language."""
    ar, en, _ = RELATIONSHIPS[key]
    return en if language in LATIN_LABELS else ar


def lookup_entries() -> dict[str, list[str]]:
    """Every spelling, per lookup table, as written in the Rasa lookup tables."""
    governorates = sorted({s for name, sp in GOVERNORATES.items() for s in (name, *sp)})
    relationships = sorted({s for _a, _e, sp in RELATIONSHIPS.values() for s in sp})
    return {"governorate": governorates, "relationship": relationships}
