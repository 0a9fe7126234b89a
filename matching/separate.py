"""Which one detail the family could add to settle a review: the field that separates candidates."""

from __future__ import annotations

from collections.abc import Sequence

from matching.decide import Scored, has_conflict, same_person
from matching.score import PreparedQuery

#: Details the bot's search-details form can ask for, in the order they are preferred on a tie
#: (a father's name is what families know best).
ASKABLE = ("father_name", "mother_name", "birth_year")


def _value(scored: Scored, field: str) -> object | None:
    e = scored.entry
    if field == "father_name":
        return e.names[1] if e.has_father and len(e.names) >= 3 else None
    if field == "mother_name":
        return e.mother[0] if e.mother else None
    return e.year // 3 if e.year is not None else None  # years within a band of 3 do not separate


def _missing(pq: PreparedQuery) -> set[str]:
    out = set()
    if pq.father is None and len(pq.names) < 3:
        out.add("father_name")
    if not pq.mother:
        out.add("mother_name")
    if pq.year is None:
        out.add("birth_year")
    return out


def deciding_detail(pq: PreparedQuery, ranked: Sequence[Scored], limit: int = 10) -> str | None:
    """The field the family did not give that best tells the plausible candidates apart.

    Plausible: given and family name agree and nothing stated conflicts, one row per person.
    With two or more, the field with the most distinct known values among them wins (ties in
    :data:`ASKABLE` order); with one, the first missing field that candidate has, since it
    would confirm it. None when nothing is missing or nothing would help. Returns a field
    name only, never a value: the question asked must not reveal who is on the list.
    """
    missing = _missing(pq)
    if not missing:
        return None
    people: list[Scored] = []
    for s in ranked[:limit]:
        if s.pair.given and s.pair.family and not has_conflict(s.pair):
            if not any(same_person(p.entry, s.entry) for p in people):
                people.append(s)
    if not people:
        return None
    best: tuple[int, str] | None = None
    for field in ASKABLE:
        if field not in missing:
            continue
        values = [_value(p, field) for p in people]
        known = [v for v in values if v is not None]
        if not known:
            continue
        distinct = len(set(known)) if len(people) > 1 else 1
        if len(people) > 1 and distinct < 2:
            continue
        if best is None or distinct > best[0]:
            best = (distinct, field)
    return best[1] if best else None
