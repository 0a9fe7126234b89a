"""Seed data for the review pages: one family's search with several registry candidates (issue 18)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import sessionmaker

from bot.contacts import get_or_create_contact
from bot.models import Match, SearchRequest
from matching.engine import Matcher
from matching.records import Query
from matching.store import RegistryRow, RegistrySource, utcnow

#: The registry people (full name, mother, birth year); the search is for سامر خالد القطان, born 1980.
PEOPLE = (
    ("سامر خالد القطان", "هدى", 1980),
    ("سامر خالد القطان", "سلمى", 1981),
    ("Samer Khaled Kattan", None, 1969),
)


@dataclass(frozen=True)
class MultiCase:
    """Ids of the seeded search, its matches (best first) and registry rows."""

    search_id: int
    match_ids: tuple[int, ...]
    row_ids: tuple[int, ...]


def multi_candidate_case(factory: sessionmaker, *, score_scale: float = 1.0) -> MultiCase:
    """A search with three registry candidates in review, scored and explained by the real matcher.

    ``score_scale`` lowers the stored scores (a low-score review)."""
    with factory() as db, db.begin():
        family = get_or_create_contact(db, "sim", "family-multi")
        if db.get(RegistrySource, "multi-list") is None:
            db.add(RegistrySource(name="multi-list", label="Multi list", allow_public_confirmation=False))
            db.flush()
        rows = [RegistryRow(source="multi-list", record_id=f"m-{k}", full_name=name, mother_name=mother,
                            birth_year=year, governorate="حمص") for k, (name, mother, year) in enumerate(PEOPLE)]
        db.add_all(rows)
        search = SearchRequest(contact_id=family.id, status="open", full_name="سامر خالد القطان", birth_year=1980,
                               searcher_name="أم سامر", relationship="أم", consent_at=utcnow())
        db.add(search)
        db.flush()
        by_mid = {row.to_record().record_id: row for row in rows}
        result = Matcher([row.to_record() for row in rows]).search(
            Query("q", search.full_name, birth_year=search.birth_year))
        matches = []
        for cand in result.candidates:
            row = by_mid[cand.record_id]
            match = Match(search_id=search.id, registry_record_id=row.id, decision=result.decision, status="review",
                          score=cand.score * score_scale, explanation=cand.explanation)
            db.add(match)
            matches.append(match)
        db.flush()
        return MultiCase(int(search.id), tuple(int(m.id) for m in matches), tuple(int(r.id) for r in rows))
