"""Cross-script keys and token similarity: consonant skeleton, phonetic alignment, variant lexicon."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from matching.names import parse_name
from matching.normalize import script_of

# Consonant classes. Letters that Latin spellings routinely confuse share a class:
# s/z/th/dh (س ص ث ز ذ ظ), k/q/kh (ك ق خ), t (ت ط), d (د ض), h (ح ه). Vowels, ا, ع and ء,
# and و / ي inside a word (long vowels) are dropped; initial و / ي are W / Y.
_ARABIC_CLASS = {
    "ب": "B", "ت": "T", "ث": "S", "ج": "J", "ح": "H", "خ": "K", "د": "D", "ذ": "S", "ر": "R",
    "ز": "S", "س": "S", "ش": "X", "ص": "S", "ض": "D", "ط": "T", "ظ": "S", "غ": "G", "ف": "F",
    "ق": "K", "ك": "K", "ل": "L", "م": "M", "ن": "N", "ه": "H",
}
# "dj" is the French spelling of ج (Djamel, Hadj).
_LATIN_DIGRAPHS = {"kh": "K", "gh": "G", "sh": "X", "ch": "X", "th": "S", "dh": "S", "ph": "F", "dj": "J"}
_LATIN_CLASS = {
    "b": "B", "p": "B", "t": "T", "d": "D", "s": "S", "z": "S", "j": "J", "g": "G", "h": "H",
    "k": "K", "q": "K", "c": "K", "f": "F", "v": "F", "l": "L", "m": "M", "n": "N", "r": "R",
    "x": "KS",
    # Arabizi digits: 7 ح, 5 خ, 6 ط, 8 ق, 9 ص (3 ع and 2 ء are dropped like the letters).
    "7": "H", "5": "K", "6": "T", "8": "K", "9": "S", "4": "X",
}


def _initial_ou(token: str) -> bool:
    """Latin "ou" + vowel at the start stands for و (Oualid = وليد), not for a vowel."""
    return len(token) > 3 and token.startswith("ou") and token[2] in "aeiy"


#: Symbols of a word's initial vowel, compared by quality: Latin â é í ú (a, e, i, o / u);
#: Arabic ª (ا or ع: any quality) and the long Â (عا: Arif = عارف), Ï and Ü (اي / عي, او / عو
#: read as one vowel, see _readings: Iman = إيمان). Latin may leave out an initial ا or ع
#: (Brahim, Smail), never a long one: dropping ª costs 0.15, dropping Â, Ï, Ü 0.45; a Latin
#: initial vowel against an Arabic consonant costs nothing, as before these symbols.
_INITIAL = frozenset("ªâéíúÂÏÜ")
_INITIAL_LATIN = {"a": "â", "e": "é", "i": "í", "o": "ú", "u": "ú"}
_LATIN_VOWEL_LETTERS = frozenset("aeiouy")


def _initial_vowel(token: str, out: list[str]) -> int:
    """Append the symbol of a Latin word's initial vowel and return where the rest starts; 0 and
    nothing appended when the word starts with a consonant or an Arabizi digit."""
    if not token or token[0] not in _INITIAL_LATIN:
        return 0  # a consonant, or Arabizi 2 / 3 (hamza, ayn) before the vowel: read as before
    two = token[:2]
    out.append("í" if two == "ee" else _INITIAL_LATIN[token[0]])  # Eesa
    return 2 if two in ("aa", "ee", "ou", "oo", "uu") else 1


def _open_syllable(token: str, k: int) -> bool:
    """One consonant (or digraph) at ``k`` followed by a vowel: "Hou-cine", "Zou-bida"."""
    if k >= len(token) or token[k] in _LATIN_VOWEL_LETTERS or token[k] == "w":
        return False
    step = 2 if token[k : k + 2] in _LATIN_DIGRAPHS else 1
    nxt = k + step
    if nxt == len(token) - 1 and token[nxt] == "e":
        return False  # a mute final e closes nothing: Hassoune = حسون
    return nxt < len(token) and token[nxt] in _LATIN_VOWEL_LETTERS and token[nxt - 1] != token[k - 1]


def _soft_c(token: str, i: int) -> str | None:
    """French soft c: "c" before e, i or y is s (Yacine, Youcef, Kacem); None otherwise."""
    if token[i] == "c" and i + 1 < len(token) and token[i + 1] in "eiy":
        return "S"
    return None


def _finish(chars: list[str]) -> str:
    out: list[str] = []
    for ch in chars:
        if not out or out[-1] != ch:
            out.append(ch)
    if len(out) > 1 and out[-1] == "H":  # final ه / ة / h: "Fatima" = "Fatmeh" = فاطمة
        out.pop()
    return "".join(out)


def _arabic_skeleton(token: str) -> str:
    chars: list[str] = []
    for i, ch in enumerate(token):
        if ch in ("و", "ي"):
            if i == 0:
                chars.append("W" if ch == "و" else "Y")
            continue
        cls = _ARABIC_CLASS.get(ch)
        if cls:
            chars.append(cls)
    return _finish(chars)


def _latin_skeleton(token: str) -> str:
    chars: list[str] = []
    i = 0
    n = len(token)
    if _initial_ou(token):
        chars.append("W")  # French "ou" for an initial و: Oualid, Ouassim
        i = 2
    while i < n:
        pair = token[i : i + 2]
        if pair in _LATIN_DIGRAPHS:
            chars.append(_LATIN_DIGRAPHS[pair])
            i += 2
            continue
        ch = token[i]
        if ch in ("w", "y", "v"):  # Persian and Urdu write و as v (Darvish, Anvar)
            if i == 0:
                chars.append("W" if ch != "y" else "Y")
        else:
            cls = _soft_c(token, i) or _LATIN_CLASS.get(ch)
            if cls:
                chars.extend(cls)
        i += 1
    return _finish(chars)


@lru_cache(maxsize=500_000)
def skeleton(token: str) -> str:
    """The cross-script consonant key of one canonical token (see :mod:`matching.names`).

    ``skeleton("محمد") == skeleton("mohammad") == skeleton("m7md") == "MHMD"``. Lossy on
    purpose: it finds candidates; scoring tells apart names that share it.
    """
    if script_of(token) == "ar":
        return _arabic_skeleton(token)
    return _latin_skeleton(token)


def name_key(text: str) -> tuple[str, ...]:
    """Skeletons of every token of a free-text name, in order (empty tokens dropped)."""
    return tuple(k for k in (skeleton(t) for t in parse_name(text).tokens) if k)


# ---------------------------------------------------------------------------------------------
# Name-variant lexicon (data/lexicon/name_variants.tsv): the one place that reads a file.

#: The derived lexicon shipped in the repository (see data/lexicon/README.md for provenance).
LEXICON_PATH = Path(__file__).resolve().parent.parent / "data" / "lexicon" / "name_variants.tsv"


class Lexicon:
    """Latin spellings of Arabic names: canonical Latin token -> canonical Arabic tokens.

    ``pairs`` are (arabic, latin) or (arabic, latin, source). Only hand-curated pairs
    (source "curated") may also say that two spellings are *different* names
    (:attr:`curated_latin`, :attr:`known_arabic`); pairs mined from ar2en only add spellings.
    """

    def __init__(self, pairs: Iterable[tuple[str, ...]] | None = None) -> None:
        grouped: dict[str, set[str]] = {}
        curated_latin: dict[str, set[str]] = {}
        for pair in pairs or ():
            arabic, latin = pair[0], pair[1]
            source = pair[2] if len(pair) > 2 else "curated"
            a = _canon(arabic)
            la = _canon(latin)
            if a and la and script_of(a) == "ar" and script_of(la) == "la":
                grouped.setdefault(la, set()).add(a)
                if source == "curated":
                    curated_latin.setdefault(la, set()).add(a)
        self.latin_to_arabic: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in grouped.items()}
        self.curated_latin: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in curated_latin.items()}
        self.known_arabic: frozenset[str] = frozenset(a for v in curated_latin.values() for a in v)
        by_skeleton: dict[str, list[str]] = {}
        for a in sorted(self.known_arabic):
            by_skeleton.setdefault(skeleton(a), []).append(a)
        #: Curated names grouped by skeleton: the names a spelling could be confused with.
        self.known_by_skeleton: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in by_skeleton.items() if len(v) > 1}

    def arabic_for(self, latin: str) -> frozenset[str]:
        """Arabic canonical tokens this Latin token is a known spelling of (empty if unknown)."""
        return self.latin_to_arabic.get(latin, frozenset())

    def curated_arabic_for(self, latin: str) -> frozenset[str]:
        """Like :meth:`arabic_for`, from the hand-curated part only."""
        return self.curated_latin.get(latin, frozenset())

    def __len__(self) -> int:
        return len(self.latin_to_arabic)


def _canon(text: str) -> str:
    toks = parse_name(text).tokens
    return toks[0] if len(toks) == 1 else ""


def parse_lexicon(text: str) -> Lexicon:
    """Build a :class:`Lexicon` from the TSV text: ``arabic<TAB>latin|latin|...<TAB>source``."""
    pairs: list[tuple[str, ...]] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) < 2:
            continue
        source = cells[2].strip() if len(cells) > 2 else "curated"
        for latin in cells[1].split("|"):
            pairs.append((cells[0], latin, source))
    return Lexicon(pairs)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The shipped lexicon, read once on first use; an absent file gives an empty lexicon."""
    try:
        return parse_lexicon(LEXICON_PATH.read_text(encoding="utf-8"))
    except OSError:
        return Lexicon()


