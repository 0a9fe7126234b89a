"""Scheduling: wake a worker for a contact, drain a contact's lane under its lock, and when to retry.

The router, the outbox, inbound acceptance and status reports call this module; it calls none of
them, so the gateway's modules point one way: jobs -> router -> outbox -> schedule.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from redis.exceptions import LockError

from bot.gateway.context import Gateway
from matching.store import utcnow

log = logging.getLogger(__name__)


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


def backoff(gateway: Gateway, attempts: int) -> dt.datetime:
    """When to try again after ``attempts`` failures: the base doubled each time, at most ``retry_max_ms``."""
    delay_ms = min(gateway.config.retry_base_ms * 2 ** min(max(attempts - 1, 0), 30), gateway.config.retry_max_ms)
    return utcnow() + dt.timedelta(milliseconds=delay_ms)
