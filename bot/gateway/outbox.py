"""The outbox: outbound messages are rows first, then sent in id order per contact, with retries.

Delivery per kind (docs/gateway.md): a row left in ``sending`` by a dead worker may or may not
have reached Twilio. Kinds in :data:`AT_LEAST_ONCE` are sent again (a duplicate consent request
is better than a lost one); kinds in :data:`AT_MOST_ONCE` are marked failed instead.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.channels.base import Outgoing, SendResult, StatusUpdate
from bot.contacts import escalate, opt_out
from bot.gateway.context import Gateway
from bot.gateway.errors import SendError
from bot.gateway.schedule import backoff, drain, wake_outbox
from bot.models import Contact, Message
from matching.store import utcnow

log = logging.getLogger(__name__)

#: Why a message is sent. Each kind has one delivery guarantee.
KINDS = ("reply", "operator", "notice", "confirmation", "consent", "disclosure", "verification", "template")
#: Resent after a crash mid-send: losing these loses a conversation, a consent or a family.
AT_LEAST_ONCE = frozenset({"reply", "operator", "consent", "disclosure", "verification"})
#: Never resent after a crash mid-send: a second STOP confirmation, courtesy notice or paid template
#: does more harm than a missing one.
AT_MOST_ONCE = frozenset({"notice", "confirmation", "template"})
#: What a verification message's body becomes once it was handed to the provider (or failed for
#: good): the code is kept only as a hash on the registration, never in a message someone can read.
#: The simulator is the exception: its "phone" is this table (demo mode only).
CODE_PLACEHOLDER = "[verification code sent; not kept]"


def scrub_code(message: Message, contact: Contact) -> None:
    """Replace a verification message's body (the code) by :data:`CODE_PLACEHOLDER`, off the simulator."""
    if message.kind == "verification" and contact.channel != "sim":
        message.body = CODE_PLACEHOLDER

#: Outbound statuses in delivery order; a status report never moves a message backwards.
STATUS_RANK = {"queued": 0, "sending": 0, "waiting": 0, "accepted": 1, "sent": 2, "delivered": 3, "read": 4, "undelivered": 5, "failed": 5}


#: The longest body a provider takes in one message; longer text is split into several, in order.
MAX_BODY = 1600


def split_body(body: str, limit: int = MAX_BODY) -> list[str]:
    """``body`` in parts of at most ``limit`` characters, cut at a space or line break when possible."""
    parts = []
    rest = body
    while len(rest) > limit:
        cut = max(rest.rfind(" ", 0, limit + 1), rest.rfind("\n", 0, limit + 1))
        if cut <= limit // 2:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest)
    return parts


