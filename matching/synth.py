"""Seeded synthetic registry rows with realistic Syrian names in Arabic and Latin script (no real person)."""

from __future__ import annotations

import csv
import functools
import random
from bisect import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from matching.records import REGISTRY_COLUMNS

#: The hand-compiled name pools and place lists (see data/names/README.md).
NAMES_DIR = Path(__file__).resolve().parent.parent / "data" / "names"

#: Zipf exponents: rank r in a pool gets weight 1 / r**s.
ZIPF_MALE = 1.0
ZIPF_FEMALE = 0.9
ZIPF_FAMILY = 0.75

#: Share of registry rows written in Latin script (volunteers type more Latin).
LATIN_SHARE_VOLUNTEER = 0.35
LATIN_SHARE_OTHER = 0.106

T = TypeVar("T")

_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_DROP_HAMZA_ON_ALEF = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا"})
_TA_MARBUTA_TO_HA = str.maketrans({"ة": "ه"})
_YA_FOR_ALEF_MAQSURA = str.maketrans({"ى": "ي"})


@dataclass(frozen=True, slots=True)
class Name:
    """One entry of a name pool: the Arabic form and hand-written Latin and Arabizi spellings."""

    arabic: str
    latin: tuple[str, ...]
    arabizi: tuple[str, ...]
    rank: int

    @property
    def has_article(self) -> bool:
        """True when the Arabic name starts with the article ال (الحسن, العبد الله)."""
        return self.arabic.startswith("ال")


@dataclass(frozen=True, slots=True)
class Place:
    """A governorate or a place of detention, in Arabic with Latin spellings."""

    arabic: str
    latin: tuple[str, ...]


class Table(Generic[T]):
    """Items with weights, sampled in O(log n) from a caller's ``random.Random``."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        if not items or len(items) != len(weights):
            raise ValueError("a table needs as many weights as items, and at least one item")
        self.items: tuple[T, ...] = tuple(items)
        cum: list[float] = []
        total = 0.0
        for weight in weights:
            total += weight
            cum.append(total)
        self.cum = cum
        self.total = total

    def pick(self, rng: random.Random) -> T:
        """Draw one item in proportion to its weight."""
        index = bisect(self.cum, rng.random() * self.total)
        return self.items[min(index, len(self.items) - 1)]


@dataclass(frozen=True)
class Pools:
    """Every list the generator draws from."""

    male: Table[Name]
    female: Table[Name]
    family: Table[Name]
    articles: Table[str]
    governorates: Table[Place]
    prisons: Table[Place]
    sources: Table[str]


@dataclass(frozen=True, slots=True)
class Person:
    """A synthetic released detainee: the truth that registry rows and queries are written from."""

    female: bool
    first: Name
    father: Name
    grandfather: Name
    family: Name
    mother: Name
    mother_family: Name | None
    birth_year: int
    governorate: Place
    prison: Place
    release_date: str
    source: str


def _data_lines(path: Path) -> Iterator[list[str]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            yield line.split("\t")


def _spellings(field: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for part in field.split("|"):
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return tuple(seen)


def _name_table(path: Path, exponent: float) -> Table[Name]:
    names = []
    for rank, fields in enumerate(_data_lines(path), start=1):
        latin = _spellings(fields[1]) if len(fields) > 1 else ()
        arabizi = _spellings(fields[2]) if len(fields) > 2 else ()
        if not latin:
            raise ValueError(f"{path.name}: {fields[0]} has no Latin spelling")
        names.append(Name(fields[0].strip(), latin, arabizi, rank))
    return Table(names, [1.0 / (n.rank**exponent) for n in names])


def _place_table(path: Path) -> Table[Place]:
    rows = list(_data_lines(path))
    places = [Place(f[0].strip(), _spellings(f[2])) for f in rows]
    return Table(places, [float(f[1]) for f in rows])


def _weighted_strings(path: Path) -> Table[str]:
    rows = list(_data_lines(path))
    return Table([f[0] for f in rows], [float(f[1]) for f in rows])


@functools.lru_cache(maxsize=4)
def load_pools(names_dir: Path = NAMES_DIR) -> Pools:
    """Read the name pools and place lists from ``data/names`` (cached; the files never change)."""
    return Pools(
        male=_name_table(names_dir / "given_male.tsv", ZIPF_MALE),
        female=_name_table(names_dir / "given_female.tsv", ZIPF_FEMALE),
        family=_name_table(names_dir / "family.tsv", ZIPF_FAMILY),
        articles=_weighted_strings(names_dir / "articles.tsv"),
        governorates=_place_table(names_dir / "governorates.tsv"),
        prisons=_place_table(names_dir / "prisons.tsv"),
        sources=_weighted_strings(names_dir / "sources.tsv"),
    )


# Spelling choice: the first spelling listed is the usual one; variant i gets weight 1/(i+1).
_VARIANT_TABLES = [Table(range(n), [1.0 / (i + 1) for i in range(n)]) for n in range(1, 12)]


def pick_spelling(spellings: Sequence[str], rng: random.Random) -> str:
    """Pick one of several hand-written spellings, the usual (first) one most often."""
    if len(spellings) == 1:
        return spellings[0]
    table = _VARIANT_TABLES[min(len(spellings), len(_VARIANT_TABLES)) - 1]
    return spellings[min(table.pick(rng), len(spellings) - 1)]


def latin_family(name: Name, rng: random.Random, pools: Pools, article: str | None = None) -> str:
    """A Latin spelling of a family name, with the article written in one of the listed styles."""
    base = pick_spelling(name.latin, rng)
    if not name.has_article:
        return base
    style = article if article is not None else pools.articles.pick(rng)
    prefix = style.replace("{}", "")
    if prefix and prefix[-1].isalpha():
        # joined style ("Al{}"): the name continues in lower case, as in "Alhassan"
        return prefix + base[:1].lower() + base[1:]
    return prefix + base


_SHELTER_DAYS = ("2024-12-08", "2024-12-08", "2024-12-08", "2024-12-09", "2024-12-09", "2024-12-10")
_MOSQUE_DAYS = ("2024-12-09", "2024-12-09", "2024-12-10", "2024-12-11", "2024-12-12", "2024-12-14")
_ANY_DAYS = tuple(f"2024-12-{d:02d}" for d in range(5, 16))
_DAMASCUS = ("دمشق", "ريف دمشق")


def birth_year(rng: random.Random) -> int:
    """A detainee's birth year in 1940..2006, most born 1965..2000."""
    if rng.random() < 0.85:
        age = rng.triangular(19, 70, 33)
    else:
        age = rng.uniform(18, 84)
    return max(1940, min(2006, round(2024 - age)))


