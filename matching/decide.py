"""Decisions: calibrated score, then match / review / no_match with safety rules; pure."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from matching.score import STRONG, Entry, PairScore, token_similarity


@dataclass(frozen=True, slots=True)
class DecisionConfig:
    """Thresholds of the decision (chosen on the development set; see docs/matching.md)."""

    #: Bits added to the evidence before the registry-size prior (log2 N) is taken off.
    prior_bits: float = 6.0
    #: Lowest calibrated score for an automatic match.
    match_score: float = 0.98
    #: Lowest evidence margin (bits) of the top candidate over the best *different* person.
    match_margin_bits: float = 6.0
    #: Independent agreements beyond given+family name (father, mother, year ±1) for a match
    #: at ``match_score``; with exactly one, the score must reach ``match_score_single``.
    match_agreements: int = 2
    #: Lowest calibrated score for a match backed by a single independent agreement.
    match_score_single: float = 0.995
    #: Lowest calibrated score for operator review.
    review_score: float = 0.25


def calibrated(bits: float, registry_size: int, config: DecisionConfig) -> float:
    """Turn evidence bits into a score in [0, 1]: logistic in base 2 with a size-based prior."""
    logit = bits - math.log2(max(registry_size, 1_000)) + config.prior_bits
    logit = max(-60.0, min(60.0, logit))
    return 1.0 / (1.0 + 2.0 ** (-logit))


def posterior_scores(ranked: list[Scored], registry_size: int, config: DecisionConfig) -> None:
    """Set each candidate's score to its share of the evidence among all candidates.

    score_i = 2^bits_i / (sum over candidates of 2^bits_j + 2^none), where "none" (the person
    is not in the registry) weighs log2(N) - prior_bits. One strong candidate gets
    :func:`calibrated`; two namesakes that fit equally share the probability. Rows that are
    the same person as the top candidate (one person on two lists) add to the top's share.
    ``ranked`` must be sorted best first.
    """
    if not ranked:
        return
    none_bits = math.log2(max(registry_size, 1_000)) - config.prior_bits
    peak = max(ranked[0].pair.bits, none_bits)
    masses = [2.0 ** max(-60.0, c.pair.bits - peak) for c in ranked]
    total = sum(masses) + 2.0 ** max(-60.0, none_bits - peak)
    top = ranked[0]
    top_mass = masses[0]
    for c, m in zip(ranked[1:], masses[1:], strict=True):
        if m > 1e-4 * masses[0] and same_person(top.entry, c.entry):
            top_mass += m
    for c, m in zip(ranked, masses, strict=True):
        c.score = m / total
    top.score = min(1.0, top_mass / total)


def independent_agreements(p: PairScore) -> int:
    """How many fields beyond given and family name agree: father, mother, birth year (±1)."""
    return (p.father == "agree") + (p.mother == "agree") + (p.year == "agree")


def has_conflict(p: PairScore) -> bool:
    """True when father, mother or birth year clearly contradict the query."""
    return p.father == "conflict" or p.mother == "conflict" or p.year == "conflict"


def same_person(a: Entry, b: Entry) -> bool:
    """Two registry rows that describe one person (e.g. on two lists): not a rival namesake."""
    if len(a.names) != len(b.names) or not a.names:
        return False
    if any(token_similarity(x, y) < STRONG for x, y in zip(a.names, b.names, strict=True)):
        return False
    if a.mother and b.mother and token_similarity(a.mother[0], b.mother[0]) < STRONG:
        return False
    if (a.mother == ()) != (b.mother == ()):
        return False
    if a.year is not None and b.year is not None and abs(a.year - b.year) > 1:
        return False
    return (a.year is None) == (b.year is None)


def is_compatible(p: PairScore) -> bool:
    """Given and family name agree and nothing the query states contradicts the record."""
    return (
        p.given
        and p.family
        and p.father != "conflict"
        and p.mother != "conflict"
        and p.year not in ("conflict", "differs")
    )


@dataclass(slots=True)
class Scored:
    """One scored candidate."""

    entry: Entry
    pair: PairScore
    score: float


def decide(
    ranked: list[Scored],
    config: DecisionConfig,
    find_rival: Callable[[Scored], str | None] | None = None,
) -> tuple[str, dict[str, Any]]:
    """Decide on candidates ranked best first; returns the decision and the reasons.

    ``find_rival(top)`` may look beyond the ranked candidates for another person compatible
    with the query (the engine scans every record sharing the top's given and family name);
    it returns that record's id, or None.
    """
    if not ranked:
        return "no_match", {"reason": "no candidate"}
    top = ranked[0]
    p = top.pair
    rival = next((c for c in ranked[1:] if not same_person(top.entry, c.entry)), None)
    compatible_id = next(
        (c.entry.record_id for c in ranked[1:] if is_compatible(c.pair) and not same_person(top.entry, c.entry)),
        None,
    )
    margin = p.bits - rival.pair.bits if rival is not None else math.inf
    agreements = independent_agreements(p)
    conflict = has_conflict(p)
    names_ok = p.given and p.family
    reasons: dict[str, Any] = {
        "score": round(top.score, 4),
        "margin_bits": None if rival is None else round(margin, 2),
        "rival": None if rival is None else rival.entry.record_id,
        "agreements_beyond_name": agreements,
        "conflict": conflict,
        "given_and_family_agree": names_ok,
    }
    needed = config.match_score if agreements >= config.match_agreements else config.match_score_single
    eligible = (
        top.score >= needed
        and agreements >= 1
        and names_ok
        and not conflict
        and (p.extra_query == 0 or (p.extra_query == 1 and p.extra_record == 0))
        and margin >= config.match_margin_bits
    )
    if eligible and compatible_id is None and find_rival is not None:
        compatible_id = find_rival(top)
    if eligible and compatible_id is None:
        reasons["reason"] = "high score, clear margin, independent agreement"
        return "match", reasons
    # Any scored person whose given and family name agree, with nothing stated against them,
    # is worth an operator's look (not only the first ten): no silent misses.
    plausible = any(c.pair.given and c.pair.family and not has_conflict(c.pair) for c in ranked)
    if top.score >= config.review_score or plausible:
        if compatible_id is not None and names_ok:
            reasons["reason"] = "another registry person fits everything the family said"
            reasons["compatible_rival"] = compatible_id
        elif rival is not None and margin < config.match_margin_bits:
            reasons["reason"] = "namesakes: another person scores close"
        elif agreements < config.match_agreements:
            reasons["reason"] = "not enough details beyond the name agree"
        else:
            reasons["reason"] = "plausible but not certain"
        return "review", reasons
    reasons["reason"] = "no candidate is plausible"
    return "no_match", reasons