def queue_message(
    session: Session,
    contact_id: int,
    body: str,
    *,
    kind: str,
    author: str = "bot",
    reply_to_id: int | None = None,
    operator_id: int | None = None,
    template_sid: str | None = None,
) -> Message:
    """Add an outbound message to the outbox (status ``queued``). Commit, then call ``wake_outbox``.

    A body over 1,600 characters becomes several messages, in order; the first is returned and
    the others follow it with the next ids. Anything queued is also
    found by the worker's sweep within ``SHAML_SWEEP_SECONDS``, so a caller without Redis (the
    console, the match worker) may simply commit.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    messages = [
        Message(
            contact_id=contact_id,
            direction="out",
            author=author,
            operator_id=operator_id,
            body=part,
            status="queued",
            attempts=0,
            kind=kind,
            reply_to_id=reply_to_id,
            template_sid=template_sid,
        )
        for part in split_body(body)
    ]
    session.add_all(messages)
    session.flush()
    return messages[0]


def window_open(gateway: Gateway, contact: Contact) -> bool:
    """Whether WhatsApp lets us write freely: the contact wrote within the last 24 hours."""
    if contact.channel != "whatsapp":
        return True
    last = contact.last_inbound_at
    if last is None:
        return False
    if last.tzinfo is None:  # SQLite returns naive datetimes
        last = last.replace(tzinfo=dt.timezone.utc)
    return utcnow() - last < dt.timedelta(hours=gateway.config.whatsapp_window_hours)


def closed_window(gateway: Gateway, session: Session, message: Message, contact: Contact) -> None:
    """The 24-hour window is closed: keep ``message`` waiting for the user's next message and send the
    configured template to invite it; without a template, fail and hand the conversation to a person.
    """
    message.error_code = "63016"
    if not gateway.config.template_sid:
        message.status = "failed"
        escalate(session, contact.id, "delivery_failed")
        log.warning("message %s: WhatsApp window closed and no template configured; escalated", message.id)
        return
    message.status = "waiting"
    since = contact.last_inbound_at
    already = session.execute(
        select(Message.id).where(
            Message.contact_id == contact.id,
            Message.direction == "out",
            Message.kind == "template",
            Message.status.notin_(("failed", "undelivered")),
            *((Message.created_at > since,) if since is not None else ()),
        )
    ).first()
    if already is None:
        queue_message(session, contact.id, "", kind="template", author="system", template_sid=gateway.config.template_sid)


def release_waiting(session: Session, contact_id: int) -> int:
    """The user wrote again, so the window is open: queue the messages that waited for it, in order."""
    result = session.execute(
        update(Message)
        .where(Message.contact_id == contact_id, Message.direction == "out", Message.status == "waiting")
        .values(status="queued", next_attempt_at=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def _next_query(contact_id: int):  # type: ignore[no-untyped-def]
    return (
        select(Message)
        .where(Message.contact_id == contact_id, Message.direction == "out", Message.status.in_(("queued", "sending")))
        .order_by(Message.id)
        .limit(1)
    )


def _next(session: Session, contact_id: int) -> Message | None:
    return session.execute(_next_query(contact_id)).scalar_one_or_none()


def _due(message: Message | None) -> bool:
    if message is None:
        return False
    at = message.next_attempt_at
    if at is None:
        return True
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    return at <= utcnow()


def _prepare(gateway: Gateway, contact_id: int) -> tuple[bool, Outgoing | None, int | None]:
    """Pick the contact's next message and mark it ``sending``. Returns (go on?, what to send, row id)."""
    with gateway.transaction() as session:
        row = session.execute(
            _next_query(contact_id).add_columns(Contact).join(Contact, Contact.id == Message.contact_id)
        ).first()
        message, contact = (row[0], row[1]) if row is not None else (None, None)
        if not _due(message):
            return False, None, None
        assert message is not None and contact is not None
        if message.status == "sending" and message.kind in AT_MOST_ONCE:
            message.status = "failed"
            message.error_code = "interrupted"
            log.warning("message %s (%s) was mid-send when a worker stopped; not resent (at most once)", message.id, message.kind)
            return True, None, None
        if message.status == "sending":
            log.warning("message %s (%s) was mid-send when a worker stopped; sending again (at least once)", message.id, message.kind)
        if contact.opted_out and message.kind != "confirmation":
            message.status, message.error_code = "failed", "opted_out"
            scrub_code(message, contact)
            return True, None, None
        if contact.erased_at is not None:
            message.status, message.error_code = "failed", "erased"
            scrub_code(message, contact)
            return True, None, None
        if message.kind != "template" and not window_open(gateway, contact):
            closed_window(gateway, session, message, contact)
            return True, None, None
        message.status = "sending"
        message.attempts = (message.attempts or 0) + 1
        message.provider = gateway.provider_for(contact.channel, contact.address, message.provider or contact.provider)
        outgoing = Outgoing(
            channel=contact.channel,
            address=contact.address,
            body=message.body or "",
            template_sid=message.template_sid,
            template_variables=gateway.config.template_variables if message.template_sid else None,
            status_callback=(gateway.config.status_callback_url or None) if message.provider == "twilio" else None,
            language=contact.language or "ar",
            provider=message.provider,
            reference=f"shaml-{message.id}-{message.attempts}",
        )
        return True, outgoing, message.id


