"""The held-out spelling check on Wikidata names: its split, its keys, and that the lexicon
builder never reads the held-out tenth."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from matching.wikicheck import PARTS, _skeleton_near, check, held_out, part_of

ROOT = Path(__file__).resolve().parent.parent.parent


def _build_lexicon_module():  # data/lexicon is not a package: load the builder by path
    spec = importlib.util.spec_from_file_location("build_lexicon", ROOT / "data" / "lexicon" / "build_lexicon.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_lexicon", module)
    spec.loader.exec_module(module)
    return module


def test_split_is_stable_and_one_tenth_is_held_out() -> None:
    assert part_of("Q11") == PARTS["wiki-holdout"] and held_out("Q11")
    assert part_of("Q1") == PARTS["wiki-dev"] and not held_out("Q1")
    share = sum(held_out(f"Q{k}") for k in range(10_000)) / 10_000
    assert 0.08 < share < 0.12


def test_skeleton_near_is_one_edit() -> None:
    assert _skeleton_near("TM", "THM")  # a deletion: Tohme reaches طعمة
    assert _skeleton_near("MHMD", "MHDM")  # an adjacent swap
    assert _skeleton_near("JML", "KML")  # a substitution
    assert not _skeleton_near("BNYSF", "YSF")  # two edits


def test_lexicon_builder_skips_the_held_out_tenth(tmp_path: Path) -> None:
    names = tmp_path / "persons-ar.txt"
    names.write_text("tohme, طعمة => Q11\nkhaled, خالد => Q1\n", encoding="utf-8")
    pairs = _build_lexicon_module().wikidata_pairs(names)
    assert ("خالد", "khaled") in pairs
    assert not any(latin == "tohme" for _arabic, latin in pairs)


def test_check_counts_reached_and_agreeing_pairs(tmp_path: Path) -> None:
    names = tmp_path / "persons-ar.txt"
    # Q11 is held out; an Arabic name (ط, ع) with one spelling that agrees and one that does not
    names.write_text("tohme, zzzz, طعمة => Q11\nkhaled, خالد => Q1\n", encoding="utf-8")
    result = check("wiki-holdout", path=names)
    assert result.arabic_pairs == 2
    assert result.arabic_agreeing == 1 and result.arabic_reached == 1
    assert sum(result.failing.values()) >= 1 and result.examples[next(iter(result.failing))][0][0] == "zzzz"
