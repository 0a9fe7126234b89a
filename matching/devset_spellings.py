"""A development set of diaspora spellings: Maghrebi, South Asian and Persian styles (synthetic).

Queries are Latin names as relatives abroad write them (``data/names/diaspora.tsv``, hand
written, not derived from the lexicon's sources), asked against the Arabic rows of an existing
devset split's registry. Writes the contract files of ``data/devset/<split>/`` so
``shaml eval-matching --split spell-dev`` scores it like any other split.
"""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from matching.names import parse_name
from matching.normalize import script_of

ROOT = Path(__file__).resolve().parent.parent
DIASPORA_PATH = ROOT / "data" / "names" / "diaspora.tsv"
STYLES = ("maghrebi", "south_asian", "persian")
#: Spelling splits: (name, registry split it reads, seed, queries per category).
SPLITS = (("spell-dev", "dev", 18, 60), ("spell-holdout", "holdout", 1818, 60))
#: Categories: one per style (full name, some details), a bare given+family name against the
#: full record, and two kinds of people who are NOT in the registry.
CATEGORIES = (*STYLES, "bare_name", "near_miss", "other_name")
#: Pairs of different names that share a consonant skeleton; "other_name" swaps one for the other.
DISTINCT = {"محمد": "محمود", "محمود": "محمد", "حسن": "حسين", "حسين": "حسن", "عمر": "عامر", "عامر": "عمر",
            "عمار": "عمر"}


@dataclass(frozen=True, slots=True)
class Row:
    """A registry row reduced to what the generator needs (canonical Arabic tokens)."""

    record_id: str
    tokens: tuple[str, ...]
    mother: str
    year: int | None


