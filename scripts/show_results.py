"""Print the demo's matcher results as a table a newcomer can read: query, decision, best candidate."""

from __future__ import annotations

import csv
import json
import sys


def main(queries_path: str, results_path: str, registry_path: str) -> None:
    """Show each query beside the matcher's decision and its best candidate (for the demo only)."""
    with open(registry_path, encoding="utf-8") as f:
        names = {row["record_id"]: row["full_name"] or row["first_name"] for row in csv.DictReader(f)}
    with open(queries_path, encoding="utf-8") as f:
        queries = {q["query_id"]: q for q in map(json.loads, f)}
    print(f"{'query':24} {'what the family typed':34} {'decision':9} best candidate (score)")
    with open(results_path, encoding="utf-8") as f:
        for result in map(json.loads, f):
            query = queries[result["query_id"]]
            best = result["candidates"][0] if result["candidates"] else None
            shown = f"{names.get(best['record_id'], '?')} ({best['score']:.2f})" if best else "-"
            print(f"{result['query_id']:24} {query['name']:34} {result['decision']:9} {shown}")
    print("\nOperators see candidates like these; a family is only ever told the decision.")


if __name__ == "__main__":
    main(*sys.argv[1:4])