def random_person(rng: random.Random, pools: Pools) -> Person:
    """Draw one synthetic person; names follow the Zipf-skewed pools, so namesakes occur."""
    female = rng.random() < 0.07
    first = (pools.female if female else pools.male).pick(rng)
    governorate = pools.governorates.pick(rng)
    if governorate.arabic in _DAMASCUS and rng.random() < 0.55:
        source = "barzeh-salam-mosque-list"
    else:
        source = pools.sources.pick(rng)
        if source == "barzeh-salam-mosque-list" and governorate.arabic not in _DAMASCUS:
            source = rng.choice(("shelter-intake-tal", "shelter-intake-minin", "volunteer-list"))
    if source.startswith("shelter"):
        day = rng.choice(_SHELTER_DAYS)
    elif source.startswith("barzeh"):
        day = rng.choice(_MOSQUE_DAYS)
    else:
        day = rng.choice(_ANY_DAYS)
    return Person(
        female=female,
        first=first,
        father=pools.male.pick(rng),
        grandfather=pools.male.pick(rng),
        family=pools.family.pick(rng),
        mother=pools.female.pick(rng),
        mother_family=pools.family.pick(rng) if rng.random() < 0.35 else None,
        birth_year=birth_year(rng),
        governorate=governorate,
        prison=pools.prisons.pick(rng),
        release_date=day,
        source=source,
    )


def arabic_registry_noise(text: str, flags: int) -> str:
    """Apply the hand-typing habits chosen for a row (bit flags) to Arabic text."""
    if flags & 1:
        text = text.translate(_DROP_HAMZA_ON_ALEF)
    if flags & 2:
        text = text.replace("عبد ", "عبد")
    if flags & 4:
        text = text.replace(" الدين", "الدين")
    if flags & 8:
        text = text.translate(_TA_MARBUTA_TO_HA)
    if flags & 16:
        text = text.translate(_YA_FOR_ALEF_MAQSURA)
    return text


def _row_noise_flags(rng: random.Random) -> int:
    flags = 0
    if rng.random() < 0.3:
        flags |= 1
    if rng.random() < 0.35:
        flags |= 2
    if rng.random() < 0.3:
        flags |= 4
    if rng.random() < 0.06:
        flags |= 8
    if rng.random() < 0.06:
        flags |= 16
    return flags


