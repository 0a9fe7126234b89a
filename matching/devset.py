"""Labelled development set for the matcher (registry, queries, truth) built from synthetic people."""

from __future__ import annotations

import dataclasses
import json
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matching.synth import (
    Name,
    Person,
    Place,
    Pools,
    latin_family,
    load_pools,
    pick_spelling,
    random_person,
    render_row_detail,
    write_rows_csv,
)

#: Every category a query can belong to, in report order.
CATEGORIES: tuple[str, ...] = (
    "exact_ar",
    "ortho_ar",
    "typo_ar",
    "partial",
    "extra_parts",
    "family_first",
    "bin",
    "latin_query",
    "arabizi_query",
    "arabic_vs_latin",
    "namesake_disc",
    "namesake_nodisc",
    "wrong_gov",
    "year_off",
    "near_miss",
    "absent",
)

#: Categories whose truth is null: the person is not in the registry.
NULL_CATEGORIES = frozenset({"near_miss", "absent"})

#: Categories where the query and the registry row are in different scripts.
CROSS_SCRIPT_CATEGORIES = frozenset({"latin_query", "arabizi_query", "arabic_vs_latin"})

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "data" / "devset"


@dataclass(frozen=True)
class Mix:
    """How one split is made: its seed, registry size, category counts and query habits."""

    name: str
    seed: int
    registry_size: int
    counts: dict[str, int]
    p_mother: float = 0.5
    p_year: float = 0.55
    p_governorate: float = 0.5
    uniform_spellings: bool = False
    latin_typos: bool = False
    record_prefix: str = "D"


DEV_MIX = Mix(
    name="dev",
    seed=20241208,
    registry_size=5000,
    counts={
        "exact_ar": 110,
        "ortho_ar": 110,
        "typo_ar": 100,
        "partial": 90,
        "extra_parts": 70,
        "family_first": 70,
        "bin": 60,
        "latin_query": 120,
        "arabizi_query": 100,
        "arabic_vs_latin": 90,
        "namesake_disc": 80,
        "namesake_nodisc": 50,
        "wrong_gov": 60,
        "year_off": 60,
        "near_miss": 150,
        "absent": 180,
    },
    record_prefix="D",
)

#: The holdout differs in seed and also in mix: more cross-script and negative queries, rarer
#: spellings as often as usual ones, typos in Latin queries, and families who know less.
HOLDOUT_MIX = Mix(
    name="holdout",
    seed=7700331,
    registry_size=5200,
    counts={
        "exact_ar": 80,
        "ortho_ar": 100,
        "typo_ar": 110,
        "partial": 90,
        "extra_parts": 80,
        "family_first": 60,
        "bin": 50,
        "latin_query": 140,
        "arabizi_query": 120,
        "arabic_vs_latin": 110,
        "namesake_disc": 70,
        "namesake_nodisc": 60,
        "wrong_gov": 50,
        "year_off": 60,
        "near_miss": 170,
        "absent": 200,
    },
    p_mother=0.4,
    p_year=0.45,
    p_governorate=0.6,
    uniform_spellings=True,
    latin_typos=True,
    record_prefix="H",
)

SPLITS: dict[str, Mix] = {"dev": DEV_MIX, "holdout": HOLDOUT_MIX}

# --- Arabic text variation -------------------------------------------------------------------

_HARAKAT = ("\u064e", "\u064f", "\u0650", "\u0651", "\u0652")
_TATWEEL = "\u0640"
# Letters after which tatweel can stretch the word (letters that join to the left).
_JOINING = set("بتثجحخسشصضطظعغفقكلمنهيئ")
_LOOKALIKE = {
    "ب": "تن",
    "ت": "بث",
    "ث": "ت",
    "ن": "بت",
    "ج": "حخ",
    "ح": "جخ",
    "خ": "حج",
    "د": "ذ",
    "ذ": "د",
    "ر": "ز",
    "ز": "ر",
    "س": "ش",
    "ش": "س",
    "ص": "ض",
    "ض": "ص",
    "ط": "ظ",
    "ظ": "ط",
    "ع": "غ",
    "غ": "ع",
    "ف": "ق",
    "ق": "ف",
    "ه": "ة",
    "ة": "ه",
    "ي": "ى",
    "ى": "ي",
    "ا": "أ",
    "أ": "ا",
    "و": "ؤ",
}
_LATIN_LOOKALIKE = {"e": "a", "a": "e", "i": "e", "o": "u", "u": "o", "s": "z", "k": "q", "q": "k"}