# ---------------------------------------------------------------------------------------------
# Token similarity across scripts: phonetic symbols, weighted edit distance, lexicon.

#: Lowest similarity at which two tokens are paired at all.
PAIR_FLOOR = 0.62

# Arabic letters that handwriting and typing confuse (dots) or that sound alike: cheap swaps.
_ARABIC_LOOKALIKE_GROUPS = ("بتثني", "جحخ", "دذ", "رز", "سش", "صض", "طظ", "عغ", "فق", "هح",
                            "سصث", "تط", "دض", "ذزظ", "كق", "اوي")
_AR_PAIR: dict[tuple[str, str], float] = {}
for _group in _ARABIC_LOOKALIKE_GROUPS:
    for _a in _group:
        for _b in _group:
            if _a != _b:
                _AR_PAIR[(_a, _b)] = 0.6 if _group == "اوي" else 0.45
_AR_VOWELS = frozenset("اوي")

# Phonetic symbols: consonant classes (upper case), short vowels a/i/u, long vowels A/I/U.
# Latin long vowels (Ā Ī Ū) are kept apart from Arabic ones (A I U): Latin writes "ou" for a
# short damma too (Houssein), so dropping one costs less than dropping an Arabic letter.
_LONG_VOWEL_DIGRAPHS = {"aa": "Ā", "ee": "Ī", "ie": "Ī", "ei": "Ī", "ii": "Ī", "iy": "Ī", "ou": "Ū", "oo": "Ū", "uu": "Ū"}
# Latin "e" is its own short vowel: a kasra (Esmaeil) or, in Maghrebi spellings, an a (Kamel = كمال).
_SHORT = {"a": "a", "e": "e", "i": "i", "o": "u", "u": "u"}


