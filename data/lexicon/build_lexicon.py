"""Rebuild data/lexicon/name_variants.tsv from ar2en.txt and curated.tsv (run from the repo root).

    .venv/bin/python data/lexicon/build_lexicon.py /work/shared/data/ar2en/ar2en.txt
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from matching.names import parse_name
from matching.score import token_similarity

HERE = Path(__file__).resolve().parent

#: Lowest cross-script similarity for an ar2en pair to be kept as a name spelling (drops
#: entries whose Latin side is a translation or a foreign name spelt unlike its Arabic).
KEEP = 0.8


def _one_token(text: str) -> str | None:
    toks = parse_name(text).tokens
    return toks[0] if len(toks) == 1 else None


def main(ar2en: Path) -> None:
    """Write name_variants.tsv: arabic, latin spellings, source (curated or ar2en)."""
    table: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for line in (HERE / "curated.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        arabic, latin = line.split("\t")[:2]
        a = _one_token(arabic)
        if a is None:
            continue
        for spelling in latin.split("|"):
            la = _one_token(spelling)
            if la:
                table[a]["curated"].add(la)
    kept = 0
    for line in ar2en.read_text(encoding="utf-8").splitlines():
        arabic, _, latin = line.partition("\t")
        a, la = _one_token(arabic), _one_token(latin)
        if not a or not la or not la.isascii() or not la.isalpha():
            continue
        if token_similarity(a, la) >= KEEP:
            table[a]["ar2en"].add(la)
            kept += 1
    out = [
        "# arabic\tlatin spellings (|-separated)\tsource",
        "# Derived; do not edit by hand. See README.md for provenance and build_lexicon.py to rebuild.",
    ]
    for a in sorted(table):
        for source in ("curated", "ar2en"):
            if table[a][source]:
                out.append(f"{a}\t{'|'.join(sorted(table[a][source]))}\t{source}")
    (HERE / "name_variants.tsv").write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"{len(table)} Arabic names; {kept} ar2en pairs kept", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/data/ar2en/ar2en.txt"))
