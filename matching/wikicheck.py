"""Held-out check of cross-script spellings on real names (Wikidata groups), token by token.

``/work/shared/data/wikidata-names/persons-ar.txt`` lists, per Wikidata item, the spellings of
one name in many scripts. Two tenths of the items are picked by a hash of the item id:

- ``wiki-holdout`` (``crc32(qid) % 10 == 1``): set aside, *not* used to derive the lexicon
  (``data/lexicon/build_lexicon.py`` skips it), only measured, never read to tune;
- ``wiki-dev`` (``== 0``): its failures were read to find the spelling rules. It is part of the
  lexicon's sources, so its figures mean something only with ``--rules-only`` (no lexicon).

Each item's one-token Arabic-script forms are paired with its one-token Latin forms (canonical
tokens, as the matcher parses them). A pair is

- **reached** when the Latin token's candidate keys find the Arabic token: its skeleton equals
  the Arabic one, is one deletion, insertion, substitution or adjacent swap away from it (the
  index's typo expansion), or the lexicon lists the Latin token as a spelling of a name with the
  Arabic skeleton; and the token similarity is at least the index's expansion floor;
- **agreeing** when, besides, the token similarity reaches ``STRONG`` (the scorer counts the
  name as the same).

Items are not all Arabic names (Wikidata spells Japanese and European names in Arabic script
too). An item counts as an *Arabic name* when its Arabic form carries the article (and a Latin
form does not start with "al", as Alison = أليسون does) or its token has a letter
that transcriptions of foreign names hardly use (ع ح ص ض ظ ق ث), or is one of the given names
of ``data/names`` (used only to pick items, never for spellings). Figures are given for both.

    .venv/bin/python -m matching.wikicheck [wiki-dev|wiki-holdout] [--rules-only] [--show N]
"""

from __future__ import annotations

import sys
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from matching.names import parse_name
from matching.normalize import normalize_text, script_of
from matching.translit import Lexicon, lexicon, skeleton, token_similarity

WIKIDATA_PATH = Path("/work/shared/data/wikidata-names/persons-ar.txt")
NAMES_DIR = Path(__file__).resolve().parent.parent / "data" / "names"
#: crc32(qid) % 10 of the parts set aside from the lexicon.
PARTS = {"wiki-dev": 0, "wiki-holdout": 1}
#: The index's expansion floor and the scorer's agreement threshold (matching.index, matching.score).
REACH_FLOOR = 0.66
STRONG = 0.85
_ARABIC_MARKERS = frozenset("عحصضظقث")


def part_of(qid: str) -> int:
    """The tenth an item falls in (stable across runs and machines)."""
    return zlib.crc32(qid.encode("ascii", "ignore")) % 10


def held_out(qid: str) -> bool:
    """Whether an item is set aside from the lexicon (the wiki-holdout part)."""
    return part_of(qid) == PARTS["wiki-holdout"]


def one_token(text: str) -> str | None:
    """The canonical token of a one-token name, else None."""
    toks = parse_name(text).tokens
    return toks[0] if len(toks) == 1 else None


def _known_given_names() -> frozenset[str]:
    names: set[str] = set()
    for fname in ("given_male.tsv", "given_female.tsv"):
        path = NAMES_DIR / fname
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                tok = one_token(line.split("\t")[0])
                if tok:
                    names.add(tok)
    return frozenset(names)