@lru_cache(maxsize=300_000)
def phonetic(token: str) -> tuple[str, ...]:
    """Symbols for cross-script comparison: consonant classes plus short/long vowel marks."""
    out: list[str] = []
    if script_of(token) == "ar":
        last = len(token) - 1
        for i, ch in enumerate(token):
            if i == 0 and ch in "اع":
                # The initial vowel Latin writes: any quality after ا or ع (Ahmad, Ibrahim, Omar),
                # a long a for عا (Arif = عارف, Adel = عادل, Aicha = عائشة).
                out.append("Â" if ch == "ع" and token[1:2] == "ا" else "ª")
            elif ch == "ا":
                if not (i == 1 and out == ["Â"]):
                    out.append("A")
            elif ch == "و":
                out.append("W" if i == 0 else "U")
            elif ch == "ي":
                out.append("Y" if i == 0 else "I")
            elif ch == "ع":
                if not (out and out[-1] == "E"):
                    out.append("E")  # ayn: Latin writes a vowel, an apostrophe or nothing
            elif ch == "ض":
                out.append("Ḍ")  # d, yet z or dh in Persian and Urdu spellings (Riaz, Ramzan)
            else:
                cls = _ARABIC_CLASS.get(ch)
                # a final ه / ة after ح is its own (weak) letter: مديحة Madiha, فتيحة Fatiha
                if cls and not (out and out[-1] == cls and not (i == last and ch == "ه")):
                    out.append(cls)
        # An ayn next to a long vowel merges into it in Latin (ساعاتي Saati, رفاعي Rifai).
        out = [
            sym
            for k, sym in enumerate(out)
            if sym != "E" or not ((k and out[k - 1] in "AIU") or (k + 1 < len(out) and out[k + 1] in "AIU"))
        ]
    else:
        i, n = 0, len(token)
        if _initial_ou(token):
            out.append("W")
            i = 2
        else:
            i = _initial_vowel(token, out)
        while i < n:
            pair = token[i : i + 2]
            if pair in _LATIN_DIGRAPHS:
                cls = _LATIN_DIGRAPHS[pair]
                if not (out and out[-1] == cls):
                    out.append(cls)
                i += 2
                continue
            if i and pair == "ou" and _open_syllable(token, i + 2):
                out.append("u")  # French "ou" before one consonant and a vowel: a short u (Houcine)
                i += 2
                continue
            if i and pair == "ia" and i + 2 < n and token[i + 2] not in _LATIN_VOWEL_LETTERS:
                out += ["i", "Ā"]  # "ia" before a consonant is iyā: Ziad = زياد, not زيد
                i += 2
                continue
            if i and pair in _LONG_VOWEL_DIGRAPHS:
                out.append(_LONG_VOWEL_DIGRAPHS[pair])
                i += 2
                continue
            ch = token[i]
            if ch == "3":
                if i and not (out and out[-1] == "E"):
                    out.append("E")
            elif ch in "wyv":
                out.append(("Y" if ch == "y" else "W") if i == 0 else ("Ī" if ch == "y" else "Ū"))
            elif ch == "i" and i == n - 1 and i > 1 and token[i - 1] not in _LATIN_VOWEL_LETTERS:
                out.append("ï")  # a final i after a consonant stands for ي: Halabi; Omari is not Omar
            elif ch in _SHORT:
                if i and not (out and out[-1] == _SHORT[ch]):  # initial vowel: ا/ع, dropped too
                    out.append(_SHORT[ch])
            else:
                for cls in _soft_c(token, i) or _LATIN_CLASS.get(ch, ""):
                    if not (out and out[-1] == cls):
                        out.append(cls)
            i += 1
    if len(out) > 1 and out[-1] == "H":
        out[-1] = "h"  # final ه / ة / h: weak, "Fatima" = "Fatmeh" = فاطمة, but طه keeps it
    # A long vowel written twice ("kayyali", ساعاتي) is one.
    merged: list[str] = []
    for sym in out:
        if merged and sym == merged[-1] and sym in _LONG:
            continue
        merged.append(sym)
    return tuple(merged)


