"""In-memory candidate index: blocking keys over cross-script name skeletons, incremental; pure."""

from __future__ import annotations

import heapq
import sys
from collections import Counter
from collections.abc import Iterable

from matching.names import parse_name
from matching.records import Query, RegistryRecord
from matching.score import Entry, PreparedQuery, governorate_code, idf_bits, token_similarity
from matching.translit import lexicon, skeleton

#: Most skeleton variants of one query token used for lookups (best first).
MAX_EXPANSIONS = 4
#: Most frequent spellings of a vocabulary skeleton compared with a query token.
EXPANSION_TOKENS = 6
#: Lowest token similarity for a vocabulary skeleton to stand in for a query token.
EXPANSION_FLOOR = 0.66
#: A posting list longer than this is only read when nothing more selective was found.
POSTING_CAP = 4_000
#: Past this length a posting list is skipped once enough candidates are in hand.
SOFT_CAP = 400
#: Most postings read per query, all keys together.
READ_BUDGET = 20_000
#: Most postings of the two rarest pairs of the names' best spellings intersected when passed over.
CLOSE_PAIR_READ = 2 * POSTING_CAP
#: Candidates handed to the full scorer per query.
SHORTLIST = 60
#: Candidates always scored (when there are that many), and the share of the best
#: candidate's key count below which further candidates are dropped.
SHORTLIST_MIN = 30
SHORTLIST_RATIO = 0.4
#: Token similarity from which a lookup key counts double when ranking candidates.
CLOSE = 0.9
#: Token similarity below which an expansion is used only in plain name-pair keys.
NARROW = 0.8
#: Spread of birth years looked up around the query's year.
YEAR_SPREAD = 2


def _sk(token: str) -> str:
    return skeleton(token) or ("~" + token)


def _deletions(s: str) -> list[str]:
    if len(s) < 2:
        return []
    return [s[:i] + s[i + 1 :] for i in range(len(s))]


def _own_skeletons(token: str) -> list[str]:
    """The token's skeleton and those of the names the lexicon lists it as a spelling of
    ("mohd" and "mhd" are محمد, whose skeleton differs from theirs)."""
    own = _sk(token)
    more = {_sk(a) for a in lexicon().arabic_for(token)} - {own}
    return [own, *sorted(more)] if more else [own]


def prepare_record(record: RegistryRecord) -> Entry:
    """Parse a registry record into an :class:`Entry` (names given-first, family-last)."""
    intern = sys.intern
    names: list[str]
    if record.first_name and record.family_name:
        first = parse_name(record.first_name).tokens
        father = parse_name(record.father_name or "").tokens
        family = parse_name(record.family_name).tokens
        names = list(first[:2]) + list(father[:1]) + list(family[-2:])
        has_father = bool(father) and bool(first) and bool(family)
        if not first or not family:
            names = list(parse_name(record.full_name).tokens)
            has_father = len(names) >= 3
    else:
        parsed = parse_name(record.full_name)
        names = list(parsed.tokens)
        if parsed.father is not None and parsed.father != 1 and len(names) >= 2:
            names.insert(1, names.pop(parsed.father))
        has_father = len(names) >= 3 or (parsed.father is not None and len(names) >= 2)
        if record.father_name and len(names) == 2:
            ft = parse_name(record.father_name).tokens
            if ft:
                names.insert(1, ft[0])
                has_father = True
    mother = parse_name(record.mother_name or "").tokens
    return Entry(
        record_id=record.record_id,
        names=tuple(intern(t) for t in names),
        mother=tuple(intern(t) for t in mother),
        year=record.birth_year,
        gov=governorate_code(record.governorate),
        has_father=has_father,
    )


def prepare_query(query: Query) -> PreparedQuery:
    """Parse a family's query (free-text name plus optional fields) for matching."""
    parsed = parse_name(query.name or "")
    names = parsed.tokens
    father: str | None = None
    in_names = False
    if query.father_name:
        ft = parse_name(query.father_name).tokens
        father = ft[0] if ft else None
    elif parsed.father is not None:
        father = names[parsed.father]
        in_names = True
    return PreparedQuery(
        query_id=query.query_id,
        names=names,
        father=father,
        father_in_names=in_names,
        mother=parse_name(query.mother_name or "").tokens,
        year=query.birth_year,
        gov=governorate_code(query.governorate),
    )


