"""Offline batch matching: registry CSV + queries JSONL in, results JSONL out (the contract CLI)."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from matching.csvfile import HeaderError, read_registry_csv
from matching.engine import Matcher, MatchResult
from matching.normalize import ascii_digits
from matching.records import MAX_FIELD_CHARS, Query, RegistryRecord

#: Longest query line read (bytes); longer lines are refused.
MAX_QUERY_LINE = 20_000


class QueryError(ValueError):
    """A query line that cannot be used; the message says why."""


def _opt_text(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise QueryError(f"{key} must be a string or null, not {type(value).__name__}")
    value = value.strip()
    if len(value) > MAX_FIELD_CHARS:
        raise QueryError(f"{key} is longer than {MAX_FIELD_CHARS} characters")
    return value or None


def query_from_json(obj: object) -> Query:
    """Validate one decoded query object and build a :class:`Query`; raises QueryError."""
    if not isinstance(obj, dict):
        raise QueryError(f"a query must be a JSON object, not {type(obj).__name__}")
    qid = obj.get("query_id")
    if isinstance(qid, int) and not isinstance(qid, bool):
        qid = str(qid)
    if not isinstance(qid, str) or not qid.strip():
        raise QueryError("query_id is missing or not a non-empty string")
    name = obj.get("name")
    if not isinstance(name, str):
        raise QueryError("name is missing or not a string")
    if len(name) > MAX_FIELD_CHARS:
        raise QueryError(f"name is longer than {MAX_FIELD_CHARS} characters")
    year = obj.get("birth_year")
    if isinstance(year, str):
        text = ascii_digits(year.strip())
        # isdecimal: "²" is a digit int() refuses; more than 9 digits is no year (and int() may refuse it).
        year = int(text) if text.isdecimal() and len(text) <= 9 else (None if not text else year)
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise QueryError(f"birth_year must be an integer or null, not {year!r}")
    if year is not None and not 1900 <= year <= 2030:
        raise QueryError(f"birth_year {year} is outside 1900..2030")
    return Query(
        query_id=qid.strip(),
        name=name,
        father_name=_opt_text(obj, "father_name"),
        mother_name=_opt_text(obj, "mother_name"),
        birth_year=year,
        governorate=_opt_text(obj, "governorate"),
    )


def read_queries(stream: TextIO, warn: Callable[[str], None]) -> Iterator[Query]:
    """Yield valid queries from JSONL text; each bad line is reported with its number and skipped."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        if len(line) > MAX_QUERY_LINE:
            warn(f"queries line {number}: longer than {MAX_QUERY_LINE} characters; skipped")
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            warn(f"queries line {number}: not valid JSON ({exc}); skipped")
            continue
        try:
            yield query_from_json(obj)
        except QueryError as exc:
            warn(f"queries line {number}: {exc}; skipped")


def load_registry(path: Path, warn: Callable[[str], None]) -> tuple[list[RegistryRecord], int]:
    """Read every good record of a registry CSV; bad rows are reported by line and counted."""
    records: list[RegistryRecord] = []
    bad = 0
    with open(path, "rb") as stream:
        for row in read_registry_csv(stream):
            if row.record is None:
                bad += 1
                warn(f"registry line {row.line}: {row.error}; skipped")
            else:
                records.append(row.record)
    return records, bad


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def run(
    registry_csv: Path,
    queries_jsonl: Path,
    out_jsonl: Path,
    *,
    warn: Callable[[str], None] = _stderr,
    matcher: Matcher | None = None,
) -> dict:
    """Match every query of a JSONL file against a registry CSV and write one result per query.

    Returns summary counts (records, bad rows, queries, bad query lines, decisions, seconds).
    Bad rows and lines are reported through ``warn`` with their line numbers and skipped; an
    unusable registry header is reported and gives an empty registry.
    """
    started = time.perf_counter()
    registry_csv, queries_jsonl, out_jsonl = Path(registry_csv), Path(queries_jsonl), Path(out_jsonl)
    try:
        records, bad_rows = load_registry(registry_csv, warn)
    except HeaderError as exc:
        warn(f"registry {registry_csv}: {exc}; no record read")
        records, bad_rows = [], 0
    m = matcher if matcher is not None else Matcher()
    seen: set[str] = set()

    def checked() -> Iterator[RegistryRecord]:
        for record in records:
            if record.record_id in seen:
                warn(f"registry: record_id {record.record_id!r} appears again; the later row wins")
            seen.add(record.record_id)
            yield record

    m.extend(checked())
    built = time.perf_counter()
    decisions: Counter[str] = Counter()
    bad_queries = 0

    def count_warn(message: str) -> None:
        nonlocal bad_queries
        bad_queries += 1
        warn(message)

    n_queries = 0
    with open(queries_jsonl, encoding="utf-8", errors="replace") as qs, open(
        out_jsonl, "w", encoding="utf-8"
    ) as out:
        for query in read_queries(qs, count_warn):
            result: MatchResult = m.search(query, limit=10)
            decisions[result.decision] += 1
            n_queries += 1
            out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    finished = time.perf_counter()
    return {
        "records": len(m),
        "bad_rows": bad_rows,
        "queries": n_queries,
        "bad_queries": bad_queries,
        "decisions": {k: decisions.get(k, 0) for k in ("match", "review", "no_match")},
        "build_seconds": round(built - started, 2),
        "match_seconds": round(finished - built, 2),
    }