def orthographic_variant(text: str, rng: random.Random) -> str:
    """Rewrite Arabic text with 1-3 spelling habits that do not change the name.

    Habits: alef and hamza forms, ة/ه, ى/ي, tashkeel, tatweel, Persian ی and ک, ؤ/ئ.
    """
    ops = [
        _op_hamza,
        _op_ta_marbuta,
        _op_alef_maqsura,
        _op_tashkeel,
        _op_tatweel,
        _op_persian,
        _op_hamza_seat,
    ]
    rng.shuffle(ops)
    wanted = rng.choice((1, 1, 2, 2, 3))
    done = 0
    for op in ops:
        changed = op(text, rng)
        if changed != text:
            text = changed
            done += 1
            if done >= wanted:
                break
    return text


_NO_HAMZA = {ord("أ"): "ا", ord("إ"): "ا", ord("آ"): "ا"}


def _op_hamza(text: str, rng: random.Random) -> str:
    if any(c in text for c in "أإآ"):
        return text.translate(_NO_HAMZA)
    words = text.split(" ")
    for i, word in enumerate(words):
        if word.startswith("ا") and not word.startswith("ال"):
            words[i] = rng.choice("أإ") + word[1:]
            return " ".join(words)
    return text


def _op_ta_marbuta(text: str, rng: random.Random) -> str:
    if "ة" in text:
        return text.replace("ة", "ه")
    words = [w[:-1] + "ة" if len(w) > 3 and w.endswith("ه") else w for w in text.split(" ")]
    return " ".join(words)


def _op_alef_maqsura(text: str, rng: random.Random) -> str:
    if "ى" in text:
        return text.replace("ى", "ي")
    words = [w[:-1] + "ى" if len(w) > 2 and w.endswith("ي") else w for w in text.split(" ")]
    return " ".join(words)


def _op_tashkeel(text: str, rng: random.Random) -> str:
    out = []
    for word in text.split(" "):
        start = 2 if word.startswith("ال") else 0
        chars = list(word[:start])
        for char in word[start:]:
            chars.append(char)
            if "\u0621" < char <= "\u064a" and char not in "اأإآىء" and rng.random() < 0.35:
                chars.append(rng.choice(_HARAKAT))
        out.append("".join(chars))
    return " ".join(out)


def _op_tatweel(text: str, rng: random.Random) -> str:
    spots = [i for i in range(len(text) - 1) if text[i] in _JOINING and text[i + 1] != " "]
    if not spots:
        return text
    chars = list(text)
    for i in sorted(rng.sample(spots, min(len(spots), rng.choice((1, 1, 2)))), reverse=True):
        chars.insert(i + 1, _TATWEEL * rng.choice((1, 1, 2)))
    return "".join(chars)


def _op_persian(text: str, rng: random.Random) -> str:
    return text.replace("ي", "ی").replace("ك", "ک")


def _op_hamza_seat(text: str, rng: random.Random) -> str:
    return text.replace("ؤ", "و").replace("ئ", "ي")


def typo(text: str, rng: random.Random, edits: int = 1) -> str:
    """Introduce ``edits`` typing mistakes (deletion, swap, look-alike letter, doubled letter).

    Works on Arabic and Latin text; words shorter than three letters are left alone, and the
    first letter of a word is kept.
    """
    for _ in range(edits):
        words = text.split(" ")
        spots = [i for i, w in enumerate(words) if len(w) >= 3]
        if not spots:
            return text
        index = rng.choice(spots)
        words[index] = _typo_word(words[index], rng)
        text = " ".join(words)
    return text


