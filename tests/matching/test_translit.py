"""Cross-script keys and the name-variant lexicon."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.names import parse_name
from matching.translit import Lexicon, lexicon, name_key, parse_lexicon, skeleton

SAME_KEY = [
    ("محمد", ["Mohammad", "Muhammad", "Mohamed", "m7md", "mo7ammad"]),
    ("خالد", ["Khaled", "Khalid", "5aled"]),
    ("علي", ["Ali", "Aly", "3li"]),
    ("فاطمة", ["Fatima", "Fatmeh", "Fatma"]),
    ("يوسف", ["Youssef", "Yusuf", "Yousef"]),
    ("عبد الرحمن", ["Abdul Rahman", "Abdelrahman", "Abd al-Rahman", "Abdurrahman"]),
    ("عبدالله", ["Abdullah", "Abdallah", "Abdulla"]),
    ("حسين", ["Hussein", "Houssein", "Husein"]),
    ("عثمان", ["Othman", "Osman", "Uthman"]),
    ("قاسم", ["Kassem", "Qasim", "Qassem"]),
    ("نور الدين", ["Noureddine", "Nour al-Din", "Nureddin"]),
    ("الأحمد", ["Al-Ahmad", "Ahmad", "El Ahmad"]),
    ("وائل", ["Wael"]),
]


@pytest.mark.parametrize(("arabic", "latins"), SAME_KEY, ids=[c[0] for c in SAME_KEY])
def test_cross_script_skeletons_meet(arabic: str, latins: list[str]) -> None:
    key = name_key(arabic)
    for latin in latins:
        assert name_key(latin) == key, latin


def test_skeleton_of_empty_token() -> None:
    assert skeleton("") == ""


def test_shipped_lexicon_loads_and_knows_common_spellings() -> None:
    lex = lexicon()
    assert len(lex) > 1000
    assert "محمد" in lex.arabic_for("mhd")
    assert "محمود" in lex.arabic_for("mahmoud")
    assert "محمد" not in lex.arabic_for("mahmoud")


def test_parse_lexicon_skips_comments_and_bad_lines() -> None:
    lex = parse_lexicon("# comment\nمحمد\tmohammad|mhd\tcurated\nbroken line\n\n")
    assert lex.arabic_for("mhd") == frozenset({"محمد"})
    assert lex.curated_arabic_for("mohammad") == frozenset({"محمد"})


def test_mined_pairs_do_not_claim_distinct_names() -> None:
    lex = Lexicon([("سيد", "sayed", "ar2en")])
    assert lex.arabic_for("sayed") == frozenset({"سيد"})
    assert lex.curated_arabic_for("sayed") == frozenset()
    assert lex.known_arabic == frozenset()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_keys_never_raise(text: str) -> None:
    for token in parse_name(text).tokens:
        assert isinstance(skeleton(token), str)


_SYMBOLS = "ªAIUaeiuBDKLMNRSTZḌHWY"
_AR_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


@settings(max_examples=300, deadline=None)
@given(st.text(_SYMBOLS, max_size=9), st.text(_SYMBOLS, max_size=9), st.floats(0.0, 6.0))
def test_cut_short_alignment_is_exact_up_to_its_cutoff(x: str, y: str, cutoff: float) -> None:
    """An alignment told to stop above a cutoff gives the full distance whenever it is within the
    cutoff, and infinity otherwise, whichever way round the two strings come."""
    from matching.translit import _PHON_INDEL, _PHON_SUB, _weighted_distance

    full = _weighted_distance(tuple(x), tuple(y), _PHON_SUB, _PHON_INDEL)
    for a, b in ((x, y), (y, x)):
        cut = _weighted_distance(tuple(a), tuple(b), _PHON_SUB, _PHON_INDEL, cutoff)
        assert cut == (full if full <= cutoff else math.inf)


def _name_pairs() -> list[tuple[str, str]]:
    """(Arabic, Latin) tokens of the generator's given-name pool (data/names/given_male.tsv)."""
    from matching.devset_spellings import ROOT

    out = []
    for line in (ROOT / "data" / "names" / "given_male.tsv").read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if line.startswith("#") or len(cells) < 2:
            continue
        ar, la = parse_name(cells[0]).tokens, parse_name(cells[1].split("|")[0]).tokens
        if len(ar) == 1 and len(la) == 1:
            out.append((ar[0], la[0]))
    return out


_NAME_PAIRS = _name_pairs()


def _edit(token: str, at: int, letter: str) -> str:
    at %= len(token) + 1
    return token[:at] + letter + token[at + 1:]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_NAME_PAIRS), st.sampled_from(_NAME_PAIRS), st.integers(0, 9), st.sampled_from(_AR_LETTERS),
       st.sampled_from("abdehiklmnorstuyz"))
def test_similarity_at_or_above_the_pairing_floor_is_measured_in_full(
        one: tuple[str, str], other: tuple[str, str], at: int, ar_letter: str, la_letter: str) -> None:
    """The shortcut under the pairing floor never moves a similarity that reaches it (Arabic with
    Arabic, Latin with Arabic: real names, one letter changed), and one under it stays under it."""
    from matching import translit

    (a, la), (b, lb) = one, other
    pairs = ((a, _edit(a, at, ar_letter)), (a, b), (_edit(la, at, la_letter), a), (lb, a), (a, _edit(lb, at, la_letter)))

    def fresh(x: str, y: str) -> float:
        translit._symbol_similarity.cache_clear()
        return translit._similarity(x, y)

    cut = [fresh(x, y) for x, y in pairs]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(translit, "_cutoff", lambda floor, norm: math.inf)
        whole = [fresh(x, y) for x, y in pairs]
    translit._symbol_similarity.cache_clear()
    for c, w in zip(cut, whole, strict=True):
        if w >= translit.PAIR_FLOOR:
            assert c == w
        else:
            assert c < translit.PAIR_FLOOR