_LONG = frozenset("AIUĀĪŪ")
_VOWELS = frozenset("aeiuAIUĀĪŪEhªâéíúÂÏÜï")
_QUALITY = {"e": "i", "a": "a", "A": "a", "Ā": "a", "i": "i", "I": "i", "Ī": "i", "u": "u", "U": "u", "Ū": "u",
            "â": "a", "é": "i", "í": "i", "ú": "u", "Â": "a", "Ï": "i", "Ü": "u", "ï": "i"}
_NEAR = {
    frozenset(pair): cost
    for pair, cost in (
        (("W", "U"), 0.2), (("W", "Ū"), 0.2), (("Y", "I"), 0.2), (("Y", "Ī"), 0.2),
        (("H", "h"), 0.2), (("G", "J"), 0.3),  # Egyptian g for ج (Naggar / نجار)
        (("G", "K"), 0.3),  # Persian gh for ق (Ghasem / قاسم)
        (("Ḍ", "D"), 0.0), (("Ḍ", "S"), 0.2),  # ض: d, or z / dh (Riaz = رياض, Raza = رضا)
    )
}


def _phon_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    near = _NEAR.get(frozenset((a, b)))
    if near is not None:
        return near
    av, bv = a in _VOWELS, b in _VOWELS
    if not (av and bv):
        return 1.0
    if (a in _INITIAL or b in _INITIAL) and not (a in "Eh" or b in "Eh"):
        if "ª" in (a, b):
            return 0.0 if a in _INITIAL and b in _INITIAL else 0.15
        qa, qb = _QUALITY[a], _QUALITY[b]
        same = 0.0 if a in _INITIAL and b in _INITIAL else 0.1  # an initial vowel against an inner one
        if qa == qb:
            return same
        return 0.15 if "é" in (a, b) and "u" not in (qa, qb) else 0.6  # e is an a or an i
    if a in "Eh" or b in "Eh":
        return 0.15  # ayn and a final ه stand for a vowel in Latin spellings
    if "e" in (a, b) and (a in "aAĀ" or b in "aAĀ"):
        return 0.15 if "a" in (a, b) else 0.3  # Maghrebi e for a fatha or an alif
    if _QUALITY[a] == _QUALITY[b]:
        return 0.0 if (a in "AIU" and b in "ĀĪŪ") or (b in "AIU" and a in "ĀĪŪ") else 0.1
    return 0.3 if (a in "aeiu" and b in "aeiu") else 0.6