def _typo_word(word: str, rng: random.Random) -> str:
    kind = rng.random()
    pos = rng.randrange(1, len(word))
    if kind < 0.3 and len(word) >= 4:
        return word[:pos] + word[pos + 1 :]
    if kind < 0.5 and pos < len(word) - 1:
        return word[:pos] + word[pos + 1] + word[pos] + word[pos + 2 :]
    if kind < 0.85:
        subs = [
            (i, c)
            for i, c in enumerate(word)
            if i > 0 and (c in _LOOKALIKE or c in _LATIN_LOOKALIKE)
        ]
        if subs:
            i, c = rng.choice(subs)
            alternatives = _LOOKALIKE.get(c) or _LATIN_LOOKALIKE[c]
            return word[:i] + rng.choice(alternatives) + word[i + 1 :]
    return word[:pos] + word[pos] + word[pos:]


def join_compounds(text: str, rng: random.Random) -> str:
    """Sometimes write compounds joined, as many people type them (عبدالرحمن, نورالدين)."""
    if "عبد " in text and rng.random() < 0.3:
        text = text.replace("عبد ", "عبد")
    if " الدين" in text and rng.random() < 0.25:
        text = text.replace(" الدين", "الدين")
    return text


# --- the builder -------------------------------------------------------------------------------


@dataclass
class _Entry:
    person: Person
    row: dict[str, str]
    father_shown: bool
    latin: bool


@dataclass
class _Plan:
    category: str
    target: _Entry | None
    person: Person  # the person the family describes
    others: list[_Entry] = field(default_factory=list)


@dataclass
class _Known:
    """What the query states, in canonical Arabic, for the ambiguity check."""

    first: str
    family: str
    father: str | None
    mother: str | None
    year: int | None


def _compatible(known: _Known, entry: _Entry) -> bool:
    person, row = entry.person, entry.row
    if person.first.arabic != known.first or person.family.arabic != known.family:
        return False
    if known.father is not None and entry.father_shown and person.father.arabic != known.father:
        return False
    if known.mother is not None and row["mother_name"] and person.mother.arabic != known.mother:
        return False
    if known.year is not None and row["birth_year"] and abs(person.birth_year - known.year) > 2:
        return False
    return True


def _evidence(known: _Known, entry: _Entry) -> frozenset[str]:
    """The details the query states that this (compatible) row positively confirms."""
    row = entry.row
    found = set()
    if known.father is not None and entry.father_shown:
        found.add("father")
    if known.mother is not None and row["mother_name"]:
        found.add("mother")
    if known.year is not None and row["birth_year"]:
        found.add("year")
    return frozenset(found)