def load_spellings(path: Path = DIASPORA_PATH) -> dict[str, dict[str, list[str]]]:
    """Canonical Arabic token -> style -> Latin spellings, from diaspora.tsv."""
    table: dict[str, dict[str, list[str]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        toks = parse_name(cells[0]).tokens
        if len(toks) != 1:
            continue
        table[toks[0]] = {
            style: [s for s in cell.split("|") if s] for style, cell in zip(STYLES, cells[1:4], strict=False)
        }
    return table


def load_rows(registry: Path) -> list[Row]:
    """Arabic rows of a registry CSV with at least given, father and family name."""
    rows = []
    with registry.open(encoding="utf-8", newline="") as handle:
        for line in csv.DictReader(handle):
            name = line.get("full_name") or ""
            toks = parse_name(name).tokens
            if len(toks) < 3 or script_of(name) != "ar":
                continue
            year = line.get("birth_year") or ""
            rows.append(Row(line["record_id"], toks, line.get("mother_name") or "", int(year) if year.isdigit() else None))
    return rows


def _latin(token: str, style: str, table: dict[str, dict[str, list[str]]], rng: random.Random) -> str | None:
    spellings = table.get(token, {}).get(style) or []
    return rng.choice(spellings) if spellings else None


def _compatible(row: Row, given: str, family: str, father: str | None, mother: str | None) -> bool:
    """Whether a registry row could be the person a query describes (same names, nothing contradicts)."""
    if row.tokens[0] != given or row.tokens[-1] != family:
        return False
    if father is not None and row.tokens[1] != father:
        return False
    row_mother = parse_name(row.mother).tokens
    return not (mother is not None and row_mother and row_mother[0] != mother)


def build(registry: Path, seed: int, per_category: int) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Queries and truth lines for one spelling split."""
    table = load_spellings()
    rows = load_rows(registry)
    rng = random.Random(seed)
    by_names: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        by_names[(row.tokens[0], row.tokens[-1])].append(row)
    usable = [r for r in rows if r.tokens[0] in table]
    fathers = sorted({r.tokens[1] for r in rows if r.tokens[1] in table})
    mothers = sorted({t for r in rows for t in parse_name(r.mother).tokens[:1]})
    queries: list[dict[str, object]] = []
    truth: list[dict[str, object]] = []
    for category in CATEGORIES:
        made = 0
        attempts = 0
        while made < per_category and attempts < per_category * 200:
            attempts += 1
            row = rng.choice(usable)
            style = category if category in STYLES else rng.choice(STYLES)
            given = _latin(row.tokens[0], style, table, rng)
            if given is None:
                continue
            family = _latin(row.tokens[-1], style, table, rng) or _pool_latin(row.tokens[-1], rng)
            father_tok: str | None = row.tokens[1]
            mother_tok = parse_name(row.mother).tokens[0] if row.mother else None
            target: str | None = row.record_id
            given_tok = row.tokens[0]
            if category == "near_miss":
                father_tok = rng.choice([f for f in fathers if f != row.tokens[1]])
                mother_tok = rng.choice([m for m in mothers if m != mother_tok])
                target = None
            elif category == "other_name":
                other = DISTINCT.get(row.tokens[0])
                if other is None or other not in table:
                    continue
                given_tok = other
                given = _latin(other, style, table, rng) or ""
                target = None
            if target is None and any(
                _compatible(r, given_tok, row.tokens[-1], father_tok, mother_tok)
                for r in by_names.get((given_tok, row.tokens[-1]), [])
            ):
                continue  # someone in the registry fits: not a clean negative
            parts = [given]
            father_text = None
            if category != "bare_name":
                father_latin = _latin(father_tok or "", style, table, rng) if father_tok else None
                if father_latin and rng.random() < 0.7:
                    parts.append(father_latin)
                elif father_latin:
                    father_text = father_latin
            parts.append(family or "")
            if not all(parts):
                continue
            give_mother = category not in ("bare_name",) and mother_tok is not None and rng.random() < 0.5
            give_year = category not in ("bare_name", "near_miss", "other_name") and row.year and rng.random() < 0.5
            qid = f"sq{len(queries) + 1:04d}"
            queries.append({
                "query_id": qid, "name": " ".join(parts), "father_name": father_text,
                "mother_name": mother_tok if give_mother else None,
                "birth_year": row.year if give_year else None, "governorate": None,
            })
            ambiguous = [] if target is None else [
                r.record_id for r in by_names[(row.tokens[0], row.tokens[-1])]
                if r.record_id != target and category == "bare_name"
            ]
            truth.append({"query_id": qid, "record_id": target, "category": category,
                          "ambiguous_with": ambiguous, "query_script": "latin", "record_script": "arabic"})
            made += 1
    return queries, truth


_POOL: dict[str, list[str]] = {}


def _pool_latin(token: str, rng: random.Random) -> str | None:
    """The generator pools' usual Latin spelling of a family name (data/names/family.tsv)."""
    if not _POOL:
        for name in ("family.tsv", "given_male.tsv"):
            for line in (ROOT / "data" / "names" / name).read_text(encoding="utf-8").splitlines():
                if line.startswith("#") or "\t" not in line:
                    continue
                cells = line.split("\t")
                toks = parse_name(cells[0]).tokens
                if len(toks) == 1:
                    _POOL.setdefault(toks[0], [s for s in cells[1].split("|") if s])
    spellings = _POOL.get(token) or []
    return spellings[0] if spellings else None


def build_all(devset_dir: Path) -> dict[str, int]:
    """Write every spelling split under ``devset_dir``; returns queries per split."""
    counts = {}
    for name, source, seed, per_category in SPLITS:
        queries, truth = build(devset_dir / source / "registry.csv", seed, per_category)
        out = devset_dir / name
        out.mkdir(parents=True, exist_ok=True)
        (out / "registry.csv").write_bytes((devset_dir / source / "registry.csv").read_bytes())
        for fname, lines in (("queries.jsonl", queries), ("truth.jsonl", truth)):
            (out / fname).write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
        counts[name] = len(queries)
    return counts
