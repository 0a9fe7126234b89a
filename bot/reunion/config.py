"""Plain settings of the reunification workflow, handed in by the composition root (never read here)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReunionConfig:
    """Limits and delays of the workflow. ``shaml`` builds it from ``Settings``; tests build it directly."""

    #: Searches one contact may open in a rolling 24 hours; the next is refused kindly.
    search_limit_per_day: int = 5
    #: Searches for nearly the same person with different details, in 24 hours, before escalating.
    probe_limit: int = 3
    #: How long (seconds) a contact suspected of enumeration may not search.
    cooldown_seconds: int = 86400
    #: Seconds without an answer to a consent request before the one reminder.
    consent_reminder_seconds: int = 86400
    #: Seconds without an answer after the reminder before an operator takes the match.
    consent_timeout_seconds: int = 86400
    #: Seconds a verification code stays valid.
    code_ttl_seconds: int = 86400
    #: Wrong codes for one registration before it needs an operator.
    code_max_attempts: int = 5
    #: Seconds between a released list's match and the family's news, so that news never arrives with
    #: the reply to the search (docs/threat-model.md).
    list_news_delay_seconds: int = 900
    #: Registrations one contact may hold (pending, active or held) before the next goes to an operator.
    registrations_per_contact: int = 3
    #: Registrations naming one callback number before the next goes to an operator.
    registrations_per_callback: int = 2
    #: Wrong codes one contact may send in a rolling hour, whatever it registered, before codes from it are refused.
    code_guesses_per_hour: int = 5
    #: Redis key prefix (the worker's wake-up list lives under it).
    redis_prefix: str = "shaml:"
