"""The workflow on real databases: matching on each change, consent, exactly-what-was-allowed, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.contacts import opt_out
from bot.models import AuditEvent, Escalation, Match, Registration, SearchRequest
from bot.reunion import consent, review
from bot.reunion.config import ReunionConfig
from tests.reunion.conftest import (
    add_row,
    add_source,
    contact,
    operator,
    outbox,
    registered,
    search,
)


def matches(factory) -> list[Match]:  # type: ignore[no-untyped-def]
    with factory() as session:
        return list(session.execute(select(Match).order_by(Match.id)).scalars())


def answer(factory, contact_id: int, text: str) -> Match:  # type: ignore[no-untyped-def]
    choice = consent.parse_choice(text)
    assert choice is not None
    with factory() as session, session.begin():
        return consent.record_choice(session, contact_id, choice)


def disclosures(factory) -> list[dict]:  # type: ignore[no-untyped-def]
    with factory() as session:
        return [e.detail for e in session.execute(select(AuditEvent).where(AuditEvent.action == "disclose").order_by(AuditEvent.id)).scalars()]


def test_share_my_number_gives_each_side_the_others_number(factory, worker, config):
    family = contact(factory, "+963944000001")
    detainee = contact(factory, "+963955000002", language="en")
    search_id = search(factory, family, config)
    worker.step()
    assert matches(factory) == []  # no match yet: the search stays open
    registered(factory, detainee, config)
    report = worker.step()
    assert report.searches_matched == 1 and report.matches_created == 1 and report.asked == 1
    [m] = matches(factory)
    assert (m.search_id, m.decision, m.status) == (search_id, "match", "awaiting_consent")
    question = outbox(factory, detainee)[-1]
    assert question.kind == "consent" and "سامر" in question.body and "1 share my number" in question.body
    assert [x.kind for x in outbox(factory, family)] == []  # nothing to the family before consent
    answer(factory, detainee, "١")
    report = worker.step()
    assert report.notified == 1
    to_family = outbox(factory, family)[-1]
    assert to_family.kind == "disclosure" and "+963955000002" in to_family.body and "محمد أحمد الحلبي" in to_family.body
    to_detainee = outbox(factory, detainee)[-1]
    assert "+963944000001" in to_detainee.body
    assert [d["what"] for d in disclosures(factory)] == ["callback_number", "searcher_number"]
    assert {d["decided_by"] for d in disclosures(factory)} == {"detainee"}
    assert all("+963" not in str(d) for d in disclosures(factory))
    with factory() as session:
        assert session.get(SearchRequest, search_id).status == "matched"
    # Idempotent: more steps send nothing more.
    before = len(outbox(factory, family)) + len(outbox(factory, detainee))
    worker.step()
    assert len(outbox(factory, family)) + len(outbox(factory, detainee)) == before


def test_safe_only_and_nothing_tell_the_family_exactly_that(factory, worker, config):
    family_a = contact(factory, "+963944000011")
    family_b = contact(factory, "+963944000012", language="en")
    detainee = contact(factory, "+963955000013")
    search(factory, family_a, config)
    search(factory, family_b, config, searcher_name="Rana", relationship="sister")
    registered(factory, detainee, config)
    worker.step()
    # One question at a time: the second waits until the first is answered.
    assert [m.status for m in matches(factory)] == ["awaiting_consent", "confirmed"]
    answer(factory, detainee, "2")
    worker.step()
    safe = outbox(factory, family_a)[-1]
    assert safe.kind == "disclosure" and "بخير" in safe.body and "+963955000013" not in safe.body
    assert [m.status for m in matches(factory)] == ["safe_only", "awaiting_consent"]
    assert "Rana" in outbox(factory, detainee)[-1].body
    answer(factory, detainee, "3")
    worker.step()
    assert outbox(factory, family_b) == []  # told nothing at all
    assert [d["what"] for d in disclosures(factory)] == ["safe"]


def test_review_band_waits_for_an_operator_and_never_releases_the_number(factory, worker, config):
    family = contact(factory, "+963944000021")
    detainee = contact(factory, "+963955000022")
    op = operator(factory)
    # The family knows only the name and a year: the matcher is not sure.
    search(factory, family, config, father_name=None, mother_name=None, governorate=None)
    registered(factory, detainee, config)
    worker.step()
    [m] = matches(factory)
    assert (m.decision, m.status) == ("review", "review")
    worker.step()
    assert [x for x in outbox(factory, detainee) if x.kind == "consent"] == []
    with factory() as session, session.begin():
        review.confirm(session, m.id, op, "called the family")
    worker.step()
    assert outbox(factory, detainee)[-1].kind == "consent"
    answer(factory, detainee, "نعم")
    worker.step()
    told = outbox(factory, family)[-1]
    assert "+963955000022" not in told.body  # an operator's confirmation never releases the number
    assert "+963944000021" in outbox(factory, detainee)[-1].body
    assert [d["what"] for d in disclosures(factory)] == ["safe", "searcher_number"]
    assert {d["confirmed_by"] for d in disclosures(factory)} == {f"operator:{op}"}


def test_an_operator_rejection_sends_nothing(factory, worker, config):
    family = contact(factory, "+963944000031")
    detainee = contact(factory, "+963955000032")
    op = operator(factory)
    search(factory, family, config, father_name=None, mother_name=None, governorate=None)
    registered(factory, detainee, config)
    worker.step()
    [m] = matches(factory)
    with factory() as session, session.begin():
        review.reject(session, m.id, op, "different person")
    sent_before = len(outbox(factory, detainee))
    worker.step()
    worker.step()
    assert len(outbox(factory, detainee)) == sent_before and outbox(factory, family) == []
    with factory() as session, session.begin():
        try:
            review.confirm(session, m.id, op)
        except review.ReviewError as exc:
            assert "rejected" in str(exc)
        else:
            raise AssertionError("a rejected match cannot be confirmed")


def test_registry_match_from_a_public_list_and_from_a_private_one(factory, worker, config):
    add_source(factory, "barzeh-list", public=True)
    add_source(factory, "intake-sheet", public=False)
    family_public = contact(factory, "+963944000041", language="en")
    family_private = contact(factory, "+963944000042")
    search(factory, family_public, config, governorate="دمشق")
    search(factory, family_private, config, full_name="خالد عمر السيد", father_name="عمر", mother_name="سعاد",
           birth_year=1990, governorate="حمص")
    worker.step()
    add_row(factory, "barzeh-list", "B-17", governorate="دمشق")
    add_row(factory, "intake-sheet", "I-9", full_name="خالد عمر السيد", father_name="عمر", mother_name="سعاد",
            birth_year=1990, governorate="حمص")
    report = worker.step()
    assert report.searches_matched == 2
    told = outbox(factory, family_public)
    assert len(told) == 1 and "barzeh-list" in told[0].body and "2024-12-08" in told[0].body
    assert "Salam Mosque in Barzeh" in told[0].body
    assert outbox(factory, family_private) == []
    private = [m for m in matches(factory) if m.status == "review"]
    assert len(private) == 1  # the matcher was sure, but the source forbids: an operator decides
    op = operator(factory)
    with factory() as session, session.begin():
        review.confirm(session, private[0].id, op)
    worker.step()
    assert outbox(factory, family_private) == []  # still nothing automatic: a person takes over
    with factory() as session:
        assert session.get(Match, private[0].id).status == "operator"
        esc = session.execute(select(Escalation).where(Escalation.contact_id == family_private)).scalar_one()
        assert esc.reason == "review" and esc.match_id == private[0].id
    assert [d["what"] for d in disclosures(factory)] == ["released_list"]


def test_stop_in_the_middle_of_a_flow_stops_every_message(factory, worker, config):
    family = contact(factory, "+963944000051")
    detainee = contact(factory, "+963955000052")
    search(factory, family, config)
    registered(factory, detainee, config)
    worker.step()
    with factory() as session, session.begin():
        opt_out(session, family)
    answer(factory, detainee, "1")
    worker.step()
    assert outbox(factory, family) == []
    assert disclosures(factory) == []


def test_a_detainee_who_stopped_is_not_asked(factory, worker, config):
    family = contact(factory, "+963944000061")
    detainee = contact(factory, "+963955000062")
    registered(factory, detainee, config)
    with factory() as session, session.begin():
        opt_out(session, detainee)
    search(factory, family, config)
    worker.step()
    [m] = matches(factory)
    assert m.status == "confirmed"
    assert [x for x in outbox(factory, detainee) if x.kind == "consent"] == []


def test_rematching_is_incremental_and_match_rows_are_unique(factory, worker, config):
    families = [contact(factory, f"+96394410{i:04d}") for i in range(6)]
    others = ["رامي حسين عمر", "سمير خالد النجار", "ياسر محمود العلي", "هيثم جميل الخطيب", "وليد سعيد الحمصي"]
    for fam, name in zip(families[1:], others, strict=True):
        search(factory, fam, config, full_name=name, father_name=None, mother_name=None)
    search(factory, families[0], config)
    assert worker.step().searches_matched == 6  # each new search is matched once
    assert worker.step().searches_matched == 0  # nothing changed, nothing re-matched
    detainee = contact(factory, "+963955000072")
    registered(factory, detainee, config)
    assert worker.step().searches_matched == 1  # only the search this registration may answer
    with factory() as session:
        session.execute(select(Registration)).scalars().all()
    # Re-matching the same search again changes nothing: one row per pair.
    with factory() as session, session.begin():
        s = session.execute(select(SearchRequest).where(SearchRequest.contact_id == families[0])).scalar_one()
        assert worker.match_search(session, s) == 0
    assert len(matches(factory)) == 1


def test_reminder_then_operator(factory, config):
    from bot.reunion.worker import ReunionWorker
    from matching.service import RegistryMatcher
    from matching.store import utcnow
    from tests.reunion.conftest import Clock

    clock = Clock(utcnow())
    cfg = ReunionConfig(consent_reminder_seconds=600, consent_timeout_seconds=900)
    w = ReunionWorker(factory, RegistryMatcher(factory, refresh_seconds=0.0), cfg, clock=clock)
    family = contact(factory, "+963944000081")
    detainee = contact(factory, "+963955000082")
    search(factory, family, cfg)
    registered(factory, detainee, cfg)
    w.step()
    asked = len(outbox(factory, detainee))
    clock.advance(300)
    assert w.step().reminded == 0
    clock.advance(400)
    assert w.step().reminded == 1
    assert outbox(factory, detainee)[-1].body.startswith("تذكير")
    assert len(outbox(factory, detainee)) == asked + 1
    clock.advance(600)
    assert w.step().escalated == 0
    clock.advance(400)
    assert w.step().escalated == 1
    with factory() as session:
        esc = session.execute(select(Escalation).where(Escalation.contact_id == detainee)).scalar_one()
        assert esc.reason == "consent_timeout"
    clock.advance(10_000)
    report = w.step()
    assert (report.reminded, report.escalated) == (0, 0)  # one reminder, one escalation


@pytest.mark.parametrize("typed", [
    dict(full_name="محمد الحلبي", father_name=None, mother_name=None, birth_year=None, governorate=None),
    dict(full_name="mhd a7mad el7alabi", father_name=None, mother_name=None, birth_year=None, governorate=None),
    dict(full_name="الحلبي محمد", father_name=None, mother_name=None, birth_year=None, governorate=None),
    dict(full_name="Mohammad Ahmad al-Halabi", father_name=None, mother_name=None, birth_year=1986, governorate=None),
])
def test_a_registration_finds_sparse_searches_among_many(factory, worker, config, typed):
    import random

    from matching.synth import load_pools
    from shaml.bench.reunion import _person

    rng, pools = random.Random(3), load_pools()
    crowd = contact(factory, "+963944000990")
    with factory() as session, session.begin():
        session.add_all(SearchRequest(contact_id=crowd, status="open", **_person(rng, pools)) for _ in range(300))
    family = contact(factory, "+963944000991")
    search_id = search(factory, family, config, **typed)
    worker.step()
    registered(factory, contact(factory, "+963955000992"), config)
    report = worker.step()
    assert report.searches_matched < 30  # a handful of candidates, not the 301 open searches
    assert [m.search_id for m in matches(factory)] == [search_id]
