"""Retention: what people told us is kept only as long as it serves them; ``purge`` removes the rest.

Each period is a setting (docs/privacy.md gives the defaults and why). A purge is idempotent:
running it twice removes nothing the second time, and it reports what it removed by kind.
What is left of a closed search or registration is what ``delete_data`` leaves: an audit event
with ids and counts, never a name or a number.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import delete, exists, inspect, or_, select, text, update
from sqlalchemy.orm import Session

from bot.models import Escalation, Match, Message, Registration, SearchRequest
from bot.reunion import audit
from matching.store import utcnow

log = logging.getLogger(__name__)

#: Searches in these states are finished (the family was told, or it was closed).
CLOSED_SEARCHES = ("matched", "closed")
#: Registrations in these states are finished.
CLOSED_REGISTRATIONS = ("withdrawn",)
#: Redis keys that only count or remember for a short while (rate limits, "already told").
SHORT_LIVED_KEYS = ("rate:*", "told-rate:*")


@dataclass(frozen=True)
class RetentionPolicy:
    """Retention periods; see docs/privacy.md for the defaults and their reasons."""

    message_days: int = 30
    media_days: int = 7
    tracker_days: int = 30
    verification_days: int = 7
    closed_request_days: int = 90
    rate_key_seconds: int = 600


@dataclass
class PurgeReport:
    """What one purge removed, by kind."""

    counts: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        """One line for the log and the console: ``kind n, kind n``."""
        return ", ".join(f"{kind} {count}" for kind, count in self.counts.items())


def _rows(result) -> int:  # type: ignore[no-untyped-def]
    return int(result.rowcount or 0)


def _open_escalation(contact_id) -> object:  # type: ignore[no-untyped-def]
    return exists().where(Escalation.contact_id == contact_id, Escalation.status != "resolved")


def purge(session: Session, policy: RetentionPolicy, now: dt.datetime | None = None) -> PurgeReport:
    """Remove what is past its period, in the caller's transaction; returns the counts."""
    now = now or utcnow()
    report = PurgeReport()
    c = report.counts
    quiet = ~_open_escalation(Message.contact_id)
    # Bodies of messages in conversations that are not with an operator, once old enough. The row
    # stays (status and time) so delivery figures and ordering still hold.
    c["message_bodies"] = _rows(session.execute(
        update(Message)
        .where(Message.created_at < now - dt.timedelta(days=policy.message_days), Message.body.is_not(None), quiet,
               Message.status.in_(("processed", "failed", "sent", "delivered", "read", "undelivered")))
        .values(body=None, media=None)
        .execution_options(synchronize_session=False)
    ))
    c["media_references"] = _rows(session.execute(
        update(Message)
        .where(Message.created_at < now - dt.timedelta(days=policy.media_days), Message.media.is_not(None), quiet)
        .values(media=None)
        .execution_options(synchronize_session=False)
    ))
    c["verification_attempts"] = _rows(session.execute(
        update(Registration)
        .where(Registration.verification_sent_at < now - dt.timedelta(days=policy.verification_days),
               or_(Registration.verification_code_hash.is_not(None), Registration.verification_attempts > 0))
        .values(verification_code_hash=None, verification_attempts=0)
        .execution_options(synchronize_session=False)
    ))
    c.update(_closed_requests(session, now - dt.timedelta(days=policy.closed_request_days)))
    c["tracker_events"] = _tracker_events(session, now - dt.timedelta(days=policy.tracker_days))
    if any(c.values()):
        audit.record(session, "retention_purge", actor_kind="system", detail={"counts": dict(c)})
    return report


def _closed_requests(session: Session, before: dt.datetime) -> dict[str, int]:
    searches = select(SearchRequest.id).where(SearchRequest.status.in_(CLOSED_SEARCHES), SearchRequest.updated_at < before)
    registrations = select(Registration.id).where(
        Registration.status.in_(CLOSED_REGISTRATIONS), Registration.updated_at < before)
    search_ids = list(session.execute(searches).scalars())
    registration_ids = list(session.execute(registrations).scalars())
    if not search_ids and not registration_ids:
        return {"closed_searches": 0, "closed_registrations": 0, "their_matches": 0}
    match_filter = or_(Match.search_id.in_(search_ids), Match.registration_id.in_(registration_ids))
    match_ids = select(Match.id).where(match_filter)
    session.execute(update(Escalation).where(Escalation.match_id.in_(match_ids)).values(match_id=None)
                    .execution_options(synchronize_session=False))
    counts = {
        "their_matches": _rows(session.execute(delete(Match).where(match_filter).execution_options(synchronize_session=False))),
        "closed_searches": _rows(session.execute(delete(SearchRequest).where(SearchRequest.id.in_(search_ids))
                                                 .execution_options(synchronize_session=False))),
        "closed_registrations": _rows(session.execute(delete(Registration).where(Registration.id.in_(registration_ids))
                                                      .execution_options(synchronize_session=False))),
    }
    audit.record(session, "retention_closed_requests", actor_kind="system",
                 detail={"search_ids": search_ids, "registration_ids": registration_ids})
    return counts


def _tracker_events(session: Session, before: dt.datetime) -> int:
    """Rasa's events of conversations silent since ``before``, when Rasa's tables share this database."""
    inspector = inspect(session.connection())
    if not inspector.has_table("events"):
        return 0
    stale = text(
        "DELETE FROM events WHERE sender_id IN ("
        " SELECT sender_id FROM events GROUP BY sender_id HAVING max(timestamp) < :before)"
    )
    return _rows(session.execute(stale, {"before": before.timestamp()}))


def purge_redis(client, prefix: str, policy: RetentionPolicy) -> int:  # type: ignore[no-untyped-def]
    """Short-lived Redis keys left without an expiry (a pipeline cut between INCR and EXPIRE): deleted.

    Keys with an expiry longer than the policy's are cut to it. Returns the keys changed.
    """
    changed = 0
    for pattern in SHORT_LIVED_KEYS:
        for key in client.scan_iter(match=prefix + pattern, count=1000):
            ttl = client.ttl(key)
            if ttl == -1:
                changed += int(client.delete(key))
            elif ttl > policy.rate_key_seconds:
                client.expire(key, policy.rate_key_seconds)
                changed += 1
    return changed

