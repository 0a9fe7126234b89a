"""A labelled devset split read into records, queries and truth (tests, scripts, tie analysis)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matching.records import Query, RegistryRecord, RowError, record_from_row

#: The splits shipped in the repository.
DEVSET_DIR = Path(__file__).resolve().parent.parent / "data" / "devset"


@dataclass(frozen=True, slots=True)
class LabelledSplit:
    """One split of ``data/devset``: registry records by id, queries in order, truth by query id."""

    records: dict[str, RegistryRecord]
    queries: list[Query]
    truth: dict[str, dict[str, Any]]

    def present(self) -> Iterable[tuple[Query, RegistryRecord]]:
        """Queries whose person is in the registry, with that person's record."""
        for q in self.queries:
            rid = self.truth[q.query_id].get("record_id")
            if rid is not None and rid in self.records:
                yield q, self.records[rid]


def query_from_json(line: dict[str, Any]) -> Query:
    """A contract query line as a :class:`Query` (absent optional fields are None)."""
    year = line.get("birth_year")
    return Query(str(line["query_id"]), str(line.get("name") or ""), line.get("father_name"),
                 line.get("mother_name"), int(year) if isinstance(year, int) else None, line.get("governorate"))


def read_records(path: Path) -> dict[str, RegistryRecord]:
    """Valid rows of a registry CSV by record id (invalid rows are left out, as on import)."""
    records: dict[str, RegistryRecord] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                rec = record_from_row(row)
            except RowError:
                continue
            records[rec.record_id] = rec
    return records


def load_split(split: str | Path) -> LabelledSplit:
    """Read ``data/devset/<split>`` (or a directory) into a :class:`LabelledSplit`."""
    d = Path(split) if isinstance(split, Path) else DEVSET_DIR / split

    def lines(name: str) -> list[dict[str, Any]]:
        return [json.loads(x) for x in (d / name).read_text(encoding="utf-8").splitlines() if x.strip()]

    return LabelledSplit(
        records=read_records(d / "registry.csv"),
        queries=[query_from_json(x) for x in lines("queries.jsonl")],
        truth={str(t["query_id"]): t for t in lines("truth.jsonl")},
    )
