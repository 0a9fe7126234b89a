"""``shaml bench reunion``: one registration's re-matching, incremental, beside rescanning every open search,
with encryption at rest on and off interleaved in the same run."""

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
    """Encryption on and off in one run, interleaved: two databases (one sealed, one written in plain),
    each registration activated in both, in alternating order (A B, B A, B A, A B, …), so a change in
    the machine's load falls on both alike."""
    import os

    from shaml.bench.ab import compare, order, report
    from shaml.keys import bench_keys

    bench_keys()
    load_before = os.getloadavg()[0]
    with _Arm(200, postgres, plain=False) as warm:  # warm-up (imports, name pools, caches), not reported
        warm.activate(0)
    with _Arm(searches, postgres, plain=False) as sealed, _Arm(searches, postgres, plain=True) as plain:
        arms = (sealed, plain)
        for arm in arms:
            with arm.sealing():
                arm.first_step()
        for i in range(registrations):
            for k in order(i, 2):
                with arms[k].sealing():
                    arms[k].activate(i)
    load_after = os.getloadavg()[0]
    echo(f"reunion benchmark: {searches} open searches, {registrations} registrations activated one at a time, "
         f"encryption on (A: every search and registration field sealed) and off (B: SHAML_BENCH_PLAINTEXT) "
         f"interleaved; load average {load_before:.1f} before, {load_after:.1f} after, on {os.cpu_count()} CPUs")
    echo(f"  first step (all open searches loaded and matched): on {sealed.first * 1000:8.1f} ms   off {plain.first * 1000:8.1f} ms"
         f"   {(sealed.first - plain.first) * 1000:+.1f} ms (one each: no interval)")
    for label, a, b in [("incremental step", sealed.incremental, plain.incremental),
                        ("rescan baseline (every open search matched again)", sealed.rescan, plain.rescan)]:
        echo(f"{label}:")
        for line in report(compare([[v] for v in a], [[v] for v in b], quantiles=(0.5, 0.95)),
                           a_label="encryption on", b_label="encryption off")[:-1]:
            echo(line)
    per_row = _open_row_us(sealed.people[0])
    echo(f"  the crypto alone, measured directly: opening one search's sealed fields takes {per_row:.1f} µs "
         f"(median of 7 runs), so {per_row * searches / 1000:.1f} ms for the {searches} searches a rescan reads")
    echo(f"  searches re-matched per registration (incremental): median {statistics.median(sealed.touched):.0f}, "
         f"max {max(sealed.touched)}; rescan: {searches}")


def _open_row_us(person: dict[str, object], rounds: int = 2000, repeats: int = 7) -> float:
    """Microseconds to open one search row's sealed fields (the fields a search holds), no I/O."""
    from bot.crypto import active

    keyring = active()
    sealed = [keyring.seal(str(v)) for v in person.values()] + [keyring.seal("x")]  # + the searcher's name
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(rounds):
            for value in sealed:
                keyring.open(value)
        runs.append((time.perf_counter() - started) / rounds * 1e6)
    return sorted(runs)[len(runs) // 2]


class _Arm:
    """One throwaway database with ``searches`` open searches and a reunion worker on it; ``plain``
    writes its values unsealed (what SHAML_BENCH_PLAINTEXT does)."""

    def __init__(self, searches: int, postgres: str, *, plain: bool) -> None:
        self.searches, self.postgres, self.plain = searches, postgres, plain
        self.first = 0.0
        self.incremental: list[float] = []
        self.rescan: list[float] = []
        self.touched: list[int] = []

    def sealing(self):  # type: ignore[no-untyped-def]
        """Within the block, values are sealed (or not, for the plain arm)."""
        from contextlib import nullcontext

        from bot.crypto import sealing_off

        return sealing_off() if self.plain else nullcontext()

    def __enter__(self) -> _Arm:
        from bot.contacts import get_or_create_contact
        from bot.models import SearchRequest
        from bot.reunion.config import ReunionConfig
        from bot.reunion.worker import ReunionWorker
        from matching.engine import Matcher
        from matching.synth import load_pools

        self.name = f"shaml_bench_reunion_{uuid.uuid4().hex[:8]}"
        admin = make_url(self.postgres)
        self.conn = psycopg2.connect(host=admin.host, port=admin.port or 5432, user=admin.username,
                                     password=admin.password, dbname=admin.database)
        self.conn.autocommit = True
        with self.conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{self.name}"')
        url = admin.set(database=self.name).render_as_string(hide_password=False)
        self.engine = make_engine(url)
        upgrade(url)
        self.factory = session_factory(self.engine)
        self.rng = random.Random(6)  # both arms: the same people, the same registrations
        self.pools = load_pools()
        self.people = [_person(self.rng, self.pools) for _ in range(self.searches)]
        with self.sealing(), self.factory() as session, session.begin():
            family = get_or_create_contact(session, "sim", "bench-family")
            session.add_all(SearchRequest(contact_id=family.id, status="open", searcher_name="x", **p) for p in self.people)
        self.worker = ReunionWorker(self.factory, Matcher(), ReunionConfig())
        return self

    def first_step(self) -> None:
        started = time.perf_counter()
        self.worker.step()
        self.first = time.perf_counter() - started

    def activate(self, i: int) -> None:
        """Activate registration ``i`` and time the worker's incremental step, then the rescan baseline."""
        from bot.contacts import get_or_create_contact
        from bot.models import Registration, SearchRequest
        from matching.records import Query

        person = self.people[self.rng.randrange(len(self.people))] if i % 2 == 0 else _person(self.rng, self.pools)
        with self.factory() as session, session.begin():
            detainee = get_or_create_contact(session, "sim", f"bench-detainee-{i}")
            session.add(Registration(contact_id=detainee.id, status="active", callback_address=f"bench-{i}", **person))
        started = time.perf_counter()
        report = self.worker.step()
        self.incremental.append(time.perf_counter() - started)
        self.touched.append(report.searches_matched)
        started = time.perf_counter()
        with self.factory() as session:
            for search in session.execute(select(SearchRequest).where(SearchRequest.status != "closed")).scalars():
                self.worker.registrations.search(Query(str(search.id), search.full_name, search.father_name,
                                                       search.mother_name, search.birth_year, search.governorate))
        self.rescan.append(time.perf_counter() - started)

    def __exit__(self, *exc: object) -> None:
        self.engine.dispose()
        with self.conn.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                        (self.name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
        self.conn.close()
