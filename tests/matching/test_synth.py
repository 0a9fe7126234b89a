"""Tests for the synthetic registry generator and the labelled development set."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from matching import devset, synth
from matching.records import REGISTRY_COLUMNS, record_from_row

REPO = Path(__file__).resolve().parents[2]
LATIN = re.compile(r"[A-Za-z]")
ARABIC_INDIC = re.compile(r"[٠-٩]")


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return list(synth.generate_rows(6000, seed=11))


def _name_text(row: dict[str, str]) -> str:
    return row["full_name"] or " ".join(
        row[c] for c in ("first_name", "father_name", "family_name")
    )


def _first_word(row: dict[str, str]) -> str:
    return row["first_name"] or row["full_name"].split()[0]


def test_same_seed_same_rows_and_other_seed_other_rows() -> None:
    first = list(synth.generate_rows(300, seed=5))
    again = list(synth.generate_rows(300, seed=5))
    other = list(synth.generate_rows(300, seed=6))
    assert first == again
    assert first != other
    assert sum(a == b for a, b in zip(first, other, strict=True)) < 5


def test_prefix_is_stable_when_more_rows_are_asked_for() -> None:
    assert list(synth.generate_rows(50, seed=9)) == list(synth.generate_rows(80, seed=9))[:50]


def test_columns_are_the_contract_and_values_are_strings(rows: list[dict[str, str]]) -> None:
    for row in rows:
        assert tuple(row) == REGISTRY_COLUMNS
        assert all(isinstance(value, str) for value in row.values())
    assert len({row["record_id"] for row in rows}) == len(rows)


def test_every_row_is_a_valid_record(rows: list[dict[str, str]]) -> None:
    for row in rows:
        record = record_from_row(row)
        assert record.full_name
        if record.birth_year is not None:
            assert 1940 <= record.birth_year <= 2006
        assert record.source in {
            "shelter-intake-tal",
            "shelter-intake-minin",
            "barzeh-salam-mosque-list",
            "volunteer-list",
        }
        assert record.release_date is not None or row["release_date"] == ""
        if record.release_date is not None:
            assert abs((record.release_date - dt.date(2024, 12, 8)).days) <= 7


def test_share_of_latin_rows_is_realistic(rows: list[dict[str, str]]) -> None:
    latin = sum(bool(LATIN.search(_name_text(row))) for row in rows)
    assert 0.11 <= latin / len(rows) <= 0.19


def test_name_frequencies_are_skewed(rows: list[dict[str, str]]) -> None:
    arabic = [row for row in rows if not LATIN.search(_name_text(row))]
    firsts = Counter(_first_word(row).replace("أ", "ا") for row in arabic)
    total = sum(firsts.values())
    top = firsts.most_common()
    assert top[0][0] == "محمد"
    assert top[0][1] / total > 0.10  # one very common name
    assert sum(count for _, count in top[:10]) / total > 0.35
    assert len(firsts) > 120  # and a long tail
    assert sum(1 for _, count in top if count <= 5) > 30
    # Namesakes occur naturally: some full three-part names repeat.
    full = Counter(row["full_name"] for row in arabic if len(row["full_name"].split()) == 3)
    assert full.most_common(1)[0][1] >= 3


def test_rows_show_the_habits_of_real_lists(rows: list[dict[str, str]]) -> None:
    texts = [_name_text(row) for row in rows]
    assert any("عبد الرحمن" in t for t in texts) and any("عبدالرحمن" in t for t in texts)
    assert any(" ال" in t for t in texts)
    assert sum(bool(ARABIC_INDIC.search(row["birth_year"])) for row in rows) > 20
    only_full = sum(1 for row in rows if row["full_name"] and not row["first_name"])
    split = sum(1 for row in rows if row["first_name"] and row["family_name"])
    assert only_full > 1000 and split > 1000
    mothers = [row["mother_name"] for row in rows if row["mother_name"]]
    assert len(mothers) > len(rows) * 0.6
    governorates = Counter(row["governorate"] for row in rows if row["governorate"])
    assert "ريف دمشق" in governorates and any(LATIN.search(g) for g in governorates)


def _allowed_latin_tokens() -> set[str]:
    pools = synth.load_pools()
    tokens = {"bin", "ibn"}
    styles = [s.replace("{}", "") for s in pools.articles.items]
    for table in (pools.male, pools.female, pools.family):
        for name in table.items:
            for spelling in name.latin:
                tokens.update(t.lower() for t in spelling.split())
                if table is pools.family and name.has_article:
                    for prefix in styles:
                        text = prefix + (
                            spelling[:1].lower() + spelling[1:]
                            if prefix[-1:].isalpha()
                            else spelling
                        )
                        tokens.update(t.lower() for t in text.split())
    return tokens


def test_latin_spellings_come_only_from_the_hand_written_lists(rows: list[dict[str, str]]) -> None:
    allowed = _allowed_latin_tokens()
    seen = 0
    for row in rows:
        for column in ("full_name", "first_name", "father_name", "family_name", "mother_name"):
            if LATIN.search(row[column]):
                for token in row[column].split():
                    assert token.lower() in allowed, (token, row)
                    seen += 1
    assert seen > 1000


def test_several_spellings_of_the_same_name_appear(rows: list[dict[str, str]]) -> None:
    latin_firsts = Counter(_first_word(row) for row in rows if LATIN.search(_name_text(row)))
    muhammad = {"Mohammad", "Muhammad", "Mohamed", "Mohammed", "Mhd", "Mohamad"}
    assert len(muhammad & {name.title() if name.isupper() else name for name in latin_firsts}) >= 4


def test_write_registry_csv_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    assert synth.write_registry_csv(path, 120, seed=4) == 120
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == REGISTRY_COLUMNS
        assert list(reader) == list(synth.generate_rows(120, seed=4))


def test_committed_sample_is_the_generator_output(tmp_path: Path) -> None:
    path = tmp_path / "sample.csv"
    synth.write_registry_csv(path, 2500, seed=2024)
    assert path.read_bytes() == (REPO / "data" / "sample" / "registry.csv").read_bytes()


# --- the development set ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_split() -> devset.Split:
    return devset.build_split(devset.DEV_MIX)


def test_committed_splits_are_the_builder_output(tmp_path: Path) -> None:
    devset.build_all(tmp_path)
    for split in devset.SPLITS:
        for name in ("registry.csv", "queries.jsonl", "truth.jsonl"):
            committed = REPO / "data" / "devset" / split / name
            assert (tmp_path / split / name).read_bytes() == committed.read_bytes(), (split, name)


def test_dev_split_covers_every_category(dev_split: devset.Split) -> None:
    counts = Counter(str(t["category"]) for t in dev_split.truth)
    assert set(counts) == set(devset.CATEGORIES)
    assert min(counts.values()) >= 40
    assert 4500 <= len(dev_split.registry) <= 5500
    assert 1400 <= len(dev_split.queries) <= 1600


def test_queries_follow_the_contract(dev_split: devset.Split) -> None:
    for query in dev_split.queries:
        assert set(query) == {
            "query_id",
            "name",
            "father_name",
            "mother_name",
            "birth_year",
            "governorate",
        }
        assert isinstance(query["name"], str) and query["name"].strip()
        assert query["birth_year"] is None or isinstance(query["birth_year"], int)
        for key in ("father_name", "mother_name", "governorate"):
            assert query[key] is None or isinstance(query[key], str)
    # Families know different amounts.
    for key in ("father_name", "mother_name", "birth_year", "governorate"):
        filled = sum(query[key] is not None for query in dev_split.queries)
        assert 0.2 < filled / len(dev_split.queries) < 0.9


def test_truth_points_at_registry_rows(dev_split: devset.Split) -> None:
    ids = {row["record_id"] for row in dev_split.registry}
    for line in dev_split.truth:
        if line["category"] in devset.NULL_CATEGORIES:
            assert line["record_id"] is None
            assert line["ambiguous_with"] == []
        else:
            assert line["record_id"] in ids
        assert set(line["ambiguous_with"]) <= ids  # type: ignore[call-overload]
    for row in dev_split.registry:
        record_from_row(row)


def test_namesakes_are_in_the_registry_and_undiscriminated_ones_are_ambiguous(
    dev_split: devset.Split,
) -> None:
    by_id = {row["record_id"]: row for row in dev_split.registry}
    queries = {q["query_id"]: q for q in dev_split.queries}
    for line in dev_split.truth:
        if line["category"] == "namesake_nodisc":
            assert line["ambiguous_with"]
            query = queries[line["query_id"]]
            assert query["mother_name"] is None and query["birth_year"] is None
        if line["category"] == "namesake_disc":
            query = queries[line["query_id"]]
            assert query["mother_name"] is not None or query["birth_year"] is not None
            assert by_id[str(line["record_id"])]["mother_name"]


def test_cross_script_categories_are_cross_script(dev_split: devset.Split) -> None:
    queries = {q["query_id"]: q for q in dev_split.queries}
    for line in dev_split.truth:
        name = str(queries[line["query_id"]]["name"])
        if line["category"] == "arabizi_query":
            father = str(queries[line["query_id"]]["father_name"] or "")
            assert re.search(r"[235679]|8", name + father) and line["record_script"] == "arabic"
            assert not re.search(r"[\u0600-\u06ff]", name)
        elif line["category"] == "latin_query":
            assert LATIN.search(name) and line["record_script"] == "arabic"
        elif line["category"] == "arabic_vs_latin":
            assert not LATIN.search(name) and line["record_script"] == "latin"


def test_arabic_variation_helpers() -> None:
    import random

    rng = random.Random(1)
    assert devset.orthographic_variant("أحمد محمد الحسن", rng) != "أحمد محمد الحسن"
    changed = {devset.typo("مصطفى", random.Random(seed)) for seed in range(30)}
    assert "مصطفى" not in changed and len(changed) > 5
    assert all(word.startswith("م") for word in changed)


def test_jsonl_files_are_utf8_arabic_not_escaped() -> None:
    text = (REPO / "data" / "devset" / "dev" / "queries.jsonl").read_text(encoding="utf-8")
    assert "\\u06" not in text
    first = json.loads(text.splitlines()[0])
    assert set(first) >= {"query_id", "name"}
