"""nlu.keywords and nlu.lexicon: distress, yes/no, don't know; governorates and relationships in any script."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from nlu.keywords import asks_erasure, has_distress, is_skip, is_unknown, yes_no
from nlu.lexicon import (
    GOVERNORATES,
    find_governorate,
    find_relationship,
    governorate_label,
    lookup_entries,
)


@pytest.mark.parametrize(
    "text",
    ["بدي موت", "بدّي موت", "رح انتحر", "عذّبوه بالسجن", "تعذيب", "ما بدي عيش", "I want to die", "thinking about suicide",
     "they tortured him", "bdi moot", "يهددوني اذا ما دفعت"],
)
def test_distress(text):
    assert has_distress(text)


@pytest.mark.parametrize("text", ["بدي دور على أخي", "مرحبا", "I want to find my son", "موتور السيارة", "die Familie"])
def test_not_distress(text):
    assert not has_distress(text)


@pytest.mark.parametrize(
    ("text", "answer"),
    [("نعم", True), ("ايه", True), ("أكيد", True), ("بلى", True), ("1", True), ("١", True), ("yes please", True), ("aywa", True),
     ("لا", False), ("لأ", False), ("2", False), ("٢", False), ("no", False), ("la2", False), ("مش صح", False),
     ("محمد", None), ("3", None), ("", None)],
)
def test_yes_no(text, answer):
    assert yes_no(text) is answer


def test_unknown_and_skip():
    assert is_unknown("ما بعرف") and is_unknown("I don't know") and is_unknown("لا أعرف")
    assert not is_unknown("أحمد")
    assert is_skip("تخطي") and is_skip("skip") and is_skip("لا")
    assert not is_skip("فرع فلسطين")


@pytest.mark.parametrize(
    ("text", "governorate"),
    [("حمص", "حمص"), ("من حمص", "حمص"), ("بحمص", "حمص"), ("Homs", "حمص"), ("ريف دمشق", "ريف دمشق"), ("دمشق", "دمشق"),
     ("الشام", "دمشق"), ("Deir ez-Zor", "دير الزور"), ("deir ezzor", "دير الزور"), ("أدلب", "إدلب"), ("idleb", "إدلب"),
     ("حماه", "حماة"), ("اللاذقيّة", "اللاذقية"), ("Sweida", "السويداء"), ("dar3a", "درعا"), ("باريس", None)],
)
def test_governorates(text, governorate):
    assert find_governorate(text) == governorate


def test_every_governorate_has_an_english_label():
    assert len(GOVERNORATES) == 14
    assert governorate_label("دير الزور", "en") == "Deir ez-Zor"
    assert governorate_label("حمص", "ar") == "حمص"


@pytest.mark.parametrize(
    ("text", "key"),
    [("ابني", "son"), ("أخي", "brother"), ("اخوه", "brother"), ("زوجي", "husband"), ("جوزي", "husband"), ("my wife", "wife"),
     ("a5i", "brother"), ("ابن عمي", "cousin"), ("أمه", None), ("بنتي", "daughter")],
)
def test_relationships(text, key):
    assert find_relationship(text) == key


def test_the_rasa_lookup_tables_are_all_understood():
    """Every lookup entry in the training data resolves through the lexicon, in the same folding."""
    import yaml

    from tests.rasa.test_assistant_data import NLU_FILE

    data = yaml.safe_load(NLU_FILE.read_text())["nlu"]
    tables = {item["lookup"]: item["examples"] for item in data if "lookup" in item}
    for name, finder in (("governorate", find_governorate), ("relationship", find_relationship)):
        for line in tables[name].splitlines():
            entry = line.strip().lstrip("- ").strip()
            if entry:
                assert finder(entry), f"{name} lookup entry {entry!r} is not in nlu.lexicon"
                assert entry in lookup_entries()[name]


# -- erasure words: the model's delete_data is kept only with one of them ------------------------

_ROOT = Path(__file__).resolve().parents[2]


def _examples(intent: str) -> list[str]:
    texts = []
    for path in [_ROOT / "bot/assistant/data/nlu.yml", *sorted((_ROOT / "bot/assistant/heldout").glob("*.yml"))]:
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            if block.get("intent") == intent:
                texts += [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
    return texts


def _names() -> list[str]:
    names = []
    for file in ("given_male.tsv", "given_female.tsv", "family.tsv"):
        for line in (_ROOT / "data/names" / file).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                for column in line.split("\t")[:3]:
                    names += [n for n in column.split("|") if n]
    with (_ROOT / "data/sample/registry.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            names += [row[c] for c in ("full_name", "first_name", "father_name", "family_name", "mother_name") if row[c]]
    return names


def test_every_erasure_example_has_an_erasure_word():
    examples = _examples("delete_data")
    assert len(examples) > 50
    assert [t for t in examples if not asks_erasure(t)] == []


def test_no_name_has_an_erasure_word():
    names = _names()
    assert len(names) > 2500
    assert [n for n in names if asks_erasure(n)] == []


@pytest.mark.parametrize("text", ["محمد خالد الأحمد", "Abdo Shaaban", "m7md 3li", "ام محمد", "مسعود", "Rida Hasan", "1990"])
def test_answers_are_not_erasure_requests(text):
    assert not asks_erasure(text)
