"""Field scorers: name alignment, father, mother, birth year, governorate, with explanations; pure."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from matching.normalize import normalize_text
from matching.translit import PAIR_FLOOR, token_similarity

# --- governorates -----------------------------------------------------------------------------

#: Syria's 14 governorates: code -> Arabic name and common Latin spellings.
GOVERNORATES: dict[str, tuple[str, ...]] = {
    "damascus": ("دمشق", "الشام", "damascus", "dimashq", "damas", "demashq", "sham", "al sham", "ash sham"),
    "rif-dimashq": ("ريف دمشق", "rif dimashq", "rif damascus", "reef dimashq", "reef damascus",
                    "damascus countryside", "rural damascus", "damascus suburbs", "rif dimasq", "rif"),
    "aleppo": ("حلب", "aleppo", "halab", "alep", "haleb"),
    "homs": ("حمص", "homs", "hims", "hums"),
    "hama": ("حماة", "حماه", "hama", "hamah", "hamat", "hamaa"),
    "latakia": ("اللاذقية", "latakia", "lattakia", "ladhiqiyah", "al ladhiqiyah", "lattaquie", "ladikiya",
                "lazkiye", "latakiya", "lathqiya"),
    "tartus": ("طرطوس", "tartus", "tartous", "tartoos", "tortosa", "tarsous"),
    "idlib": ("إدلب", "idlib", "idleb", "edlib", "edleb"),
    "hasakah": ("الحسكة", "hasakah", "al hasakah", "hasaka", "hassakeh", "hasakeh", "hassaka",
                "al hasaka", "hasake"),
    "deir-ez-zor": ("دير الزور", "deir ez zor", "deir ezzor", "deir al zour", "deir el zor", "deir ez-zor",
                    "dayr az zawr", "deir al zor", "deir zor", "deir azzor", "der el zor", "deirezzor"),
    "raqqa": ("الرقة", "raqqa", "raqqah", "ar raqqah", "rakka", "al raqqa", "raqa", "riqqa"),
    "daraa": ("درعا", "daraa", "deraa", "dara a", "dera a", "darra", "deraah", "daraah", "der3a", "dar3a"),
    "suwayda": ("السويداء", "suwayda", "as suwayda", "sweida", "sweyda", "suwaida", "soueida", "swaida",
                "al suwayda", "sweda", "suwayda'"),
    "quneitra": ("القنيطرة", "quneitra", "al qunaytirah", "kuneitra", "qunaitra", "qunaytra", "quneitera"),
}

_GOV_STOP = ("محافظه", "محافظة", "governorate", "province", "muhafazat", "mohafazat", "gov")


def _gov_norm(text: str) -> str:
    norm = normalize_text(text)
    for word in _GOV_STOP:
        norm = norm.replace(normalize_text(word), " ")
    words = norm.split()
    out = []
    for w in words:
        if w.startswith("ال") and len(w) > 3 and w not in ("الشام",):
            w = w[2:]
        if w in ("al", "el", "ar", "as", "ad", "ash", "az", "ez", "ed"):
            continue
        out.append(w)
    return "".join(out)


_GOV_LOOKUP: dict[str, str] = {}
for _code, _names in GOVERNORATES.items():
    for _name in _names:
        _GOV_LOOKUP[_gov_norm(_name)] = _code
    _GOV_LOOKUP[_gov_norm(_code)] = _code


@lru_cache(maxsize=4_096)
def governorate_code(text: str | None) -> str | None:
    """The governorate code for a name in either script (exact after folding, then fuzzy); else None."""
    if not text:
        return None
    key = _gov_norm(text)
    if not key:
        return None
    code = _GOV_LOOKUP.get(key)
    if code:
        return code
    best, best_sim = None, 0.0
    for name, c in _GOV_LOOKUP.items():
        if abs(len(name) - len(key)) > 4:
            continue
        sim = token_similarity(key, name)
        if sim > best_sim:
            best, best_sim = c, sim
    return best if best_sim >= 0.8 else None


# --- field scorers ----------------------------------------------------------------------------


def year_bits(query: int | None, record: int | None) -> tuple[float, str]:
    """Evidence (bits) from birth years: exact +4, ±1 +2.5, ±2 +1, ±3 -1.5, further -6."""
    if query is None or record is None:
        return 0.0, "unknown"
    delta = abs(query - record)
    table = {0: (4.0, "agree"), 1: (2.5, "agree"), 2: (1.0, "close")}
    if delta in table:
        return table[delta]
    if delta == 3:
        return -1.5, "differs"
    return -6.0, "conflict"


@dataclass(slots=True)
class Alignment:
    """Best one-to-one pairing of query tokens with record tokens."""

    pairs: list[tuple[int, int, float]]  # (query index, record index, similarity)
    query_unmatched: list[int]
    record_unmatched: list[int]


def align(
    query: tuple[str, ...], record: tuple[str, ...], sims_of: Any = None
) -> Alignment:
    """Greedy best-first one-to-one alignment (names have at most a handful of tokens).

    ``sims_of(token)`` may supply the similarities of a record token to every query token
    (memoised per query by the engine); by default they are computed here.
    """
    cells = []
    nq = len(query)
    last_q, last_r = nq - 1, len(record) - 1
    for j, r in enumerate(record):
        sims = sims_of(r) if sims_of is not None else [token_similarity(q, r) for q in query]
        for i in range(nq):
            sim = sims[i]
            if sim >= PAIR_FLOOR:
                # on ties prefer given with given, family with family, then in-order pairs; the
                # family with the family also over a middle name up to 0.035 closer ("Ahmad Al-Omar"
                # for "Ahmad Omar Alomar": the article reading costs alomar a few hundredths)
                role = 0.003 if i == 0 and j == 0 else (0.035 if i == last_q and j == last_r and i else 0.0)
                cells.append((sim + role - 0.001 * abs(i - j), i, j, sim))
    if len(cells) > 1:
        cells.sort(reverse=True)
    used_q = used_r = 0  # bit sets of paired positions
    pairs = []
    for _, i, j, sim in cells:
        bi, bj = 1 << i, 1 << j
        if used_q & bi or used_r & bj:
            continue
        used_q |= bi
        used_r |= bj
        pairs.append((i, j, sim))
    return Alignment(
        pairs=pairs,
        query_unmatched=[i for i in range(nq) if not used_q >> i & 1],
        record_unmatched=[j for j in range(len(record)) if not used_r >> j & 1],
    )


def agreement(sim: float) -> float:
    """How much of a token's weight a similarity earns: 1 at 1.0, 0 at 0.62 and below."""
    return max(0.0, min(1.0, (sim - PAIR_FLOOR) / (1.0 - PAIR_FLOOR))) ** 1.5