def _weighted_distance(
    x: tuple[str, ...] | str,
    y: tuple[str, ...] | str,
    sub: dict[tuple[str, str], float],
    indel: dict[str, float],
    cutoff: float = math.inf,
) -> float:
    """Weighted Damerau-Levenshtein distance (adjacent swaps cost 0.6).

    ``sub`` and ``indel`` give costs other than 1 (0 for equal symbols). A distance above
    ``cutoff`` is returned as ``math.inf``, and the table is left as soon as that is sure: every
    cell derives from the row above, the one before that (a swap) or its left neighbour, at a
    cost never below zero, so once two rows in a row are all above the cutoff no later row can
    come under it.
    """
    rows = _SUB_ROWS.get(id(sub))
    if rows is None or rows[0] is not sub:
        rows = _SUB_ROWS[id(sub)] = (sub, _rows_of(sub))
    by_x = rows[1]
    ins = [indel.get(ch, 1.0) for ch in y]
    prev = [0.0]
    acc = 0.0
    for c in ins:
        acc += c
        prev.append(acc)
    before: list[float] | None = None
    px = None
    span = range(len(y))
    prev_low = 0.0
    for cx in x:
        dx = indel.get(cx, 1.0)
        row = by_x.get(cx, _NO_ROW)
        left = prev[0] + dx
        cur = [left]
        for j in span:
            cy = y[j]
            d = prev[j] + (0.0 if cx == cy else row.get(cy, 1.0))
            u = prev[j + 1] + dx
            if u < d:
                d = u
            u = left + ins[j]
            if u < d:
                d = u
            if before is not None and j and cx == y[j - 1] and px == cy and cx != cy:
                u = before[j - 1] + 0.6
                if u < d:
                    d = u
            cur.append(d)
            left = d
        low = min(cur)
        if low > cutoff and prev_low > cutoff:
            return math.inf
        prev_low = low
        before = prev
        prev = cur
        px = cx
    return prev[-1] if prev[-1] <= cutoff else math.inf  # the same answer however early it was seen


_NO_ROW: dict[str, float] = {}
#: Substitution tables by identity, as rows per first symbol (no tuple built per table cell).
_SUB_ROWS: dict[int, tuple[dict[tuple[str, str], float], dict[str, dict[str, float]]]] = {}


def _rows_of(sub: dict[tuple[str, str], float]) -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, float]] = {}
    for (a, b), cost in sub.items():
        rows.setdefault(a, {})[b] = cost
    return rows


_AR_INDEL = {ch: 0.8 for ch in _AR_VOWELS}
_PHON_INDEL = {
    "a": 0.15, "e": 0.15, "i": 0.15, "u": 0.15, "Ā": 0.45, "Ī": 0.45, "Ū": 0.45, "A": 0.8, "I": 0.8, "U": 0.8,
    "E": 0.15, "h": 0.3, "ª": 0.15, "â": 0.0, "é": 0.0, "í": 0.0, "ú": 0.0,
    "Â": 0.45, "Ï": 0.45, "Ü": 0.45, "ï": 0.45,
}
_PHON_SUB: dict[tuple[str, str], float] = {}
for _x in "aeiuAIUĀĪŪWYEhHGJKḌDSªâéíúÂÏÜï":
    for _y in "aeiuAIUĀĪŪWYEhHGJKḌDSªâéíúÂÏÜï":
        if _x != _y:
            _c = _phon_cost(_x, _y)
            if _c != 1.0:
                _PHON_SUB[(_x, _y)] = _c


@lru_cache(maxsize=300_000)
def _letter_bag(token: str) -> dict[str, int]:
    bag: dict[str, int] = {}
    for ch in token:
        if ch not in _AR_VOWELS:
            bag[ch] = bag.get(ch, 0) + 1
    return bag


@lru_cache(maxsize=300_000)
def _consonant_bag(symbols: tuple[str, ...]) -> dict[str, int]:
    bag: dict[str, int] = {}
    for ch in symbols:
        if ch not in _VOWELS and ch not in "WY":
            ch = "D" if ch == "Ḍ" else ch
            bag[ch] = bag.get(ch, 0) + 1
    return bag


def _bag_gap(x: dict[str, int], y: dict[str, int]) -> int:
    """A lower bound on the edits between two strings: unmatched consonants on the larger side."""
    only_x = sum(n - y.get(ch, 0) for ch, n in x.items() if n > y.get(ch, 0))
    only_y = sum(n - x.get(ch, 0) for ch, n in y.items() if n > x.get(ch, 0))
    return max(only_x, only_y)


#: Highest similarity of two spellings the lexicon knows as different names.
DISTINCT_NAME_CAP = 0.72


#: How much closer an unlisted Latin spelling must sound to another curated name sharing the
#: skeleton for it to count as that other name ("Mehmood" is محمود, not محمد).
NEAREST_NAME_MARGIN = 0.04


