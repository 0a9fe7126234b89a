"""Outbound messages of the workflow: rendered in the contact's language and queued in the gateway's outbox."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from rq import Queue
from sqlalchemy.orm import Session

from bot.gateway.context import JOB_SERIALIZER
from bot.gateway.outbox import queue_message
from bot.models import Contact, Message
from bot.reunion.texts import render

log = logging.getLogger(__name__)


def reachable(contact: Contact | None) -> bool:
    """Whether we may write to the contact at all: it exists, did not STOP, was not erased."""
    return contact is not None and not contact.opted_out and contact.erased_at is None


def send(session: Session, contact: Contact, key: str, *, kind: str, **values: object) -> Message | None:
    """Queue the text ``key`` to ``contact`` in its language; None (nothing queued) if unreachable.

    The outbox sends queued rows in id order after the transaction commits (persist, then send).
    """
    if not reachable(contact):
        log.info("not writing to contact %s (opted out or erased): %s", contact.id, key)
        return None
    body = render(key, contact.language or "ar", **values)
    return queue_message(session, contact.id, body, kind=kind, author="bot")


class Waker(Protocol):
    """Tells the gateway's outbox to look at contacts now (else its sweep finds them within seconds)."""

    def wake(self, contact_ids: Iterable[int]) -> None:
        """Wake the outbox for each contact."""
        ...


class NoWaker:
    """Leaves queued messages to the outbox sweep (used where no Redis is at hand)."""

    def wake(self, contact_ids: Iterable[int]) -> None:
        """Do nothing."""


class RqOutboxWaker:
    """Enqueues the gateway's outbox job (``bot.gateway.jobs.run_outbox``) for each contact."""

    def __init__(self, redis_client, prefix: str) -> None:  # type: ignore[no-untyped-def]
        self._queue = Queue(f"{prefix}outbox", connection=redis_client, serializer=JOB_SERIALIZER)

    def wake(self, contact_ids: Iterable[int]) -> None:
        """Enqueue one outbox wake-up per distinct contact."""
        for contact_id in sorted(set(contact_ids)):
            self._queue.enqueue("bot.gateway.jobs.run_outbox", contact_id, result_ttl=0, failure_ttl=86400)
