"""Cross-script keys: a consonant skeleton shared by Arabic, Latin and Arabizi, and the variant lexicon."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

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
_LATIN_DIGRAPHS = {"kh": "K", "gh": "G", "sh": "X", "ch": "X", "th": "S", "dh": "S", "ph": "F"}
_LATIN_CLASS = {
    "b": "B", "p": "B", "t": "T", "d": "D", "s": "S", "z": "S", "j": "J", "g": "G", "h": "H",
    "k": "K", "q": "K", "c": "K", "f": "F", "v": "F", "l": "L", "m": "M", "n": "N", "r": "R",
    "x": "KS",
    # Arabizi digits: 7 ح, 5 خ, 6 ط, 8 ق, 9 ص (3 ع and 2 ء are dropped like the letters).
    "7": "H", "5": "K", "6": "T", "8": "K", "9": "S", "4": "X",
}


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
    while i < n:
        pair = token[i : i + 2]
        if pair in _LATIN_DIGRAPHS:
            chars.append(_LATIN_DIGRAPHS[pair])
            i += 2
            continue
        ch = token[i]
        if ch in ("w", "y"):
            if i == 0:
                chars.append("W" if ch == "w" else "Y")
        else:
            cls = _LATIN_CLASS.get(ch)
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
