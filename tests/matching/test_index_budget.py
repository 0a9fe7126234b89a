"""The candidate index under its read budget: when common names fill it, near-exact name pairs
still reach the shortlist (a silent miss found at a million rows, issue 18)."""

from __future__ import annotations

import itertools

import pytest

import matching.index as index
from matching.engine import Matcher
from matching.records import Query, RegistryRecord

SOUGHT = "حسين حسن خالد الجاسم"  # حسين and حسن share one skeleton, as at a million rows
OTHERS = ["عمر", "يوسف", "سامر", "بلال", "طارق", "ماهر", "وائل", "زياد", "نادر", "رامي"]
FAMILIES = ["الخطيب", "الزعبي", "الحلبي", "الشامي", "المصري", "العمر", "النجار", "الحداد", "السيد", "الأسعد"]


def _registry() -> list[RegistryRecord]:
    """The sought man; a hundred people for each pair of his four names (each pair's list is
    long); and 120 people named حسيب with his father's or family name, whose fuzzy lists are
    shorter, are read first and fill a small budget."""
    out = [RegistryRecord(record_id="sought", full_name=SOUGHT)]
    names = SOUGHT.split()
    for x, y in itertools.combinations(range(4), 2):
        for a, b in itertools.product(OTHERS, FAMILIES):
            parts = [a, a, a, b]
            parts[x], parts[y] = names[x], names[y]
            out.append(RegistryRecord(record_id=f"pair{x}{y}-{a}-{b}", full_name=" ".join(parts)))
    for a, b in itertools.product(OTHERS, FAMILIES[:6]):
        out.append(RegistryRecord(record_id=f"hasib-k-{a}-{b}", full_name=f"حسيب {a} خالد {b}"))
        out.append(RegistryRecord(record_id=f"hasib-j-{a}-{b}", full_name=f"حسيب {a} {b} الجاسم"))
    return out


@pytest.fixture
def small_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # the million-row proportions at a thousand rows: lists of a hundred are "long"
    monkeypatch.setattr(index, "SOFT_CAP", 20)
    monkeypatch.setattr(index, "READ_BUDGET", 100)


def _shortlist(matcher: Matcher) -> list[str]:
    query = index.prepare_query(Query(query_id="q", name=SOUGHT))
    return [matcher.index.record_id(s) for s in matcher.index.candidates(query, shortlist=20)]


@pytest.mark.usefixtures("small_budget")
def test_near_exact_pairs_passed_over_still_reach_the_shortlist() -> None:
    matcher = Matcher(_registry())
    assert _shortlist(matcher)[0] == "sought"
    result = matcher.search(Query(query_id="q", name=SOUGHT))
    assert result.candidates[0].record_id == "sought"


@pytest.mark.usefixtures("small_budget")
def test_the_scene_is_a_real_crowding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the intersection of the passed-over pairs, this registry hides the sought man."""
    matcher = Matcher(_registry())
    monkeypatch.setattr(index.CandidateIndex, "_count_best_pairs", staticmethod(lambda *_a: None))
    shown = _shortlist(matcher)
    assert "sought" not in shown and len(shown) == 20


@pytest.mark.usefixtures("small_budget")
def test_the_intersection_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two pair lists longer together than CLOSE_PAIR_READ are not intersected."""
    matcher = Matcher(_registry())
    monkeypatch.setattr(index, "CLOSE_PAIR_READ", 150)
    assert "sought" not in _shortlist(matcher)
