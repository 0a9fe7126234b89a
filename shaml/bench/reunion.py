"""``shaml bench reunion``: one registration's re-matching, incremental, beside rescanning every open search."""

from __future__ import annotations

import random
import statistics
import time
import uuid
from collections.abc import Callable

import psycopg2
from sqlalchemy import select
from sqlalchemy.engine import make_url

from shaml.db import make_engine, session_factory, upgrade


def _person(rng: random.Random, pools) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from matching.synth import random_person

    p = random_person(rng, pools)
    return {
        "full_name": f"{p.first.arabic} {p.father.arabic} {p.family.arabic}",
        "father_name": p.father.arabic,
        "mother_name": p.mother.arabic,
        "birth_year": p.birth_year,
        "governorate": p.governorate.arabic,
    }


def run(searches: int, registrations: int, postgres: str, echo: Callable[[str], None]) -> None:
    """The benchmark twice in one run: with encryption at rest, then with new values written in plain."""
    from bot.crypto import sealing_off
    from shaml.keys import bench_keys

    bench_keys()
    _run(200, 2, postgres, lambda _line: None)  # warm-up (imports, name pools, caches), not reported
    echo("== encryption on (every search and registration field sealed, docs/privacy.md)")
    sealed = _run(searches, registrations, postgres, echo)
    echo("== encryption off (SHAML_BENCH_PLAINTEXT: the same work in plain text)")
    with sealing_off():
        plain = _run(searches, registrations, postgres, echo)
    echo("cost of encryption, same run:")
    for label, on, off in [("first step (all open searches loaded and matched)", sealed[0], plain[0]),
                           ("incremental step, median", sealed[1], plain[1]),
                           ("rescan baseline, median", sealed[2], plain[2])]:
        echo(f"  {label:52} on {on * 1000:8.1f} ms   off {off * 1000:8.1f} ms   +{(on - off) * 1000:7.1f} ms")


def _run(searches: int, registrations: int, postgres: str, echo: Callable[[str], None]) -> tuple[float, float, float]:
    """Open ``searches`` searches, then activate ``registrations`` registrations one at a time.

    Each activation is timed twice: the worker's incremental step (reverse lookup among the
    searches, then only the candidate searches matched again), and the baseline of matching every
    open search against the registrations again. Both run in this process on a throwaway database.
    """
    from bot.contacts import get_or_create_contact
    from bot.models import Registration, SearchRequest
    from bot.reunion.config import ReunionConfig
    from bot.reunion.worker import ReunionWorker
    from matching.engine import Matcher
    from matching.records import Query
    from matching.synth import load_pools

    name = f"shaml_bench_reunion_{uuid.uuid4().hex[:8]}"
    admin = make_url(postgres)
    conn = psycopg2.connect(host=admin.host, port=admin.port or 5432, user=admin.username,
                            password=admin.password, dbname=admin.database)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = admin.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(url)
        factory = session_factory(engine)
        rng = random.Random(6)
        pools = load_pools()
        people = [_person(rng, pools) for _ in range(searches)]
        with factory() as session, session.begin():
            family = get_or_create_contact(session, "sim", "bench-family")
            session.add_all(SearchRequest(contact_id=family.id, status="open", searcher_name="x", **p) for p in people)
        worker = ReunionWorker(factory, Matcher(), ReunionConfig())
        started = time.perf_counter()
        worker.step()
        first = time.perf_counter() - started
        echo(f"first step: {searches} open searches matched in {first:.2f} s")
        incremental, rescan, touched = [], [], []
        for i in range(registrations):
            person = people[rng.randrange(len(people))] if i % 2 == 0 else _person(rng, pools)
            with factory() as session, session.begin():
                detainee = get_or_create_contact(session, "sim", f"bench-detainee-{i}")
                session.add(Registration(contact_id=detainee.id, status="active", callback_address=f"bench-{i}", **person))
            started = time.perf_counter()
            report = worker.step()
            incremental.append(time.perf_counter() - started)
            touched.append(report.searches_matched)
            started = time.perf_counter()
            with factory() as session:
                for search in session.execute(select(SearchRequest).where(SearchRequest.status != "closed")).scalars():
                    worker.registrations.search(Query(str(search.id), search.full_name, search.father_name,
                                                      search.mother_name, search.birth_year, search.governorate))
            rescan.append(time.perf_counter() - started)
        echo(f"{registrations} registrations activated one at a time against {searches} open searches:")
        echo(f"  incremental step  median {statistics.median(incremental) * 1000:8.1f} ms   "
             f"max {max(incremental) * 1000:8.1f} ms   searches re-matched per registration: median {statistics.median(touched):.0f}, max {max(touched)}")
        echo(f"  rescan baseline   median {statistics.median(rescan) * 1000:8.1f} ms   "
             f"max {max(rescan) * 1000:8.1f} ms   searches re-matched per registration: {searches}")
        return first, statistics.median(incremental), statistics.median(rescan)
    finally:
        engine.dispose()
        with conn.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.close()