def _lexicon_adjust(sim: float, latin: str, arabic: str, lex: Any) -> float:
    if arabic in lex.arabic_for(latin):
        return max(sim, 0.97)
    curated = lex.curated_arabic_for(latin)
    if curated and arabic in lex.known_arabic and arabic not in curated:
        return min(sim, DISTINCT_NAME_CAP)  # the curated list knows these as different names
    if arabic in lex.known_arabic and lex.arabic_for(latin) & lex.known_arabic:
        return min(sim, DISTINCT_NAME_CAP)  # a listed spelling of another curated name
    if sim > DISTINCT_NAME_CAP and arabic in lex.known_arabic:
        for other in lex.known_by_skeleton.get(skeleton(arabic), ()):
            if other != arabic and raw_similarity(latin, other) >= sim + NEAREST_NAME_MARGIN:
                return DISTINCT_NAME_CAP  # an unlisted spelling that sounds like the other name
    return sim


_SIM_CACHE: dict[tuple[str, str], float] = {}
_SIM_CACHE_MAX = 500_000


@lru_cache(maxsize=300_000)
def _weight(symbols: tuple[str, ...]) -> float:
    """Length used to normalise a distance: consonants, plus half of each long vowel."""
    return sum(1.0 if s not in _VOWELS else (0.5 if s in _LONG else 0.0) for s in symbols)


_ARTICLES = ("al", "el")


def token_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two canonical name tokens (see :func:`_similarity`).

    A Latin token with the article joined ("alcheikh", "elsayed") is also compared without it.
    """
    if a == b:
        return 1.0
    key = (a, b) if a < b else (b, a)
    hit = _SIM_CACHE.get(key)
    if hit is not None:
        return hit
    sim = _similarity(a, b)
    if sim < 0.97:
        for x, y in ((a, b), (b, a)):
            if len(x) >= 6 and x[:2] in _ARTICLES and x[2] not in "aeiou" and x.isascii():
                sim = max(sim, _similarity(x[2:], y) - 0.02)
        if sim < 0.85 and a.isascii() != b.isascii():
            x, y = (a, b) if a.isascii() else (b, a)
            if _latin_forms(x) is not None:
                for alt, cost in _latin_readings(x, y):
                    pa, py = phonetic(alt), phonetic(y)
                    if _bag_gap(_consonant_bag(pa), _consonant_bag(py)) <= 1:  # else it cannot agree
                        sim = max(sim, _similarity(alt, y) - cost)
    if len(_SIM_CACHE) >= _SIM_CACHE_MAX:
        _SIM_CACHE.clear()
    _SIM_CACHE[key] = sim  # the final value: a hit skips the article and digraph readings too
    return sim


@lru_cache(maxsize=100_000)
def raw_similarity(a: str, b: str) -> float:
    """Similarity of two tokens from spelling alone: :func:`_similarity` without the lexicon."""
    if a == b:
        return 1.0
    if script_of(a) == "ar" and script_of(b) == "ar":
        norm_ar = max(len(a), len(b))
        return max(0.0, 1.0 - _weighted_distance(a, b, _AR_PAIR, _AR_INDEL) / norm_ar)
    return max(0.0, 1.0 - _phonetic_distance(a, b))


def _phonetic_distance(a: str, b: str, floor: float = 0.0) -> float:
    """Normalised phonetic distance of two tokens, the best over the Arabic side's readings
    (1.0 for any distance whose similarity is sure to be under ``floor``)."""
    pa, pb = phonetic(a), phonetic(b)
    if (pa[:1] == ("ª",) and len(pa) > 2 and pa[1] in "IU") or (pb[:1] == ("ª",) and len(pb) > 2 and pb[1] in "IU"):
        return min(_reading_distance(x, y, floor) for x in _readings(a) for y in _readings(b))
    return _reading_distance(pa, pb, floor)


def _reading_distance(pa: tuple[str, ...], pb: tuple[str, ...], floor: float = 0.0) -> float:
    """Normalised distance of two symbol strings; 1.0 when their similarity is sure to be under
    ``floor`` (the alignment is then cut short)."""
    norm = max(_weight(pa), _weight(pb), 2.0) + 0.5
    if _bag_gap(_consonant_bag(pa), _consonant_bag(pb)) > (1.0 - PAIR_FLOOR) * norm + 0.2:
        return 1.0  # cannot reach the pairing floor (the lexicon may still lift it)
    return min(1.0, _phon_distance(pa, pb, _cutoff(floor, norm)) / norm)


def _cutoff(floor: float, norm: float) -> float:
    """The distance above which a similarity ``1 - distance / norm`` is under ``floor`` (with a
    margin for rounding, so that a pair at the floor itself is still measured exactly)."""
    return (1.0 - floor) * norm + 1e-6 if floor > 0.0 else math.inf


def _phon_distance(pa: tuple[str, ...], pb: tuple[str, ...], cutoff: float = math.inf) -> float:
    """Weighted distance of two symbol strings (``math.inf`` once sure to exceed ``cutoff``).
    Initial vowel symbols are settled first (they align with each other, or are dropped, never
    with a consonant), which keeps the alignment table as small as before they existed."""
    a0 = bool(pa) and pa[0] in _INITIAL
    b0 = bool(pb) and pb[0] in _INITIAL
    head = 0.0
    if a0 and b0:
        x, y = pa[0], pb[0]
        head = min(0.0 if x == y else _PHON_SUB.get((x, y), 1.0), _PHON_INDEL[x] + _PHON_INDEL[y])
        pa, pb = pa[1:], pb[1:]
    elif a0 and not (len(pb) and pb[0] in _VOWELS):
        head = _PHON_INDEL[pa[0]]
        pa = pa[1:]
    elif b0 and not (len(pa) and pa[0] in _VOWELS):
        head = _PHON_INDEL[pb[0]]
        pb = pb[1:]
    return head + _weighted_distance(pa, pb, _PHON_SUB, _PHON_INDEL, cutoff - head)


@lru_cache(maxsize=300_000)
def _readings(token: str) -> tuple[tuple[str, ...], ...]:
    """The token's phonetic symbols, and for an Arabic word starting with اي / عي / او / عو also
    the reading with that long vowel as the initial vowel: Latin writes إيمان Iman and عيسى Issa
    with one vowel, أيمن Ayman and أوس Aws with two."""
    main = phonetic(token)
    if len(main) > 2 and main[0] == "ª" and main[1] in "IU":
        return (main, ("Ï" if main[1] == "I" else "Ü", *main[2:]))
    return (main,)


#: Arabic letter pairs a Latin "sh" / "dh" / "th" may stand for as two letters (اسحاق Eshaq,
#: ادهم Adham, فتحي Fethi).
_SPLIT_PAIRS = re.compile("[سص][حه]|[دض][حه]|[تط][حه]")
#: A Latin "h" after a vowel and before a consonant, not part of a digraph (Tohme, Saehd).
_CODA_H = re.compile("(?<=[aeiou])h(?=[bdfjklmnqrstvz])")
_BEN = ("ben", "bin")
_UL_ARTICLES = ("ur", "ul")  # not -us, -un, -ush: Younus, Haroun, Aloush end so


def _consonants_before(text: str) -> int:
    """Consonant letters in a word's start (Latin digraphs count once; vowel letters, ا و ي ع none)."""
    if script_of(text) == "ar":
        return sum(1 for ch in text if ch not in "اويع")
    return len(_latin_skeleton(text)) if text else 0