def _record_success(gateway: Gateway, message_id: int, result: SendResult) -> None:
    with gateway.transaction() as session:
        session.execute(
            update(Message)
            .where(Message.id == message_id)
            .values(provider_id=result.provider_id, status=result.status, error_code=None, next_attempt_at=None, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(Message)
            .where(Message.id == message_id, Message.kind == "verification",
                   Message.contact_id.in_(select(Contact.id).where(Contact.channel != "sim")))
            .values(body=CODE_PLACEHOLDER)
            .execution_options(synchronize_session=False)
        )
    # A status report that arrived before this commit was parked in Redis; apply it now.
    early = gateway.redis.get(gateway.key("early-status", result.provider_id))
    if early:
        from bot.gateway.status import apply_status  # here: status imports this module

        status, _, code = early.decode().partition(":")
        apply_status(gateway, StatusUpdate(provider_id=result.provider_id, status=status, error_code=code or None))


def _record_failure(gateway: Gateway, message_id: int, error: SendError) -> None:
    with gateway.transaction() as session:
        message = session.get(Message, message_id)
        assert message is not None
        contact = session.get(Contact, message.contact_id)
        assert contact is not None
        message.error_code = error.code
        if error.wait:
            # Not the message's fault (slow down, phone offline, SIM at its pace): wait, however long.
            message.attempts = max((message.attempts or 1) - 1, 0)
            message.status = "queued"
            wait = utcnow() + dt.timedelta(seconds=error.retry_after) if error.retry_after else backoff(gateway, message.attempts + 1)
            wait = max(wait, utcnow() + dt.timedelta(seconds=1))  # never spin on a provider that is down
            message.next_attempt_at = wait
            log.info("message %s: %s; waiting until %s", message.id, error.reason, wait.isoformat(timespec="seconds"))
            return
        if error.route_unavailable:
            reroute(gateway, session, message, contact, error)
            return
        if error.retryable and message.attempts < gateway.config.max_attempts:
            message.status = "queued"
            message.next_attempt_at = backoff(gateway, message.attempts)
            log.info("message %s: %s; retry %d of %d", message.id, error.reason, message.attempts, gateway.config.max_attempts - 1)
            return
        scrub_code(message, contact)
        if error.code == "21610" or error.opt_out:
            message.status = "failed"
            opt_out(session, contact.id)
            log.info("message %s: contact %s had unsubscribed; marked opted out", message.id, contact.id)
            return
        if error.code == "63016":
            closed_window(gateway, session, message, contact)
            return
        message.status = "failed"
        escalate(session, contact.id, "delivery_failed")
        if error.loggable:
            log.warning("message %s failed for good after %d attempts: %s (code %s)", message.id, message.attempts, error.reason, error.code)


def reroute(gateway: Gateway, session: Session, message: Message, contact: Contact, error: SendError) -> None:
    """A provider will never carry this destination: try the next route, or fail and tell an operator why."""
    tried = message.provider or ""
    following = gateway.routes.after(contact.address, tried) if contact.channel == "sms" else None
    if following is not None and following != tried and gateway.has_provider(following):
        message.provider = following
        message.status = "queued"
        message.next_attempt_at = None
        message.attempts = max((message.attempts or 1) - 1, 0)
        log.warning("message %s: %s refused the destination (%s, code %s); trying %s", message.id, tried, error.reason, error.code, following)
        return
    message.status = "failed"
    escalate(session, contact.id, "route_unavailable")
    log.warning(
        "message %s failed: no route reaches this number (%s refused it: %s, code %s); an operator must reach the person another way",
        message.id, tried, error.reason, error.code,
    )


def send_one(gateway: Gateway, contact_id: int) -> bool:
    """Send the contact's next due message, if any. Returns False when there is nothing due now."""
    go_on, outgoing, message_id = _prepare(gateway, contact_id)
    if outgoing is None or message_id is None:
        return go_on
    try:
        result = gateway.provider(outgoing.provider).send(outgoing)
    except SendError as error:
        _record_failure(gateway, message_id, error)
        if error.wait:
            return False  # the provider asked us to wait: the sweep brings the contact back when due
    else:
        _record_success(gateway, message_id, result)
    return True


def has_due(gateway: Gateway, contact_id: int) -> bool:
    """Whether the contact has an outbound message that may be sent now."""
    with gateway.reading() as session:
        return _due(_next(session, contact_id))


def send_pending(gateway: Gateway, contact_id: int) -> None:
    """Send the contact's queued messages one by one in id order, under the contact's outbox lock."""
    drain(gateway, "out", contact_id, lambda: send_one(gateway, contact_id), lambda: has_due(gateway, contact_id))


__all__ = ["queue_message", "send_pending", "wake_outbox", "release_waiting", "backoff", "KINDS", "AT_LEAST_ONCE", "AT_MOST_ONCE"]