class _Builder:
    def __init__(self, mix: Mix, pools: Pools) -> None:
        self.mix = mix
        self.pools = pools
        self.rng = random.Random(mix.seed)
        self.entries: list[_Entry] = []
        self.by_pair: dict[tuple[str, str], list[_Entry]] = {}

    # registry -------------------------------------------------------------------------------

    def add_entry(
        self,
        person: Person,
        *,
        latin: bool | None = None,
        need_father: bool = False,
        need_mother: bool = False,
        need_year: bool = False,
        need_governorate: bool = False,
    ) -> _Entry:
        rng = self.rng
        for _ in range(50):
            row, father_shown = render_row_detail(person, "", rng, self.pools, latin=latin)
            if father_shown or not need_father:
                break
        is_latin = any("a" <= c.lower() <= "z" for c in row["full_name"] or row["first_name"])
        if need_mother and not row["mother_name"]:
            row["mother_name"] = (
                pick_spelling(person.mother.latin, rng) if is_latin else person.mother.arabic
            )
        if need_year and not row["birth_year"]:
            row["birth_year"] = str(person.birth_year)
        if need_governorate and not row["governorate"]:
            gov = person.governorate
            row["governorate"] = pick_spelling(gov.latin, rng) if is_latin else gov.arabic
        entry = _Entry(person, row, father_shown, is_latin)
        self.entries.append(entry)
        self.by_pair.setdefault((person.first.arabic, person.family.arabic), []).append(entry)
        return entry

    def person(self) -> Person:
        return random_person(self.rng, self.pools)

    def other_name(self, table_name: str, not_this: Name) -> Name:
        table = getattr(self.pools, table_name)
        while True:
            name: Name = table.pick(self.rng)
            if name.arabic != not_this.arabic:
                return name

    def other_place(self, not_this: Place) -> Place:
        while True:
            place: Place = self.pools.governorates.pick(self.rng)
            if place.arabic != not_this.arabic:
                return place

    def plan(self) -> list[_Plan]:
        rng = self.rng
        plans: list[_Plan] = []
        for category in CATEGORIES:
            for _ in range(self.mix.counts.get(category, 0)):
                plans.append(self.plan_one(category))
        while len(self.entries) < self.mix.registry_size:
            self.add_entry(self.person())
        rng.shuffle(self.entries)
        width = max(5, len(str(len(self.entries))))
        for index, entry in enumerate(self.entries, start=1):
            entry.row["record_id"] = f"{self.mix.record_prefix}{index:0{width}d}"
        rng.shuffle(plans)
        return plans

    def plan_one(self, category: str) -> _Plan:
        rng = self.rng
        if category in ("latin_query", "arabizi_query"):
            person = self.person()
            if category == "arabizi_query":
                while not (person.first.arabizi or person.family.arabizi or person.father.arabizi):
                    person = self.person()
            return _Plan(category, self.add_entry(person, latin=False), person)
        if category == "arabic_vs_latin":
            person = self.person()
            return _Plan(category, self.add_entry(person, latin=True), person)
        if category in ("namesake_disc", "namesake_nodisc"):
            first = self.person()
            group = [first]
            for _ in range(1 if rng.random() < 0.75 else 2):
                year = first.birth_year
                while abs(year - first.birth_year) < 4:
                    year = rng.randint(
                        max(1940, first.birth_year - 25), min(2006, first.birth_year + 25)
                    )
                group.append(
                    dataclasses.replace(
                        self.person(),
                        female=first.female,
                        first=first.first,
                        father=first.father,
                        family=first.family,
                        mother=self.other_name("female", first.mother),
                        birth_year=year,
                        governorate=first.governorate
                        if rng.random() < 0.5
                        else self.person().governorate,
                    )
                )
            entries = [
                self.add_entry(p, latin=False, need_father=True, need_mother=True, need_year=True)
                for p in group
            ]
            return _Plan(category, entries[0], group[0], entries[1:])
        if category == "near_miss":
            target_person = self.person()
            target = self.add_entry(target_person, need_father=True)
            described = dataclasses.replace(
                self.person(),
                female=target_person.female,
                first=target_person.first,
                family=target_person.family,
                father=self.other_name("male", target_person.father),
                mother=self.other_name("female", target_person.mother),
            )
            return _Plan(category, None, described, [target])
        if category == "absent":
            return _Plan(category, None, self.person())
        person = self.person()
        entry = self.add_entry(
            person,
            latin=False,
            need_year=category == "year_off",
            need_governorate=category == "wrong_gov",
        )
        return _Plan(category, entry, person)

    # queries --------------------------------------------------------------------------------

    def spelling(self, spellings: Sequence[str]) -> str:
        if self.mix.uniform_spellings:
            return self.rng.choice(list(spellings))
        return pick_spelling(spellings, self.rng)

    def latin_name(self, name: Name, *, family: bool = False) -> str:
        if family:
            if self.mix.uniform_spellings and name.has_article:
                article = self.rng.choice(self.pools.articles.items)
                return latin_family(
                    dataclasses.replace(name, latin=(self.spelling(name.latin),)),
                    self.rng,
                    self.pools,
                    article,
                )
            return latin_family(name, self.rng, self.pools)
        return self.spelling(name.latin)

    def arabizi_name(self, name: Name, *, family: bool = False, force: bool = False) -> str:
        rng = self.rng
        if name.arabizi and (force or rng.random() < 0.85):
            text = rng.choice(list(name.arabizi))
        else:
            text = self.spelling(name.latin).lower()
        if family and name.has_article:
            text = rng.choice(("al ", "el ", "al-", "al", "")) + text
        return text

    def write_name(self, name: Name, script: str, *, family: bool = False) -> str:
        if script == "arabic":
            return name.arabic
        if script == "latin":
            return self.latin_name(name, family=family)
        return self.arabizi_name(name, family=family)

    def mother_text(self, person: Person, script: str) -> str:
        text = self.write_name(person.mother, script)
        if person.mother_family is not None and self.rng.random() < 0.25:
            text += " " + self.write_name(person.mother_family, script, family=True)
        return text

    def governorate_text(self, place: Place, script: str) -> str:
        rng = self.rng
        in_latin = rng.random() < (0.1 if script == "arabic" else 0.85)
        if not in_latin:
            return place.arabic
        text = self.spelling(place.latin)
        return text.lower() if script == "arabizi" else text

    def finish_case(self, text: str, script: str) -> str:
        rng = self.rng
        if script == "latin":
            r = rng.random()
            if r < 0.3:
                text = text.lower()
            elif r < 0.38:
                text = text.upper()
            if self.mix.latin_typos and rng.random() < 0.3:
                text = typo(text, rng)
        elif script == "arabizi":
            text = text.lower()
        return text

    def query(self, plan: _Plan, query_id: str) -> tuple[dict[str, object], dict[str, object]]:
        rng = self.rng
        mix = self.mix
        cat = plan.category
        person = plan.person
        script = "arabic"
        if cat in ("latin_query",):
            script = "latin"
        elif cat == "arabizi_query":
            script = "arabizi"
        elif cat in ("namesake_disc", "namesake_nodisc", "wrong_gov", "year_off", "near_miss"):
            script = "latin" if rng.random() < 0.2 else "arabic"
        elif cat == "absent":
            r = rng.random()
            script = "latin" if r < 0.15 else ("arabizi" if r < 0.25 else "arabic")
        elif cat == "bin" and rng.random() < 0.3:
            script = "latin"

        first = self.write_name(person.first, script)
        father = self.write_name(person.father, script)
        family = self.write_name(person.family, script, family=True)
        if script == "arabizi" and not any(c.isdigit() for c in first + father + family):
            # Make sure an Arabizi query has Arabizi in it: use the digit spellings.
            first = self.arabizi_name(person.first, force=True)
            father = self.arabizi_name(person.father, force=True)
            family = self.arabizi_name(person.family, family=True, force=True)
        if script == "arabic" and cat != "exact_ar":
            first, father, family = (join_compounds(t, rng) for t in (first, father, family))

        # Where the father's name goes: in the name, in its own field, both, or nowhere.
        r = rng.random()
        mode = "name" if r < 0.5 else ("field" if r < 0.75 else "both")
        if cat == "partial":
            mode = "none"
        elif (
            cat in ("near_miss", "namesake_disc", "namesake_nodisc")
            and mode == "field"
            and rng.random() < 0.5
        ):
            mode = "name"
        elif cat in ("bin", "extra_parts"):
            mode = "name" if rng.random() < 0.8 else "both"

        in_name = mode in ("name", "both")
        if cat == "family_first":
            parts = [family, first] + ([father] if in_name else [])
            name = " ".join(parts)
            if rng.random() < 0.2:
                name = name.replace(" ", "، " if script == "arabic" else ", ", 1)
        elif cat == "bin":
            if script == "arabic":
                word = "بن" if rng.random() < 0.7 else "ابن"
            else:
                word = rng.choice(("bin", "bin", "ibn", "ben"))
            name = f"{first} {word} {father} {family}"
        elif cat == "extra_parts":
            grandfather = self.write_name(person.grandfather, script)
            if rng.random() < 0.7:
                name = f"{first} {father} {grandfather} {family}"
            else:
                kunya = self.write_name(self.pools.male.pick(rng), script)
                name = f"{'أبو' if script == 'arabic' else 'Abu'} {kunya} {first} {father} {family}"
        else:
            name = f"{first} {father} {family}" if in_name else f"{first} {family}"

        if cat == "ortho_ar":
            name = orthographic_variant(name, rng)
        elif cat == "typo_ar":
            name = typo(name, rng, edits=1 if rng.random() < 0.7 else 2)
        name = self.finish_case(name, script)

        # Optional details the family knows.
        p_mother, p_year, p_gov = mix.p_mother, mix.p_year, mix.p_governorate
        if cat == "namesake_nodisc":
            p_mother = p_year = 0.0
        elif cat == "near_miss":
            p_mother = 0.75
        mother = self.mother_text(person, script) if rng.random() < p_mother else None
        year: int | None = person.birth_year if rng.random() < p_year else None
        governorate_place: Place | None = person.governorate if rng.random() < p_gov else None
        if cat == "namesake_disc" and mother is None and year is None:
            if rng.random() < 0.5:
                mother = self.mother_text(person, script)
            else:
                year = person.birth_year
        if cat == "year_off":
            year = person.birth_year + rng.choice((-2, -1, -1, 1, 1, 2))
        if cat == "wrong_gov":
            governorate_place = self.other_place(person.governorate)
        father_field = None
        if mode in ("field", "both"):
            father_field = father if script == "arabizi" else self.write_name(person.father, script)
        if father_field is not None:
            father_field = (
                self.finish_case(father_field, script) if script != "latin" else father_field
            )

        query: dict[str, object] = {
            "query_id": query_id,
            "name": name,
            "father_name": father_field,
            "mother_name": mother,
            "birth_year": year,
            "governorate": self.governorate_text(governorate_place, script)
            if governorate_place
            else None,
        }
        known = _Known(
            first=person.first.arabic,
            family=person.family.arabic,
            father=person.father.arabic if mode != "none" else None,
            mother=person.mother.arabic if mother is not None else None,
            year=year,
        )
        candidates = self.by_pair.get((known.first, known.family), [])
        compatible = [e for e in candidates if e is not plan.target and _compatible(known, e)]
        if plan.target is not None:
            # Another row is a true tie only if it confirms everything the truth row confirms.
            confirmed = _evidence(known, plan.target)
            compatible = [e for e in compatible if _evidence(known, e) >= confirmed]
        truth: dict[str, object] = {
            "query_id": query_id,
            "record_id": plan.target.row["record_id"] if plan.target else None,
            "category": cat,
            "ambiguous_with": sorted(e.row["record_id"] for e in compatible),
            "query_script": script,
            "record_script": ("latin" if plan.target.latin else "arabic") if plan.target else None,
        }
        return query, truth