def render_row(
    person: Person,
    record_id: str,
    rng: random.Random,
    pools: Pools,
    *,
    latin: bool | None = None,
) -> dict[str, str]:
    """Write a person as one registry row the way a hand-typed intake list would.

    ``latin`` forces the script of the names; by default about 15% of rows are Latin.
    """
    return render_row_detail(person, record_id, rng, pools, latin=latin)[0]


def render_row_detail(
    person: Person,
    record_id: str,
    rng: random.Random,
    pools: Pools,
    *,
    latin: bool | None = None,
) -> tuple[dict[str, str], bool]:
    """Like :func:`render_row`, and also say whether the father's name was written."""
    if latin is None:
        share = LATIN_SHARE_VOLUNTEER if person.source == "volunteer-list" else LATIN_SHARE_OTHER
        latin = rng.random() < share
    r = rng.random()
    layout = "full" if r < 0.45 else ("both" if r < 0.9 else "split")
    with_father = rng.random() >= (0.07 if layout == "full" else 0.04)
    with_grandfather = with_father and layout == "full" and rng.random() < 0.05
    with_bin = with_father and rng.random() < 0.02
    if latin:
        article = pools.articles.pick(rng)
        first = pick_spelling(person.first.latin, rng)
        father = pick_spelling(person.father.latin, rng)
        grandfather = pick_spelling(person.grandfather.latin, rng)
        family = latin_family(person.family, rng, pools, article)
        mother = pick_spelling(person.mother.latin, rng)
        if person.mother_family is not None and rng.random() < 0.5:
            mother += " " + latin_family(person.mother_family, rng, pools, article)
        bin_word = "bin" if rng.random() < 0.6 else "ibn"
    else:
        flags = _row_noise_flags(rng)
        family_text = person.family.arabic
        if person.family.has_article and rng.random() < 0.06:
            family_text = family_text[2:]
        first = arabic_registry_noise(person.first.arabic, flags)
        father = arabic_registry_noise(person.father.arabic, flags)
        grandfather = arabic_registry_noise(person.grandfather.arabic, flags)
        family = arabic_registry_noise(family_text, flags)
        mother = person.mother.arabic
        if person.mother_family is not None and rng.random() < 0.5:
            mother += " " + person.mother_family.arabic
        mother = arabic_registry_noise(mother, flags)
        bin_word = "بن"
    parts = [first]
    if with_father:
        if with_bin:
            parts.append(bin_word)
        parts.append(father)
        if with_grandfather:
            parts.append(grandfather)
    parts.append(family)
    full = " ".join(parts)
    if latin and rng.random() < 0.08:
        full = full.upper()
    year = ""
    if rng.random() < 0.87:
        year = str(person.birth_year)
        if not latin and rng.random() < 0.05:
            year = year.translate(_ARABIC_INDIC)
    governorate = ""
    if rng.random() < 0.92:
        in_latin = rng.random() < (0.8 if latin else 0.05)
        governorate = (
            pick_spelling(person.governorate.latin, rng) if in_latin else person.governorate.arabic
        )
    prison = ""
    if rng.random() < 0.85:
        prison = pick_spelling(person.prison.latin, rng) if latin else person.prison.arabic
    row = {
        "record_id": record_id,
        "full_name": "" if layout == "split" else full,
        "first_name": "" if layout == "full" else first,
        "father_name": father if layout != "full" and with_father else "",
        "family_name": "" if layout == "full" else family,
        "mother_name": mother if rng.random() < 0.72 else "",
        "birth_year": year,
        "governorate": governorate,
        "prison": prison,
        "release_date": person.release_date if rng.random() < 0.9 else "",
        "source": person.source,
    }
    return row, with_father


def record_id_for(index: int) -> str:
    """The record id of the index-th generated row (1-based): R0000001, R0000002, ..."""
    return f"R{index:07d}"


def generate_rows(n: int, seed: int = 0) -> Iterator[dict[str, str]]:
    """Yield ``n`` synthetic registry rows keyed by REGISTRY_COLUMNS; the same seed gives the same rows."""
    rng = random.Random(seed)
    pools = load_pools()
    for index in range(1, n + 1):
        person = random_person(rng, pools)
        yield render_row(person, record_id_for(index), rng, pools)


def write_rows_csv(
    path: str | Path, rows: Iterator[dict[str, str]] | Sequence[dict[str, str]]
) -> int:
    """Write registry rows as UTF-8 CSV with the contract header; returns the number of rows."""
    count = 0
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=REGISTRY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def write_registry_csv(path: str | Path, n: int, seed: int = 0) -> int:
    """Write ``n`` synthetic registry rows to ``path`` (UTF-8 CSV with header); returns ``n``."""
    return write_rows_csv(path, generate_rows(n, seed))
