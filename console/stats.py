"""Dashboard figures, computed from the database, and the geometry of the inline SVG bar charts."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import Escalation, GatewayPhone, Match, Message, SearchRequest
from console.render import aware
from matching.store import utcnow

#: Match statuses that mean a family was told something (the end of a reunification).
REUNITED = ("shared", "safe_only", "notified")


def _median_minutes(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def figures(db: Session) -> dict[str, Any]:
    """Open searches, matches by status, time to reunification, messages by status, escalation waits."""
    now = utcnow()
    open_searches = db.execute(select(func.count(SearchRequest.id)).where(SearchRequest.status == "open")).scalar_one()
    matches = dict(db.execute(select(Match.status, func.count(Match.id)).group_by(Match.status)).all())
    decisions = dict(db.execute(select(Match.decision, func.count(Match.id)).group_by(Match.decision)).all())
    reunions = db.execute(
        select(SearchRequest.created_at, func.coalesce(Match.notified_at, Match.updated_at))
        .join(Match, Match.search_id == SearchRequest.id)
        .where(Match.status.in_(REUNITED))
    ).all()
    to_reunion = [
        (aware(done) - aware(start)).total_seconds() / 60  # type: ignore[operator]
        for start, done in reunions
        if start is not None and done is not None
    ]
    messages = {
        f"{direction}:{status}": count
        for direction, status, count in db.execute(
            select(Message.direction, Message.status, func.count(Message.id)).group_by(Message.direction, Message.status)
        ).all()
    }
    waiting = [
        (now - aware(created)).total_seconds() / 60  # type: ignore[operator]
        for (created,) in db.execute(select(Escalation.created_at).where(Escalation.status != "resolved")).all()
    ]
    answered = [
        (aware(claimed) - aware(created)).total_seconds() / 60  # type: ignore[operator]
        for created, claimed in db.execute(
            select(Escalation.created_at, Escalation.claimed_at).where(Escalation.claimed_at.is_not(None))
        ).all()
    ]
    phones = [
        {
            "device": p.device_id,
            "last_ping": aware(p.last_ping_at).isoformat(timespec="seconds") if p.last_ping_at else None,
            "minutes_since_ping": round((now - aware(p.last_ping_at)).total_seconds() / 60, 1) if p.last_ping_at else None,  # type: ignore[operator]
            "health": (p.health or {}).get("status") if isinstance(p.health, dict) else None,
            "last_error": p.last_error,
        }
        for p in db.execute(select(GatewayPhone).order_by(GatewayPhone.device_id)).scalars()
    ]
    waiting_on_phone = db.execute(
        select(func.count(Message.id)).where(
            Message.direction == "out", Message.status == "queued", Message.error_code.in_(("gateway_offline", "gateway_busy", "sim_paced"))
        )
    ).scalar_one()
    return {
        "gateway_phones": phones,
        "waiting_on_gateway_phone": int(waiting_on_phone),
        "open_searches": int(open_searches),
        "matches": {k: int(v) for k, v in sorted(matches.items())},
        "decisions": {k: int(v) for k, v in sorted(decisions.items())},
        "reunions": len(to_reunion),
        "median_minutes_to_reunion": _median_minutes(to_reunion),
        "messages": {k: int(v) for k, v in sorted(messages.items())},
        "open_escalations": len(waiting),
        "median_wait_minutes": _median_minutes(waiting),
        "longest_wait_minutes": round(max(waiting), 1) if waiting else None,
        "median_minutes_to_claim": _median_minutes(answered),
    }


@dataclass(frozen=True)
class Bar:
    """One bar of a horizontal bar chart, in SVG user units."""

    label: str
    value: int
    y: int
    width: float


def bars(values: dict[str, int], *, width: int = 170, row: int = 26) -> tuple[list[Bar], int]:
    """Bars scaled to the largest value, and the chart's height; labels are drawn beside them.

    The longest bar leaves room in the 360-wide chart for a value of six digits beside it."""
    peak = max(values.values(), default=0) or 1
    out = [Bar(label, value, i * row, round(width * value / peak, 1)) for i, (label, value) in enumerate(values.items())]
    return out, max(row, len(out) * row)
