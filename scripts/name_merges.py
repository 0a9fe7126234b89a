"""Different names that agree: every Latin spelling of a name in data/names compared with every
other Arabic name there; prints the pairs whose token similarity reaches STRONG (0.85).

    .venv/bin/python scripts/name_merges.py [REPO_DIR]

Run it on two checkouts and compare the lists to see which merges a spelling rule adds or removes
(docs/matching.md, section 9, third pass). Spellings listed for both names are skipped.
"""

from __future__ import annotations

import sys
from pathlib import Path

from matching.names import parse_name
from matching.normalize import script_of
from matching.score import STRONG
from matching.translit import token_similarity


def spellings(root: Path) -> dict[str, set[str]]:
    """Arabic canonical token -> Latin canonical tokens, from the name pools and diaspora.tsv."""
    table: dict[str, set[str]] = {}
    for fname in ("given_male.tsv", "given_female.tsv", "family.tsv", "diaspora.tsv"):
        for line in (root / "data" / "names" / fname).read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            cells = line.split("\t")
            arabic = parse_name(cells[0]).tokens
            if len(arabic) != 1:
                continue
            for cell in cells[1:]:
                for spelling in cell.split("|"):
                    toks = parse_name(spelling).tokens
                    if len(toks) == 1 and script_of(toks[0]) == "la":
                        table.setdefault(arabic[0], set()).add(toks[0])
    return table


def main(root: Path) -> None:
    """Print latin, its name, the other name it agrees with, and the similarity."""
    table = spellings(root)
    names = sorted(table)
    for name in names:
        for latin in sorted(table[name]):
            for other in names:
                if other != name and latin not in table[other]:
                    sim = token_similarity(latin, other)
                    if sim >= STRONG:
                        print(f"{latin}\t{name}\t{other}\t{sim:.2f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