@lru_cache(maxsize=100_000)
def _latin_forms(x: str) -> tuple[bool, int, bool, bool, bool, bool] | None:
    """What readings a Latin token may have, whatever it is compared with (cached: this is asked
    for most Latin-Arabic pairs that do not agree): a split digraph, the start of an h between a
    vowel and a consonant (-1: none), a glued l-, al- / el-, -ur / -ul, ben-; None for none."""
    split = "h" in x and ("sh" in x or "dh" in x or "th" in x[:-1])
    coda = _CODA_H.search(x) if "h" in x else None
    first = x[0]
    l_glued = first == "l" and len(x) >= 4 and x[1] in "aeiou"
    al_glued = first in "ae" and x[1:2] == "l" and len(x) >= 5 and x[2] in "aeiou"
    ul = len(x) >= 5 and x.endswith(_UL_ARTICLES)
    ben = first == "b" and len(x) >= 6 and x.startswith(_BEN)
    if not (split or coda or l_glued or al_glued or ul or ben):
        return None
    return split, coda.start() if coda else -1, l_glued, al_glued, ul, ben


def _latin_readings(x: str, y: str) -> list[tuple[str, float]]:
    """Other readings of a Latin token ``x`` against an Arabic token ``y``, with their cost.

    - "sh", "dh", "th" as two letters where the Arabic has such a pair (Eshaq, Adham, Fethi);
    - and, only for spellings the lexicon does not list as another name (a listed spelling is
      read as that name: Mahdi is مهدي, never معدي; Larbi, listed as لعربي, is still العربي):
      - an "h" between a vowel and a consonant for ع, when the Arabic has an ع after as many
        consonants as the h and fewer ح / ه than the Latin has h (Tohme = طعمة);
      - the Maghrebi article "l" or "el" + vowel glued to a name starting with ا / ع (Larbi =
        العربي, Laid = العيد, Elaraby);
      - the South Asian article glued to the end of a name before another (Fazlur Rahman:
        "fazlur" = فضل);
      - the family-name prefix "ben" / "bin" glued to the name (Benyoucef = بن يوسف).
    """
    forms = _latin_forms(x)
    if forms is None:
        return []
    split, coda, l_glued, al_glued, ul, ben = forms
    out: list[tuple[str, float]] = []
    if split and _SPLIT_PAIRS.search(y):
        out.append((x.replace("sh", "s_h").replace("dh", "d_h").replace("th", "t_h"), 0.03))
    if coda < 0 or "ع" not in y[1:]:
        coda = -1
    ben = ben and not y.startswith("بن")
    if not (coda >= 0 or l_glued or al_glued or ul or ben):
        return out
    listed = lexicon().arabic_for(x)
    if coda >= 0 and not listed and x.count("h") > y.count("ح") + y[:-1].count("ه") and _consonants_before(
            x[:coda]) == _consonants_before(y[: y.index("ع", 1)]):
        out.append((_CODA_H.sub("", x), 0.02))  # the h stands where the ع does: Tohme, not Mahr = عمر
    # unlisted before a name starting with ا / ع, or listed only as the same name with the
    # article glued on (Larbi = لعربي, Lakhdar = لخضر, Lahcen = لحسن)
    if l_glued or al_glued:
        glued = {"ل" + y, "ل" + y[1:]} if y[0] == "ا" else {"ل" + y}
        if (not listed and y[0] in "اع") or (listed and listed <= glued):
            if l_glued:
                out.append((x[1:] if y[0] in "اع" else x[2:], 0.04))  # Lahcen: the a is the article's
            else:
                out.append((x[2:], 0.03))
    if ul and not listed:
        out.append((x[:-2], 0.04))  # Fazlur (Rahman) = فضل, Ziaul (Haq) = ضياء
    if ben and all(z == "بن" + y for z in listed):
        out.append((x[3:], 0.04))
    return out