@dataclass
class Split:
    """One built split: registry rows, queries and truth lines."""

    registry: list[dict[str, str]]
    queries: list[dict[str, object]]
    truth: list[dict[str, object]]


def build_split(mix: Mix, pools: Pools | None = None) -> Split:
    """Build one split deterministically from its :class:`Mix`.

    Null-truth queries (near misses, absent people) are redrawn until no registry row is
    compatible with what they state, so that a null label is never wrong.
    """
    builder = _Builder(mix, pools or load_pools())
    plans = builder.plan()
    queries: list[dict[str, object]] = []
    truth: list[dict[str, object]] = []
    for index, plan in enumerate(plans, start=1):
        query_id = f"{mix.name[0]}q{index:05d}"
        for _attempt in range(200):
            query, line = builder.query(plan, query_id)
            if plan.target is not None or not line["ambiguous_with"]:
                break
            # A null query that some registry row cannot be told apart from: redraw the person.
            if plan.category == "absent":
                plan.person = builder.person()
                continue
            if _attempt % 20 == 19:
                # Some registry row with this first and family name says too little to be
                # told apart from anyone: take a near miss on another registered person.
                plan.others = [builder.rng.choice([e for e in builder.entries if e.father_shown])]
            target = plan.others[0].person
            plan.person = dataclasses.replace(
                builder.person(),
                female=target.female,
                first=target.first,
                family=target.family,
                father=builder.other_name("male", target.father),
                mother=builder.other_name("female", target.mother),
            )
        else:  # pragma: no cover - the pools are large enough that this never happens
            raise RuntimeError(f"could not build a clean null query for {plan.category}")
        queries.append(query)
        truth.append(line)
    return Split([e.row for e in builder.entries], queries, truth)


def write_jsonl(path: Path, lines: Sequence[dict[str, object]]) -> None:
    """Write one JSON object per line, UTF-8, Arabic unescaped."""
    with path.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def write_split(split: Split, out_dir: Path) -> None:
    """Write ``registry.csv``, ``queries.jsonl`` and ``truth.jsonl`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_rows_csv(out_dir / "registry.csv", split.registry)
    write_jsonl(out_dir / "queries.jsonl", split.queries)
    write_jsonl(out_dir / "truth.jsonl", split.truth)


def build_all(out: Path = DEFAULT_OUT) -> dict[str, Counter[str]]:
    """Build and write every split under ``out``; returns the category counts per split."""
    summary: dict[str, Counter[str]] = {}
    for name, mix in SPLITS.items():
        split = build_split(mix)
        write_split(split, out / name)
        summary[name] = Counter(str(t["category"]) for t in split.truth)
    return summary
