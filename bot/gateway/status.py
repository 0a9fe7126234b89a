"""Delivery status callbacks: move an outbound message forward, and act on opt-outs and closed windows."""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot.channels.base import StatusUpdate
from bot.contacts import escalate, opt_out
from bot.gateway.context import Gateway
from bot.gateway.outbox import STATUS_RANK, backoff, closed_window
from bot.gateway.phones import record_event
from bot.gateway.schedule import wake_outbox
from bot.models import Contact, Message

log = logging.getLogger(__name__)


def apply_status(gateway: Gateway, update: StatusUpdate) -> bool:
    """Record a status report. Returns False when no message has that provider id yet.

    Reports can arrive out of order and before the send is recorded: a report for an unknown id
    is parked in Redis for an hour and applied when the send is recorded; a report never moves a
    message backwards (``delivered`` is not undone by a late ``sent``).
    """
    wake = None
    with gateway.transaction() as session:
        if update.device_id:
            record_event(session, update.device_id, error=update.reason if update.status == "failed" else None)
        message = session.execute(
            select(Message).where(Message.provider_id == update.provider_id, Message.direction == "out")
        ).scalar_one_or_none()
        if message is None:
            value = f"{update.status}:{update.error_code or ''}"
            gateway.redis.set(gateway.key("early-status", update.provider_id), value, ex=3600)
            return False
        old = STATUS_RANK.get(message.status, 0)
        if STATUS_RANK[update.status] <= old and message.status not in ("queued", "sending"):
            return True
        message.status = update.status
        if update.error_code:
            message.error_code = update.error_code
        if update.status in ("failed", "undelivered"):
            contact = session.get(Contact, message.contact_id)
            assert contact is not None
            if update.retry and (message.attempts or 0) < gateway.config.max_attempts:
                # The phone could not send it (no signal, no credit): it goes out again after the back-off.
                message.status = "queued"
                message.next_attempt_at = backoff(gateway, message.attempts or 1)
                log.warning("message %s: the gateway phone could not send it; retry %d", message.id, message.attempts)
                wake = contact.id
            elif update.retry:
                escalate(session, contact.id, "delivery_failed")
                log.warning("message %s failed for good on the gateway phone after %d attempts", message.id, message.attempts)
            elif update.error_code == "21610":
                opt_out(session, contact.id)
                log.info("message %s: contact %s had unsubscribed; marked opted out", message.id, contact.id)
            elif update.error_code == "63016" and message.kind != "template":
                closed_window(gateway, session, message, contact)
                wake = contact.id
            else:
                log.warning("message %s %s (code %s)", message.id, update.status, update.error_code)
    if wake is not None:
        wake_outbox(gateway, wake)
    return True