@lru_cache(maxsize=300_000)
def _symbol_similarity(pa: tuple[str, ...], pb: tuple[str, ...]) -> float:
    """``1 - _reading_distance``, cached by symbols: spellings of one name often share them."""
    return 1.0 - _reading_distance(pa, pb, PAIR_FLOOR)


def _similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two canonical name tokens in any scripts (cached by the caller).

    Same script Arabic: weighted edit distance with cheap look-alike letters. Otherwise the
    phonetic symbols are aligned: vowels Latin spellings add or drop cost little, consonant
    classes cost a full edit. The lexicon lifts a known spelling pair to 0.97.
    """
    if a == b:
        return 1.0
    sa, sb = script_of(a), script_of(b)
    if sa == "ar" and sb == "ar":
        norm_ar = max(len(a), len(b))
        if _bag_gap(_letter_bag(a), _letter_bag(b)) * 0.45 > (1.0 - PAIR_FLOOR) * norm_ar:
            sim = 0.0  # cannot reach the pairing floor: skip the edit distance
        else:
            d = _weighted_distance(a, b, _AR_PAIR, _AR_INDEL, _cutoff(PAIR_FLOOR, norm_ar))
            sim = 1.0 - d / norm_ar if d != math.inf else 0.0  # inf: under the pairing floor
    else:
        pa, pb = phonetic(a), phonetic(b)
        if (pa[:1] == ("ª",) and len(pa) > 2 and pa[1] in "IU") or (
                pb[:1] == ("ª",) and len(pb) > 2 and pb[1] in "IU"):
            sim = 1.0 - _phonetic_distance(a, b, PAIR_FLOOR)  # two readings of an initial اي / عي / او / عو
        else:  # one reading each (the hot path)
            sim = _symbol_similarity(pa, pb)
        lex = lexicon()
        if sa == "la" and sb == "ar":
            sim = _lexicon_adjust(sim, a, b, lex)
        elif sb == "la" and sa == "ar":
            sim = _lexicon_adjust(sim, b, a, lex)
        elif sa == "la" and sb == "la":
            if lex.arabic_for(a) & lex.arabic_for(b):
                sim = max(sim, 0.97)
            else:
                ca, cb = lex.curated_arabic_for(a), lex.curated_arabic_for(b)
                if ca and cb and not ca & cb:
                    sim = min(sim, DISTINCT_NAME_CAP)
    if sa == "ar" and sb == "ar" and sim > DISTINCT_NAME_CAP:
        lex = lexicon()
        if a in lex.known_arabic and b in lex.known_arabic:
            sim = DISTINCT_NAME_CAP  # two different known names (محمد / محمود), not a typo
    return max(0.0, min(1.0, sim))