def _entry_keys(e: Entry) -> set[int]:
    sks = [_sk(t) for t in e.names[:6]]
    keys: set[int] = set()
    n = len(sks)
    if n == 1:
        keys.add(hash(("s", sks[0])))
    for i in range(n):
        for j in range(i + 1, n):
            a, b = sks[i], sks[j]
            if a != b:
                keys.add(hash(("p", a, b) if a < b else ("p", b, a)))
            else:
                keys.add(hash(("p", a, a)))
    if n >= 1:
        g, f = sks[0], sks[-1]
        lo, hi = (g, f) if g <= f else (f, g)
        # year 0 stands for "no year": the namesake scan needs those records too
        keys.add(hash(("y", lo, hi, e.year if e.year is not None else 0)))
        if e.mother:
            m = _sk(e.mother[0])
            keys.add(hash(("t", lo, hi, m)))
            keys.add(hash(("m", g, m)))
            keys.add(hash(("m", f, m)))
    return keys


class CandidateIndex:
    """Inverted index from blocking keys to record slots, with add/replace/remove in place.

    Keys combine cross-script skeletons of name parts (every pair of parts, given+family with
    birth year, given+family with mother's name, a name part with mother's name). A query token
    is expanded to vocabulary skeletons by exact skeleton, the name lexicon and skeleton
    deletion neighbours (typos), so every key is found across scripts and spellings.
    """

    def __init__(self) -> None:
        self._slots: list[Entry | None] = []
        self._ids: list[str] = []  # record id per slot: the load-order-free tie-break
        self._by_id: dict[str, int] = {}
        self._postings: dict[int, list[int]] = {}
        self._name_counts: Counter[str] = Counter()
        self._mother_counts: Counter[str] = Counter()
        self._mother_total = 0
        self._skel_tokens: dict[str, Counter[str]] = {}
        self._neighbours: dict[str, set[str]] = {}
        self._expansions: dict[str, list[tuple[str, float]]] = {}
        self._spellings: dict[str, list[str]] = {}  # skeleton -> its most frequent spellings
        self._dead = 0
        self._years: set[int] = {0}  # birth years held (0: none), for the namesake keys

    # -- maintenance ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_id)

    def _vocab_add(self, token: str) -> None:
        s = _sk(token)
        bucket = self._skel_tokens.get(s)
        if bucket is None:
            bucket = self._skel_tokens[s] = Counter()
            self._neighbours.setdefault(s, set()).add(s)
            for d in _deletions(s):
                self._neighbours.setdefault(d, set()).add(s)
            self._expansions.clear()
        if token not in bucket:
            self._expansions.clear()
        if self._spellings:
            self._spellings.clear()  # counts changed: the most frequent spellings may too
        bucket[token] += 1

    def _vocab_remove(self, token: str) -> None:
        s = _sk(token)
        bucket = self._skel_tokens.get(s)
        if bucket is None:
            return
        if self._spellings:
            self._spellings.clear()
        bucket[token] -= 1
        if bucket[token] <= 0:
            del bucket[token]

    def add(self, entry: Entry) -> None:
        """Add an entry, replacing any entry with the same record_id."""
        self.remove(entry.record_id)
        slot = len(self._slots)
        keys = _entry_keys(entry)
        self._slots.append(entry)
        self._ids.append(entry.record_id)
        self._by_id[entry.record_id] = slot
        if entry.year is not None:
            self._years.add(entry.year)
        postings = self._postings
        for k in keys:
            lst = postings.get(k)
            if lst is None:
                postings[k] = [slot]
            else:
                lst.append(slot)
        for s in {_sk(t) for t in entry.names}:
            self._name_counts[s] += 1
        if entry.mother:
            self._mother_counts[_sk(entry.mother[0])] += 1
            self._mother_total += 1
        for t in entry.names:
            self._vocab_add(t)
        for t in entry.mother[:1]:
            self._vocab_add(t)

    def remove(self, record_id: str) -> bool:
        """Remove the entry with this record_id; False if there was none."""
        slot = self._by_id.pop(record_id, None)
        if slot is None:
            return False
        e = self._slots[slot]
        self._slots[slot] = None
        self._dead += 1
        if e is not None:
            for s in {_sk(t) for t in e.names}:
                self._name_counts[s] -= 1
            if e.mother:
                self._mother_counts[_sk(e.mother[0])] -= 1
                self._mother_total -= 1
            for t in e.names:
                self._vocab_remove(t)
            for t in e.mother[:1]:
                self._vocab_remove(t)
            for k in _entry_keys(e):  # keys are recomputed rather than stored per record
                lst = self._postings.get(k)
                if lst is not None and len(lst) <= 64:
                    try:
                        lst.remove(slot)
                    except ValueError:
                        pass
                    if not lst:
                        del self._postings[k]
        if self._dead > 1000 and self._dead > len(self._by_id):
            self._compact()
        return True

    def _compact(self) -> None:
        """Rebuild slots and postings without removed entries (amortised)."""
        live = [e for e in self._slots if e is not None]
        self.__init__()  # type: ignore[misc]
        for e in live:
            self.add(e)

    def entry(self, slot: int) -> Entry | None:
        """The live entry in a slot, or None."""
        return self._slots[slot]

    def get(self, record_id: str) -> Entry | None:
        """The live entry for a record_id, or None."""
        slot = self._by_id.get(record_id)
        return None if slot is None else self.entry(slot)

    def entries(self) -> Iterable[Entry]:
        """Every live entry (for exhaustive scoring in benchmarks)."""
        return (e for e in self._slots if e is not None)

    def _given_family_lists(self, names: tuple[str, ...], year: int | None) -> list[list[int]]:
        """The posting lists of the given + family (+ birth year) keys: records whose given and
        family skeletons are these two, born within ±2 of ``year`` or with no year recorded;
        every year held when ``year`` is None."""
        if len(names) < 2:
            return []
        years: Iterable[int] = self._years if year is None else (0, *range(year - YEAR_SPREAD, year + YEAR_SPREAD + 1))
        get = self._postings.get
        out: list[list[int]] = []
        for g in _own_skeletons(names[0]):
            for f in _own_skeletons(names[-1]):
                lo, hi = (g, f) if g <= f else (f, g)
                out.extend(lst for y in years if (lst := get(hash(("y", lo, hi, y)))))
        return out

    def namesakes_within(self, names: tuple[str, ...], year: int | None, cap: int) -> list[int] | None:
        """Like :meth:`namesakes` for these given and family names, unsorted, or None when the
        keys hold more than ``cap`` postings (live or not): nothing is read past the count."""
        lists = self._given_family_lists(names, year)
        if sum(map(len, lists)) > cap:
            return None
        held = self._slots
        found = {s for lst in lists for s in lst}
        return [s for s in found if held[s] is not None]

    def record_id(self, slot: int) -> str:
        """The record id held in a slot (live or removed)."""
        return self._ids[slot]

    def namesakes(self, entry: Entry, year: int | None = None) -> list[int]:
        """Slots of the live records posted under the same given + family skeletons as ``entry``.

        With ``year``, only those born within ±2 of it or with no birth year recorded (the
        ones a stated year does not rule out). Sorted by record id, so scans are reproducible.
        """
        found: list[int] = []
        for lst in self._given_family_lists(entry.names, year):
            found.extend(lst)
        slots = set(found) if len(found) > 1 else found
        held = self._slots
        live = [s for s in slots if held[s] is not None]
        live.sort(key=self._ids.__getitem__)
        return live

    # -- statistics ----------------------------------------------------------------------------

    def name_weight(self, token: str) -> float:
        """Idf bits of a name part, counted over records by cross-script skeleton.

        A listed spelling counts as common as the name it spells ("Mohd" and "Mhd" are محمد,
        however rare their own skeleton)."""
        counts = self._name_counts
        count = counts.get(_sk(token), 0)
        for arabic in lexicon().arabic_for(token):
            count = max(count, counts.get(_sk(arabic), 0))
        return idf_bits(count, len(self._by_id))

    def mother_weight(self, token: str) -> float:
        """Idf bits of a mother's given name among records' mothers."""
        return idf_bits(self._mother_counts.get(_sk(token), 0), max(1, self._mother_total))

    # -- lookup --------------------------------------------------------------------------------

    def expand(self, token: str) -> list[tuple[str, float]]:
        """Vocabulary skeletons a query token may stand for, with the best token similarity."""
        hit = self._expansions.get(token)
        if hit is not None:
            return hit
        s = _sk(token)
        cands: set[str] = set(self._neighbours.get(s, ()))
        for d in _deletions(s):
            cands |= self._neighbours.get(d, set())
        for i in range(len(s) - 1):  # adjacent transpositions: مصفطى for مصطفى
            if s[i] != s[i + 1]:
                cands |= self._neighbours.get(s[:i] + s[i + 1] + s[i] + s[i + 2 :], set())
        for arabic in lexicon().arabic_for(token):
            cands.add(_sk(arabic))
        scored = []
        for c in cands:
            bucket = self._skel_tokens.get(c)
            if not bucket:
                continue
            best = 0.0
            spellings = self._spellings.get(c)
            if spellings is None:
                # most frequent spellings first, ties by spelling: independent of load order
                spellings = self._spellings[c] = [
                    t for t, _n in sorted(bucket.items(), key=lambda tn: (-tn[1], tn[0]))[:EXPANSION_TOKENS]]
            for t in spellings:
                sim = token_similarity(token, t)
                if sim > best:
                    best = sim
                    if best >= 0.95:
                        break  # as good as it gets: no need to try rarer spellings
            if best >= EXPANSION_FLOOR:
                scored.append((c, best))
        scored.sort(key=lambda x: (-x[1], x[0]))  # deterministic: no set order, no hash seed
        out = scored[:MAX_EXPANSIONS]
        if not out:
            out = [(s, 0.5)]
        if len(self._expansions) > 200_000:
            self._expansions.clear()
            self._spellings.clear()
        self._expansions[token] = out
        return out

    def candidates(self, q: PreparedQuery, shortlist: int = SHORTLIST) -> list[int]:
        """Slots of the records most likely to match, best first (at most ``shortlist``)."""
        toks = list(q.names[:6])
        if q.father and not q.father_in_names:
            toks.append(q.father)
        exp = [self.expand(t) for t in toks]
        mexp = self.expand(q.mother[0])[:3] if q.mother else []
        # key -> weight: 2 when every part is a near-exact spelling, 1 for fuzzy stand-ins.
        keys: dict[int, int] = {}

        def put(key: int, w: int) -> None:
            if keys.get(key, 0) < w:
                keys[key] = w

        n = len(exp)
        years = range(q.year - YEAR_SPREAD, q.year + YEAR_SPREAD + 1) if q.year is not None else range(0)
        if n == 1:
            for a, sa in exp[0]:
                put(hash(("s", a)), 2 if sa >= CLOSE else 1)
        for i in range(n):
            for j in range(i + 1, n):
                for a, sa in exp[i]:
                    for b, sb in exp[j]:
                        w = 2 if min(sa, sb) >= CLOSE else 1
                        lo, hi = (a, b) if a <= b else (b, a)
                        put(hash(("p", lo, hi)), w)
                        if sa < NARROW or sb < NARROW:
                            continue  # year and mother keys only for close spellings
                        if q.year is not None:
                            for y in years:
                                put(hash(("y", lo, hi, y)), w)
                        for m, sm in mexp:
                            put(hash(("t", lo, hi, m)), w if sm >= CLOSE else 1)
        for m, sm in mexp:
            for e in exp:
                for a, sa in e:
                    if sa >= NARROW:
                        put(hash(("m", a, m)), 2 if min(sa, sm) >= CLOSE else 1)
        lists = [(lst, w) for k, w in keys.items() if (lst := self._postings.get(k))]
        lists.sort(key=lambda x: len(x[0]))
        counts: Counter[int] = Counter()
        read = 0
        enough = 2 * shortlist
        skipped: list[tuple[list[int], int]] = []
        for lst, w in lists:
            if read >= READ_BUDGET or (len(lst) > POSTING_CAP and counts):
                skipped.append((lst, w))
                continue
            if len(lst) > SOFT_CAP and len(counts) >= enough:
                skipped.append((lst, w))  # selective keys already gave plenty
                continue
            part = lst if len(lst) <= POSTING_CAP else lst[:POSTING_CAP]
            for _ in range(w):
                counts.update(part)
            read += len(part)
        if skipped and counts:
            # the lists of each name's best spelling paired with another's, when both are near-exact
            best_pairs = {hash(("p", *sorted((ei[0][0], ej[0][0])))) for i, ei in enumerate(exp)
                          for ej in exp[i + 1:] if ei and ej and min(ei[0][1], ej[0][1]) >= CLOSE}
            best = [lst for k in best_pairs if (lst := self._postings.get(k))]
            passed_ids = {id(lst) for lst, _w in skipped}
            if best and all(id(lst) in passed_ids for lst in best):
                self._count_best_pairs(counts, best)
            # Broad keys still rank the candidates in hand: count membership, not new records.
            held = counts.keys()
            for lst, w in skipped[:8]:
                hits = held & set(lst)
                for _ in range(w):
                    counts.update(hits)
        return self._rank(counts, shortlist)

    @staticmethod
    def _count_best_pairs(counts: Counter[int], best: list[list[int]]) -> None:
        """Records holding the two rarest pairs of the names' best spellings, when every such
        pair list was passed over.

        With common names in a large registry, fuzzy stand-ins give short lists that are read
        first and fill the budget, and the lists of the names as typed are then passed over:
        "حسين حسن خالد الجاسم" at a million rows met 60 candidates that shared little with it,
        and not the record of that very name. The two rarest lists of best-spelling pairs are
        then intersected (records holding at least three of the names typed), and both are
        counted for those records, as if they had been read. At a million rows this runs on 309
        of 2,000 bench queries and changes 147 shortlists; run whenever any near-exact pair list
        was passed over (776 queries), it changed 412 and made a search a fifth slower."""
        passed = sorted(best, key=len)
        if len(passed) < 2 or len(passed[0]) + len(passed[1]) > CLOSE_PAIR_READ:
            return
        both = set(passed[0]).intersection(passed[1])
        counts.update(dict.fromkeys(both, 4))  # two lists of weight 2

    def _rank(self, counts: Counter[int], shortlist: int) -> list[int]:
        """The best live slots by count: at most ``shortlist``, at least ``SHORTLIST_MIN``,
        fewer when the rest fall below ``SHORTLIST_RATIO`` of the best count.

        Ties at the cut are broken by record id (not by slot, i.e. insertion order), so the
        answer does not depend on the order in which records were loaded.
        """
        slots = self._slots
        top = [(c, s) for s, c in counts.most_common(shortlist * 2) if slots[s] is not None]
        if len(top) < shortlist and self._dead:
            # removed records still sit in long posting lists until the next compaction
            top = sorted(((c, s) for s, c in counts.items() if slots[s] is not None), key=lambda cs: -cs[0])
        if not top:
            return []
        best = top[0][0]
        cut = min(shortlist, len(top))
        while cut > SHORTLIST_MIN and top[cut - 1][0] < SHORTLIST_RATIO * best:
            cut -= 1  # far weaker candidates are not worth the scorer's time
        boundary = top[cut - 1][0]
        chosen = [s for c, s in top if c > boundary]
        need = cut - len(chosen)
        if len(top) >= shortlist * 2 and top[-1][0] == boundary:
            # the tie at the cut may run past ``top``: every record with that count competes
            tied = [s for s, c in counts.items() if c == boundary and slots[s] is not None]
        else:
            tied = [s for c, s in top if c == boundary]
        if len(tied) > need:
            tied = heapq.nsmallest(need, tied, key=self._ids.__getitem__)
        chosen.extend(tied)
        chosen.sort(key=lambda s: (-counts[s], slots[s].record_id))  # type: ignore[union-attr]
        return chosen

