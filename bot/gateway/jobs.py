"""RQ jobs and the recovery sweep: the gateway's entry points. A job says "look at this contact"; the
database says what is pending, in id order. This module calls the router and the outbox; nothing in
the gateway calls it back (they schedule through :mod:`bot.gateway.schedule`)."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import distinct, or_, select

from bot.gateway.context import Gateway
from bot.gateway.outbox import send_pending
from bot.gateway.router import process_contact
from bot.gateway.schedule import drain, wake_inbound, wake_outbox
from bot.models import Message
from matching.store import utcnow

log = logging.getLogger(__name__)

_current: Gateway | None = None


def configure(gateway: Gateway) -> None:
    """Make ``gateway`` the one RQ jobs in this process use (called by ``shaml worker`` and tests)."""
    global _current
    _current = gateway


def current() -> Gateway:
    """The gateway configured for this process."""
    if _current is None:
        raise RuntimeError("bot.gateway.jobs.configure() was not called in this worker process")
    return _current


def run_inbound(contact_id: int) -> None:
    """RQ job: process one contact's pending inbound messages in order."""
    process_contact(current(), contact_id)


def run_outbox(contact_id: int) -> None:
    """RQ job: send one contact's queued outbound messages in order."""
    send_pending(current(), contact_id)


def due_contacts(gateway: Gateway, *, grace_seconds: float = 0.0) -> tuple[list[int], list[int]]:
    """Contacts with inbound messages to process and with outbound messages to send, due now.

    Only messages untouched for ``grace_seconds`` count, so a sweep does not chase live work.
    """
    now = utcnow()
    cutoff = now - dt.timedelta(seconds=grace_seconds)
    due = or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now)
    with gateway.factory() as session:
        inbound = session.execute(
            select(distinct(Message.contact_id)).where(
                Message.direction == "in", Message.status == "received", due, Message.updated_at <= cutoff
            )
        ).scalars().all()
        outbound = session.execute(
            select(distinct(Message.contact_id)).where(
                Message.direction == "out",
                Message.status.in_(("queued", "sending")),
                due,
                Message.updated_at <= cutoff,
            )
        ).scalars().all()
    return list(inbound), list(outbound)


def sweep(gateway: Gateway, *, grace_seconds: float = 0.0) -> tuple[int, int]:
    """Wake every contact with due work: recovery after a crash, and retries after back-off.

    Returns how many contacts were woken for inbound and for outbound work.
    """
    inbound, outbound = due_contacts(gateway, grace_seconds=grace_seconds)
    for contact_id in inbound:
        wake_inbound(gateway, contact_id)
    for contact_id in outbound:
        wake_outbox(gateway, contact_id)
    if inbound or outbound:
        log.info("sweep woke %d contacts for inbound and %d for outbound work", len(inbound), len(outbound))
    return len(inbound), len(outbound)


def sweep_if_leader(gateway: Gateway) -> tuple[int, int] | None:
    """Sweep unless another worker swept within the last period (one sweep per period across workers)."""
    period = gateway.config.sweep_seconds
    if not gateway.redis.set(gateway.key("sweep"), "1", nx=True, ex=period):
        return None
    return sweep(gateway, grace_seconds=period)


__all__ = ["configure", "current", "run_inbound", "run_outbox", "due_contacts", "sweep", "sweep_if_leader", "drain", "wake_inbound", "wake_outbox"]