def items(path: Path = WIKIDATA_PATH, part: int | None = None) -> Iterator[tuple[str, set[str], set[str], bool]]:
    """(qid, Arabic tokens, Latin tokens, has article) of the items in one tenth (all when None)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        variants, _, qid = line.rpartition(" => ")
        if part is not None and part_of(qid.strip()) != part:
            continue
        arabic: set[str] = set()
        latin: set[str] = set()
        article = False
        for variant in variants.split(", "):
            tok = one_token(variant)
            if not tok:
                continue
            if script_of(tok) == "ar":
                arabic.add(tok)
                article = article or normalize_text(variant).startswith("ال")
            elif tok.isascii() and tok.isalpha():
                latin.add(tok)
        # "اليسون" is Alison, not the article: it counts only when a Latin spelling lacks "al"
        article = article and any(not la.startswith(("al", "el")) for la in latin)
        if arabic and latin:
            yield qid.strip(), arabic, latin, article


def _skeleton_near(a: str, b: str) -> bool:
    """Skeletons equal or one edit apart (deletion, insertion, substitution, adjacent swap)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    short, long_ = (a, b) if la < lb else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def patterns(latin: str, arabic: str) -> list[str]:
    """The spelling features of a pair that commonly trip the rules (for the failure report)."""
    out = []
    if "dj" in latin or "tch" in latin or "tsh" in latin:
        out.append("dj/tch")
    if "ch" in latin.replace("tch", ""):
        out.append("ch")
    if "ou" in latin or "oo" in latin:
        out.append("ou/oo")
    if "ee" in latin or "ie" in latin or "ey" in latin:
        out.append("ee/ie")
    if "ع" in arabic and "h" in latin.replace("sh", "").replace("ch", "").replace("kh", "").replace("gh", "").replace(
            "th", "").replace("dh", ""):
        out.append("h for ع")
    if "gh" in latin or ("g" in latin and any(x in arabic for x in "غقج")):
        out.append("gh/g")
    if "ق" in arabic and any(x in latin for x in "kgc"):
        out.append("q/k/g")
    if latin.endswith(("ine", "ane", "ene", "oune")):
        out.append("-ine/-ane")
    if latin[-1] in "aeiou" or latin.endswith(("eh", "ah")):
        out.append("final vowel")
    if any(latin[i] == latin[i + 1] and latin[i] not in "aeiou" for i in range(len(latin) - 1)):
        out.append("doubled")
    if any(x in arabic for x in ("الله", "الدين", "عبد")):
        out.append("compound")
    if "v" in latin or "w" in latin:
        out.append("v/w")
    if not out:
        out.append("other")
    return out


@dataclass
class CheckResult:
    """Pair counts of one part, overall and for Arabic names."""

    part: str
    pairs: int = 0
    reached: int = 0
    agreeing: int = 0
    arabic_pairs: int = 0
    arabic_reached: int = 0
    arabic_agreeing: int = 0
    failing: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[tuple[str, str, float]]] = field(default_factory=dict)

    def summary(self, show: int = 0) -> str:
        """Figures and failing patterns (and up to ``show`` examples per pattern)."""
        def rate(n: int, d: int) -> str:
            return f"{n / d:.3f} ({n}/{d})" if d else "-"

        lines = [
            f"{self.part}: all pairs {self.pairs}: reached {rate(self.reached, self.pairs)}, "
            f"agreeing {rate(self.agreeing, self.pairs)}",
            f"{self.part}: Arabic names {self.arabic_pairs}: reached {rate(self.arabic_reached, self.arabic_pairs)}, "
            f"agreeing {rate(self.arabic_agreeing, self.arabic_pairs)}",
            "failing Arabic-name pairs by pattern (a pair may show several): "
            + ", ".join(f"{k} {n}" for k, n in self.failing.most_common()),
        ]
        if show:
            for k, _n in self.failing.most_common():
                lines.append(f"  {k}: " + ", ".join(f"{la}~{ar} {s:.2f}" for la, ar, s in self.examples[k][:show]))
        return "\n".join(lines)


def check(part: str, path: Path = WIKIDATA_PATH, lex: Lexicon | None = None) -> CheckResult:
    """Measure one held-out part (``wiki-dev`` or ``wiki-holdout``)."""
    lex = lex if lex is not None else lexicon()
    given = _known_given_names()
    res = CheckResult(part)
    for _qid, arabic, latin, article in items(path, PARTS[part]):
        for a in arabic:
            is_arabic = article or bool(_ARABIC_MARKERS & set(a)) or a in given
            sk = skeleton(a)
            for la in latin:
                sim = token_similarity(la, a)
                keys = {skeleton(la)} | {skeleton(x) for x in lex.arabic_for(la)}
                reached = sim >= REACH_FLOOR and any(_skeleton_near(k, sk) for k in keys)
                agreeing = reached and sim >= STRONG
                res.pairs += 1
                res.reached += reached
                res.agreeing += agreeing
                if is_arabic:
                    res.arabic_pairs += 1
                    res.arabic_reached += reached
                    res.arabic_agreeing += agreeing
                    if not agreeing:
                        for p in patterns(la, a):
                            res.failing[p] += 1
                            res.examples.setdefault(p, []).append((la, a, sim))
    return res


def main(argv: list[str]) -> None:
    """Print the check for the parts named (both by default)."""
    show = 0
    if "--show" in argv:
        show = int(argv[argv.index("--show") + 1])
        del argv[argv.index("--show"): argv.index("--show") + 2]
    rules_only = "--rules-only" in argv
    argv = [a for a in argv if a != "--rules-only"]
    lex = Lexicon() if rules_only else None
    if rules_only:  # the similarity reads the shipped lexicon itself: swap it for an empty one
        import matching.translit as translit

        translit.lexicon.cache_clear()
        translit.LEXICON_PATH = Path("/nonexistent")
    for part in argv or list(PARTS):
        print(check(part, lex=lex).summary(show), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