def idf_bits(count: int, total: int) -> float:
    """Evidence of agreeing on a value held by ``count`` of ``total`` records (log2, capped)."""
    total = max(total, 1)
    return max(1.0, min(math.log2((total + 1) / (count + 1)), 20.0))


# --- prepared values and the pair scorer ------------------------------------------------------


@dataclass(slots=True)
class Entry:
    """A registry record prepared for matching: canonical tokens and coded fields."""

    record_id: str
    names: tuple[str, ...]  # given first, family last, father second when 3+ tokens
    mother: tuple[str, ...]
    year: int | None
    gov: str | None
    has_father: bool


@dataclass(slots=True)
class PreparedQuery:
    """A query prepared for matching (see :func:`matching.index.prepare_query`)."""

    query_id: str
    names: tuple[str, ...]
    father: str | None  # from the father_name field, or the بن-marked token
    father_in_names: bool  # True when ``father`` is one of ``names`` (بن-marked)
    mother: tuple[str, ...]
    year: int | None
    gov: str | None


#: Bits removed for a name part the family typed that the record does not have.
EXTRA_QUERY_TOKEN_BITS = 3.0
#: Bits removed for a record name part the family did not type (grandfathers are often left out).
EXTRA_RECORD_TOKEN_BITS = 0.5
#: Bits removed when the given or the family name does not agree in its own position.
ROLE_BITS = 2.0
#: Bits removed when the names agree only if read family-name-first (the rarer order).
REVERSED_ORDER_BITS = 1.5
#: Bits removed for an unmatched kunya (أبو X) in the query.
KUNYA_BITS = 0.5
#: Bits removed when the father or mother clearly differs.
CONFLICT_BITS = 8.0
#: Similarity from which a field counts as agreeing for decisions.
STRONG = 0.85


