"""Rebuild data/lexicon/name_variants.tsv from curated.tsv, ar2en.txt and wikidata-names.

Run from the repo root:

    .venv/bin/python data/lexicon/build_lexicon.py /work/shared/data/ar2en/ar2en.txt \
        /work/shared/data/wikidata-names/persons-ar.txt
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from matching.names import parse_name
from matching.normalize import script_of
from matching.translit import raw_similarity, skeleton
from matching.wikicheck import held_out

HERE = Path(__file__).resolve().parent

#: Lowest cross-script similarity for an ar2en pair to be kept as a name spelling (drops
#: entries whose Latin side is a translation or a foreign name spelt unlike its Arabic).
KEEP = 0.8
#: The same for Wikidata groups: one item's spellings, so a lower bar (they are real names, yet
#: a group sometimes lumps a different name in, which the curated guard below removes).
KEEP_WIKIDATA = 0.7


def _curated_conflict(a: str, la: str, curated: dict[str, set[str]], by_skeleton: dict[str, set[str]]) -> bool:
    """True when a mined pair (a, la) contradicts the curated list: ``la`` is a curated spelling
    of another name, or ``a`` is a curated name and ``la`` sounds at least as close to another
    curated name with the same skeleton (Wikidata lists "mehmood" under محمد)."""
    owners = {x for x, spellings in curated.items() if la in spellings}
    if owners and a not in owners:
        return True
    if a in curated and la not in curated[a]:
        mine = raw_similarity(a, la)
        for other in by_skeleton.get(skeleton(a), set()) - {a}:
            if raw_similarity(other, la) >= mine:
                return True
    return False


def wikidata_pairs(path: Path) -> set[tuple[str, str]]:
    """(arabic, latin) canonical one-token pairs from the Wikidata groups, kept when their
    cross-script similarity reaches KEEP_WIKIDATA. The two tenths of the groups set aside for
    the held-out spelling check (``matching.wikicheck``) are never read."""
    pairs: set[tuple[str, str]] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        variants, _, qid = line.rpartition(" => ")
        if held_out(qid.strip()):
            continue
        arabic: set[str] = set()
        latin: set[str] = set()
        for variant in variants.split(", "):
            tok = _one_token(variant)
            if not tok:
                continue
            if script_of(tok) == "ar":
                arabic.add(tok)
            elif tok.isascii() and tok.isalpha():
                latin.add(tok)
        for a in arabic:
            for la in latin:
                if raw_similarity(a, la) >= KEEP_WIKIDATA:
                    pairs.add((a, la))
    return pairs


def _one_token(text: str) -> str | None:
    toks = parse_name(text).tokens
    return toks[0] if len(toks) == 1 else None


def main(ar2en: Path, wikidata: Path | None = None) -> None:
    """Write name_variants.tsv: arabic, latin spellings, source (curated, ar2en or wikidata)."""
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
    curated = {a: set(sources["curated"]) for a, sources in table.items() if sources["curated"]}
    by_skeleton: dict[str, set[str]] = defaultdict(set)
    for a in curated:
        by_skeleton[skeleton(a)].add(a)
    kept = 0
    for line in ar2en.read_text(encoding="utf-8").splitlines():
        arabic, _, latin = line.partition("\t")
        a, la = _one_token(arabic), _one_token(latin)
        if not a or not la or not la.isascii() or not la.isalpha():
            continue
        if raw_similarity(a, la) >= KEEP and not _curated_conflict(a, la, curated, by_skeleton):
            table[a]["ar2en"].add(la)
            kept += 1
    wiki_kept = dropped = 0
    if wikidata is not None:
        for a, la in sorted(wikidata_pairs(wikidata)):
            if _curated_conflict(a, la, curated, by_skeleton):
                dropped += 1
                continue
            table[a]["wikidata"].add(la)
            wiki_kept += 1
    out = [
        "# arabic\tlatin spellings (|-separated)\tsource",
        "# Derived; do not edit by hand. See README.md for provenance and build_lexicon.py to rebuild.",
    ]
    for a in sorted(table):
        for source in ("curated", "ar2en", "wikidata"):
            if table[a][source]:
                out.append(f"{a}\t{'|'.join(sorted(table[a][source]))}\t{source}")
    (HERE / "name_variants.tsv").write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"{len(table)} Arabic names; {kept} ar2en pairs kept; {wiki_kept} Wikidata pairs kept, "
          f"{dropped} dropped as contradicting the curated list", file=sys.stderr)


if __name__ == "__main__":
    main(
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/data/ar2en/ar2en.txt"),
        Path(sys.argv[2]) if len(sys.argv) > 2 else Path("/work/shared/data/wikidata-names/persons-ar.txt"),
    )
