"""The in-process matcher over the registry store: same answers as the CLI, and current within seconds."""

from __future__ import annotations

import json
import time
from itertools import islice
from pathlib import Path

from sqlalchemy import update

from matching import batch
from matching.importer import import_csv
from matching.records import Query
from matching.service import RegistryMatcher
from matching.store import RegistryRow, utcnow

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "data" / "devset" / "dev"
HEADER = "record_id,full_name,father_name,mother_name,birth_year,governorate\n"


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def test_same_answers_as_the_batch_cli(factory, tmp_path):
    import_csv(factory, DEV / "registry.csv", source="dev")
    queries = tmp_path / "queries.jsonl"
    with open(DEV / "queries.jsonl", encoding="utf-8") as src:
        queries.write_text("".join(islice(src, 150)), encoding="utf-8")
    out = tmp_path / "results.jsonl"
    batch.run(DEV / "registry.csv", queries, out)
    cli = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]

    live = RegistryMatcher(factory)
    assert live.refresh() > 0
    for expected, line in zip(cli, queries.read_text(encoding="utf-8").splitlines(), strict=True):
        query = batch.query_from_json(json.loads(line))
        got = live.search(query).to_json()
        assert got["decision"] == expected["decision"], query
        assert [(c["record_id"], c["score"]) for c in got["candidates"]] == [
            (f"dev:{c['record_id']}", c["score"]) for c in expected["candidates"]
        ]


def test_imports_updates_and_withdrawals_reach_a_running_matcher(factory, tmp_path):
    import_csv(factory, _csv(tmp_path / "a.csv", ["a1,سامر خالد الحمصي,خالد,هدى,1980,حمص\n"]), source="tal")
    first, second = RegistryMatcher(factory), RegistryMatcher(factory)
    first.refresh()
    second.refresh()
    query = Query("q", "يوسف عمر الديري", father_name="عمر", mother_name="نجاح", birth_year=1975, governorate="دير الزور")
    assert all(c.record_id != "tal:a2" for c in first.search(query).candidates)

    import_csv(factory, _csv(tmp_path / "b.csv", ["a2,يوسف عمر الديري,عمر,نجاح,1975,دير الزور\n"]), source="tal")
    for matcher in (first, second):
        assert matcher.refresh() == 1
        top = matcher.search(query).candidates[0]
        assert top.record_id == "tal:a2"
        assert matcher.row_id("tal:a2") is not None
        assert matcher.refresh() == 0  # nothing new: nothing re-applied

    with factory() as session, session.begin():
        session.execute(
            update(RegistryRow).where(RegistryRow.record_id == "a2").values(deleted_at=utcnow(), updated_at=utcnow())
        )
    first.refresh()
    assert all(c.record_id != "tal:a2" for c in first.search(query).candidates)
    assert first.row_id("tal:a2") is None
    assert len(first) == 1


def test_search_refreshes_a_stale_matcher_and_the_thread_keeps_it_current(factory, tmp_path):
    ticks = [0.0]
    matcher = RegistryMatcher(factory, refresh_seconds=5, clock=lambda: ticks[0])
    query = Query("q", "Samer Khaled Homsi", father_name="Khaled", birth_year=1980)
    assert matcher.search(query).candidates == ()
    import_csv(factory, _csv(tmp_path / "a.csv", ["a1,سامر خالد الحمصي,خالد,هدى,1980,حمص\n"]), source="tal")
    assert matcher.search(query).candidates == ()  # refreshed less than 5 s ago
    ticks[0] = 6.0
    assert matcher.search(query).candidates[0].record_id == "tal:a1"

    background = RegistryMatcher(factory, refresh_seconds=0.1)
    background.refresh()
    background.start()
    try:
        import_csv(factory, _csv(tmp_path / "b.csv", ["b1,Omar Haddad,,,1970,Aleppo\n"]), source="tal")
        deadline = time.monotonic() + 10
        while background.row_id("tal:b1") is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert background.row_id("tal:b1") is not None
    finally:
        background.stop()
