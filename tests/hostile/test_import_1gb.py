"""A 1 GB registry file through ``shaml import`` in a real process, on PostgreSQL, with its memory sampled.

Asserted: the import succeeds; the process's peak resident memory stays far below the file's size
(under 300 MB for 1 GiB), so the file is streamed, never loaded whole (before bounded lines, the
one 1 GiB line alone took the process past 2 GB); the good rows before and after the hostile part
are imported; the garbage lines and the gigabyte line are each refused by their own line number.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import psutil
from sqlalchemy import func, select

from matching.store import ImportRowError, RegistryRow
from shaml.db import make_engine, session_factory

ROOT = Path(__file__).resolve().parents[2]
SHAML = str(ROOT / ".venv" / "bin" / "shaml")
GIB = 1 << 30
GOOD_BEFORE = 200
GARBAGE = 300
GOOD_AFTER = 10


def _write_hostile_file(path: Path) -> int:
    """Header, good rows, garbage lines (not UTF-8, NUL bytes), one line of about 1 GiB, good rows.
    Returns the line number of the huge line. Written in 64 MiB pieces, so it takes seconds."""
    with path.open("wb") as out:
        out.write(b"record_id,full_name,birth_year\n")
        for i in range(GOOD_BEFORE):
            out.write(f"b{i},محمد أحمد {i},1980\n".encode())
        for i in range(GARBAGE):
            out.write(b"\xff\xfe\x00garbage %d,\x81\x8d\x00\n" % i if i % 2 else b"g%d,\xe3\xa1\xed,1980\n" % i)
        huge_line = 1 + GOOD_BEFORE + GARBAGE + 1
        piece = (b'0123456789,"quoted ""cell""",=cmd|calc!A0,' * 2_000_000)[: 64 << 20]
        out.write(b"huge,")
        for _ in range(GIB // len(piece)):
            out.write(piece)
        out.write(b"\n")
        for i in range(GOOD_AFTER):
            out.write(f"a{i},سامر الحلبي {i},1990\n".encode())
    return huge_line


def test_a_gigabyte_file_is_streamed_not_loaded(pg_only_url: str, tmp_path: Path) -> None:
    """``shaml import`` on a 1 GiB hostile file: peak RSS < 300 MB, good rows in, bad lines reported."""
    path = tmp_path / "huge.csv"
    try:
        huge_line = _write_hostile_file(path)
        size = path.stat().st_size
        assert size > GIB
        env = {**os.environ, "SHAML_DATABASE_URL": pg_only_url, "SHAML_VAR_DIR": str(tmp_path / "var")}
        started = time.monotonic()
        proc = subprocess.Popen([SHAML, "import", str(path), "--source", "huge-list"], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        watched = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            try:
                peak = max(peak, watched.memory_info().rss)
            except psutil.NoSuchProcess:
                break
            time.sleep(0.02)
        stdout, stderr = proc.communicate()
        seconds = time.monotonic() - started
    finally:
        path.unlink(missing_ok=True)
    output = stdout.decode("utf-8", "replace")
    assert proc.returncode == 0, stderr.decode("utf-8", "replace")[-2000:]
    print(f"1 GiB import: peak RSS {peak / 1e6:.0f} MB, {seconds:.1f} s")  # shown with -s; not asserted
    assert 0 < peak < 300_000_000, f"peak RSS {peak / 1e6:.0f} MB for a {size / 1e6:.0f} MB file"
    good = GOOD_BEFORE + GOOD_AFTER
    assert f"{good + GARBAGE + 1} rows read, {good} added" in output and f"{GARBAGE + 1} refused" in output
    engine = make_engine(pg_only_url)
    try:
        with session_factory(engine)() as session:
            assert session.execute(select(func.count()).select_from(RegistryRow)).scalar_one() == good
            refused = dict(session.execute(select(ImportRowError.line, ImportRowError.reason)).all())
            huge_raw = session.execute(select(ImportRowError.raw).where(ImportRowError.line == huge_line)).scalar_one()
    finally:
        engine.dispose()
    assert sorted(refused) == list(range(2 + GOOD_BEFORE, 2 + GOOD_BEFORE + GARBAGE)) + [huge_line]
    assert refused[huge_line] == "line longer than 1,000,000 characters; skipped without reading it whole"
    assert huge_raw.startswith('huge,0123456789,"quoted') and len(huge_raw) == 500
    assert {reason.split(" (")[0] for line, reason in refused.items() if line != huge_line} == {
        "contains NUL bytes", "not valid UTF-8 text"}
