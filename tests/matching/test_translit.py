"""Cross-script keys and the name-variant lexicon."""

from __future__ import annotations

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
