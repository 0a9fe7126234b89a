"""RQ wake-ups: a job says "look at this contact"; the database says what is pending, in id order."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from redis.exceptions import LockError
from sqlalchemy import distinct, or_, select

from bot.gateway.context import Gateway
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


def wake_inbound(gateway: Gateway, contact_id: int) -> None:
    """Ask a worker to process the contact's pending inbound messages."""
    gateway.queue("inbound").enqueue(
        "bot.gateway.jobs.run_inbound", contact_id, result_ttl=0, failure_ttl=86400, job_timeout=gateway.config.lock_seconds * 4
    )


def wake_outbox(gateway: Gateway, contact_id: int) -> None:
    """Ask a worker to send the contact's queued outbound messages."""
    gateway.queue("outbox").enqueue(
        "bot.gateway.jobs.run_outbox", contact_id, result_ttl=0, failure_ttl=86400, job_timeout=gateway.config.lock_seconds * 4
    )


def run_inbound(contact_id: int) -> None:
    """RQ job: process one contact's pending inbound messages in order."""
    from bot.gateway.router import process_contact

    process_contact(current(), contact_id)


def run_outbox(contact_id: int) -> None:
    """RQ job: send one contact's queued outbound messages in order."""
    from bot.gateway.outbox import send_pending

    send_pending(current(), contact_id)


def drain(gateway: Gateway, lane: str, contact_id: int, step: Callable[[], bool], has_due: Callable[[], bool]) -> None:
    """Run ``step`` under the contact's lock for ``lane`` until it returns False.

    Only one worker holds a contact's lock, so its messages are handled one at a time in id order.
    A job that finds the lock taken leaves: the holder checks again after releasing, so a message
    committed while it worked is not stranded. A dead holder's lock expires after
    ``lock_seconds``; the sweep then wakes the contact again.
    """
    while True:
        lock = gateway.redis.lock(
            gateway.key("lock", lane, contact_id), timeout=gateway.config.lock_seconds, thread_local=False
        )
        if not lock.acquire(blocking=False):
            return
        try:
            while step():
                lock.reacquire()
        except LockError:
            # The lock expired during a step (a very slow Rasa or Twilio): another worker may
            # already hold it and go on; the database keeps each outcome single (see router).
            log.warning("%s lock of contact %s expired while held; raise SHAML_GATEWAY_LOCK_SECONDS", lane, contact_id)
            return
        finally:
            try:
                lock.release()
            except LockError:
                pass  # expired: nothing to release
        if not has_due():
            return


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
