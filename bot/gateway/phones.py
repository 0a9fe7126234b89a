"""SMS gateway phones as operators see them: last ping, health, last failure. One row per phone."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import GatewayPhone
from matching.store import utcnow


def _phone(session: Session, device_id: str) -> GatewayPhone:
    phone = session.execute(select(GatewayPhone).where(GatewayPhone.device_id == device_id)).scalar_one_or_none()
    if phone is None:
        phone = GatewayPhone(device_id=device_id[:64])
        session.add(phone)
    return phone


def record_ping(session: Session, device_id: str, health: dict[str, object]) -> None:
    """A phone's ``system:ping``: it is alive now, with this health report."""
    phone = _phone(session, device_id)
    now = utcnow()
    phone.last_ping_at = now
    phone.last_event_at = now
    phone.health = health


def record_event(session: Session, device_id: str, *, error: str | None = None) -> None:
    """Any other event from a phone (it is alive); ``error`` is a send failure it reported."""
    phone = _phone(session, device_id)
    now = utcnow()
    phone.last_event_at = now
    if error:
        phone.last_error = error[:200]
        phone.last_error_at = now


def phones(session: Session) -> list[GatewayPhone]:
    """Every gateway phone seen, most recently heard first."""
    return list(session.execute(select(GatewayPhone).order_by(GatewayPhone.last_event_at.desc().nullslast())).scalars())