@dataclass(slots=True)
class PairScore:
    """Evidence (in bits) for one query/record pair, with the features decisions use."""

    bits: float
    given: bool
    family: bool
    father: str  # agree / conflict / unknown
    mother: str
    year: str
    gov: str
    extra_query: int
    extra_record: int
    explanation: dict[str, Any]


def _state(sim: float) -> str:
    if sim >= STRONG:
        return "agree"
    if sim < PAIR_FLOOR:
        return "conflict"
    return "partial"


def _roles_agree(qnames: tuple[str, ...], n_rec: int, al: Alignment) -> tuple[bool, bool, bool]:
    """Whether the record's given and family names agree with the query's, by position.

    The query's given name is its first word that is not a kunya (أبو X); its family name is
    its last word. Family-name-first order (family, given, father) is accepted too; the third
    value says that reading was used.
    """
    if not qnames or n_rec == 0:
        return False, False, False
    strong = {(i, j) for i, j, sim in al.pairs if sim >= STRONG}
    qg = 0
    while qg < len(qnames) - 1 and qnames[qg].startswith(("ابو", "abu")):
        qg += 1
    ql = len(qnames) - 1
    last = n_rec - 1
    given = (qg, 0) in strong
    family = n_rec >= 2 and ql != qg and (ql, last) in strong
    if not (given and family) and n_rec >= 2 and qg + 1 <= ql:
        # family name first: "الحسن محمد أحمد"
        if (qg, last) in strong and (qg + 1, 0) in strong:
            return True, True, True
    return given, family, False


def _name_part(q: PreparedQuery, e: Entry, name_weight: Any, explain: bool, sims_of: Any) -> tuple[Any, ...]:
    """Evidence from the name parts and the father: depends only on the record's names."""
    al = align(q.names, e.names, sims_of)
    bits = 0.0
    pairs_out = []
    paired_record: dict[int, float] = {}
    for i, j, sim in al.pairs:
        # a rare spelling of a common name (a joined "almohammad") is no rarer a name: the
        # weight is that of the more common of the two spellings
        w = min(name_weight(e.names[j]), name_weight(q.names[i]))
        c = agreement(sim)
        gain = w * c - (1.0 - c) * 1.0
        bits += gain
        paired_record[j] = sim
        if explain:
                pairs_out.append({"query": q.names[i], "record": e.names[j], "similarity": round(sim, 3),
                              "weight": round(w, 2), "bits": round(gain, 2)})
    n_rec = len(e.names)
    extra_q = len(al.query_unmatched)
    for i in al.query_unmatched[:3]:
        tok = q.names[i]
        if tok.startswith(("ابو", "abu")):
            bits -= KUNYA_BITS  # a kunya (أبو X) is a nickname records rarely carry
        elif not e.has_father and len(q.names) == 3 and extra_q == 1 and i == 1:
            bits -= EXTRA_RECORD_TOKEN_BITS  # the family typed a father the record lacks
        else:
            bits -= EXTRA_QUERY_TOKEN_BITS
    bits -= EXTRA_RECORD_TOKEN_BITS * len(al.record_unmatched)
    given_ok, family_ok, reversed_order = _roles_agree(q.names, n_rec, al)
    if reversed_order:
        bits -= REVERSED_ORDER_BITS
    if al.pairs:
        # Names that agree only in the wrong roles (the query's given name is the record's
        # father) are weaker evidence than the same names in place.
        if not given_ok:
            bits -= ROLE_BITS
        if not family_ok and n_rec >= 2:
            bits -= ROLE_BITS
    father_idx = 1 if e.has_father else None

    # Father: the father_name field is compared with the record's father; otherwise a typed
    # third name paired with the record's father counts.
    father_state = "unknown"
    father_expl: dict[str, Any] = {"status": "unknown"}
    if father_idx is not None:
        rec_father = e.names[father_idx]
        if q.father is not None and not q.father_in_names:
            sim = token_similarity(q.father, rec_father)
            father_state = _state(sim)
            w = min(name_weight(rec_father), name_weight(q.father))
            if father_state == "conflict":
                fb = -CONFLICT_BITS
            elif father_idx in paired_record:
                fb = 0.0  # already counted through the typed name
            else:
                fb = w * agreement(sim)
            bits += fb
            father_expl = {"status": father_state, "query": q.father, "record": rec_father,
                           "similarity": round(sim, 3), "bits": round(fb, 2)}
        elif father_idx in paired_record and len(q.names) >= 3:
            sim = paired_record[father_idx]
            father_state = "agree" if sim >= STRONG else "partial"
            father_expl = {"status": father_state, "record": rec_father, "similarity": round(sim, 3),
                           "via": "name"}
        elif len(q.names) >= 3 and q.father is None and al.query_unmatched and father_idx in al.record_unmatched:
            father_state = "conflict"  # the typed middle name is not the record's father
            father_expl = {"status": father_state, "record": rec_father, "via": "name",
                           "query": " ".join(q.names[i] for i in al.query_unmatched)}
        elif q.father is not None and q.father_in_names:
            sim = token_similarity(q.father, rec_father)
            father_state = _state(sim)
            if father_state == "conflict":
                bits -= CONFLICT_BITS / 2
            father_expl = {"status": father_state, "query": q.father, "record": rec_father,
                           "similarity": round(sim, 3), "via": "bin"}

    return (bits, pairs_out, al, given_ok, family_ok, father_state, father_expl, extra_q)


def score_pair(
    q: PreparedQuery,
    e: Entry,
    name_weight: Any,
    mother_weight: Any,
    explain: bool = True,
    memo: dict[Any, Any] | None = None,
) -> PairScore:
    """Score one candidate. ``name_weight(token)`` / ``mother_weight(token)`` give idf bits.

    Returns the summed evidence and a per-field explanation that operators read. ``memo``
    (one dict per query) reuses the name evidence across namesakes with identical names.
    """
    part = memo.get((e.names, e.has_father)) if memo is not None and not explain else None
    if part is None:
        sims_of = None
        if memo is not None:
            sims_of = memo.get("")
            if sims_of is None:
                token_sims: dict[str, list[float]] = {}
                qnames = q.names

                def sims_of(r: str) -> list[float]:
                    got = token_sims.get(r)
                    if got is None:
                        got = token_sims[r] = [token_similarity(x, r) for x in qnames]
                    return got

                memo[""] = sims_of  # one closure per query, not per candidate
        part = _name_part(q, e, name_weight, explain, sims_of)
        if memo is not None and not explain:
            memo[(e.names, e.has_father)] = part
    bits, pairs_out, al, given_ok, family_ok, father_state, father_expl, extra_q = part
    mother_state = "unknown"
    mother_expl: dict[str, Any] = {"status": "unknown"}
    if q.mother and e.mother:
        sim = token_similarity(q.mother[0], e.mother[0])
        mother_state = _state(sim)
        w = min(mother_weight(e.mother[0]), mother_weight(q.mother[0]))
        if mother_state == "conflict":
            mb = -CONFLICT_BITS
        else:
            mb = w * agreement(sim) + (1.5 if mother_state == "agree" else 0.0)
            if len(q.mother) > 1 and len(e.mother) > 1:
                rest = max(token_similarity(a, b) for a in q.mother[1:] for b in e.mother[1:])
                mb += 1.5 * agreement(rest) - (1.0 if rest < PAIR_FLOOR else 0.0)
        bits += mb
        mother_expl = {"status": mother_state, "query": " ".join(q.mother), "record": " ".join(e.mother),
                       "similarity": round(sim, 3), "bits": round(mb, 2)}

    yb, year_state = year_bits(q.year, e.year)
    bits += yb
    gov_state = "unknown"
    gb = 0.0
    if q.gov and e.gov:
        gov_state = "agree" if q.gov == e.gov else "differs"
        gb = 1.5 if gov_state == "agree" else -2.0
        bits += gb
    if not explain:
        return PairScore(bits, given_ok, family_ok, father_state, mother_state, year_state, gov_state,
                         extra_q, len(al.record_unmatched), {})
    explanation = {
        "names": {
            "pairs": pairs_out,
            "query_unmatched": [q.names[i] for i in al.query_unmatched],
            "record_unmatched": [e.names[j] for j in al.record_unmatched],
            "given_agrees": given_ok,
            "family_agrees": family_ok,
        },
        "father": father_expl,
        "mother": mother_expl,
        "birth_year": {"status": year_state, "query": q.year, "record": e.year, "bits": yb},
        "governorate": {"status": gov_state, "query": q.gov, "record": e.gov, "bits": gb},
    }
    return PairScore(bits, given_ok, family_ok, father_state, mother_state, year_state, gov_state,
                     extra_q, len(al.record_unmatched), explanation)
