"""Routing one inbound message: keywords, opt-out, the operator inbox, rate limits, media, then Rasa.

The database is the source of truth: a contact's ``received`` messages are handled in id order
under its inbound lock, and each outcome (status, route, replies) is committed in one
transaction that applies only if the message is still ``received``; so a message handled twice
(after a lock expired) queues its replies once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import select, update

from bot.contacts import escalate, opt_in, opt_out
from bot.gateway.context import Gateway
from bot.gateway.errors import DialogueError
from bot.gateway.keywords import match_keyword, reply_language
from bot.gateway.outbox import KINDS, _due, backoff, queue_message, release_waiting, send_pending
from bot.gateway.schedule import drain, wake_outbox
from bot.gateway.texts import text
from bot.models import Contact, Message
from bot.reunion import relay
from matching.store import utcnow

log = logging.getLogger(__name__)

#: Rasa reads at most this much of one message; the whole body stays stored for operators.
MAX_TURN_CHARS = 1600
#: At most this many replies to one message reach the person; a runaway dialogue (a fallback
#: looping inside one turn) must not flood a phone. The rest are dropped with a warning.
MAX_REPLIES_PER_TURN = 6

#: How often (seconds) a contact waiting for an operator is told so again when they write.
WAITING_NOTICE_SECONDS = 6 * 3600


@dataclass
class Outcome:
    """What to record for one inbound message."""

    route: str
    status: str = "processed"
    replies: list[tuple[str, str, str]] = field(default_factory=list)  # (body, kind, author)
    escalate: str | None = None
    opt: str | None = None  # "out" | "in"
    #: False when a retry is not the message's fault (Rasa unreachable): attempts stay as they are.
    count_attempt: bool = True
    #: Messages for other contacts queued in the same transaction (a relayed conversation).
    forward: list[tuple[int, str, str]] = field(default_factory=list)  # (contact id, body, kind)


def _next_query(contact_id: int):  # type: ignore[no-untyped-def]
    return (
        select(Message)
        .where(Message.contact_id == contact_id, Message.direction == "in", Message.status == "received")
        .order_by(Message.id)
        .limit(1)
    )


def _next(session, contact_id: int) -> Message | None:  # type: ignore[no-untyped-def]
    return session.execute(_next_query(contact_id)).scalar_one_or_none()


def decide(gateway: Gateway, message: Message, contact: Contact) -> Outcome | None:
    """Everything decided without Rasa; None means "ask Rasa"."""
    body = (message.body or "").strip()
    keyword = match_keyword(body) if body else None
    if keyword is not None:
        lang = reply_language(keyword, contact.language)
        if keyword.action == "stop":
            return Outcome("keyword", replies=[(text("stopped", lang), "confirmation", "system")], opt="out")
        if keyword.action == "start":
            return Outcome("keyword", replies=[(text("started", lang), "confirmation", "system")], opt="in")
        return Outcome("keyword", replies=[(text("help", lang), "notice", "system")])
    if contact.opted_out:
        return Outcome("opted_out")
    if contact.escalated:
        # Waiting for a person: said once every few hours, so nobody writes into silence.
        told = gateway.redis.set(gateway.key("told-waiting", contact.id), "1", nx=True, ex=WAITING_NOTICE_SECONDS)
        return Outcome("operator", replies=[(text("waiting", contact.language), "notice", "system")] if told else [])
    if message.rate_limited:
        told = gateway.redis.set(gateway.key("told-rate", contact.id), "1", nx=True, ex=600)
        notice = [(text("rate_limited", contact.language), "notice", "system")] if told else []
        if told:  # that notice already says a person will reply: no second "waiting" notice
            gateway.redis.set(gateway.key("told-waiting", contact.id), "1", ex=WAITING_NOTICE_SECONDS)
        return Outcome("rate_limited", replies=notice, escalate="enumeration")
    if not body:
        # A photo, a voice note, or an empty message (how some voice notes arrive): the kind media reply.
        return Outcome("media", replies=[(text("media", contact.language), "notice", "system")], escalate="media")
    return None


def relay_turn(gateway: Gateway, message: Message, contact: Contact) -> Outcome | None:
    """A message of a contact in a relayed conversation goes to the other side, not to Rasa (bot/reunion/relay.py)."""
    with gateway.transaction() as session:
        turn = relay.handle(session, contact.id, message.body or "")
    if turn is None:
        return None
    return Outcome("relay", replies=[(body, kind, "system") for body, kind in turn.replies], escalate=turn.escalate,
                   forward=turn.forward)


def ask_rasa(gateway: Gateway, message: Message, contact: Contact) -> Outcome:
    """One Rasa turn. Returns the replies, or a retry/failure outcome when Rasa cannot answer."""
    metadata = {"channel": contact.channel, "language": contact.language}
    try:
        replies = gateway.dialogue.turn(str(contact.id), (message.body or "")[:MAX_TURN_CHARS], metadata)
    except DialogueError as exc:
        if exc.unreachable:
            # Rasa is down (a restart, a deploy): every message waits, in order, however long it
            # takes, retried at the capped back-off; readiness reports the outage meanwhile.
            log.warning("message %s: %s; waiting for Rasa", message.id, exc.reason)
            return Outcome("rasa", status="received", count_attempt=False)
        if exc.retryable and (message.attempts or 0) + 1 < gateway.config.max_attempts:
            log.warning("message %s: %s; will retry", message.id, exc.reason)
            return Outcome("rasa", status="received")
        log.error("message %s: Rasa failed for good: %s", message.id, exc.reason)
        return Outcome(
            "rasa", status="failed", replies=[(text("unavailable", contact.language), "notice", "system")], escalate="failed_turns"
        )
    out = []
    for reply in replies:
        kind = "reply"
        if reply.custom and reply.custom.get("kind") in KINDS:
            kind = str(reply.custom["kind"])
        if reply.text:
            out.append((reply.text, kind, "bot"))
    if len(out) > MAX_REPLIES_PER_TURN:
        log.warning("message %s: Rasa returned %d replies; sending the first %d", message.id, len(out), MAX_REPLIES_PER_TURN)
        out = out[:MAX_REPLIES_PER_TURN]
    return Outcome("rasa", replies=out)


def _commit(gateway: Gateway, message_id: int, contact_id: int, outcome: Outcome, was_opted_out: bool) -> bool:
    """Record the outcome if the message is still ``received``. Returns whether replies were queued."""
    with gateway.transaction() as session:
        if outcome.status == "received":  # retry later, keeping the place in line
            attempts = _attempts(session, message_id)
            if outcome.count_attempt:
                attempts += 1
            session.execute(
                update(Message)
                .where(Message.id == message_id, Message.status == "received")
                .values(attempts=attempts, next_attempt_at=_retry_at(gateway, attempts, outcome), route=outcome.route)
                .execution_options(synchronize_session=False)
            )
            return False
        done = session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == "received")
            .values(status=outcome.status, route=outcome.route, attempts=Message.attempts + 1, next_attempt_at=None, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            log.warning("message %s was already handled by another worker; its outcome is not recorded twice", message_id)
            return False
        if outcome.opt == "out":
            opt_out(session, contact_id)
        elif outcome.opt == "in":
            opt_in(session, contact_id)
        if outcome.escalate:
            escalate(session, contact_id, outcome.escalate)
        contact = session.get(Contact, contact_id)
        assert contact is not None
        # The assistant's `stop` intent opts the contact out during the turn; its one-line
        # answer is the confirmation, the only message an opted-out contact receives.
        stopped_now = contact.opted_out and not was_opted_out
        for body, kind, author in outcome.replies:
            if stopped_now and outcome.route == "rasa":
                kind = "confirmation"
            queue_message(session, contact_id, body, kind=kind, author=author, reply_to_id=message_id)
        for other_id, body, kind in outcome.forward:
            queue_message(session, other_id, body, kind=kind, author="system")
        released = release_waiting(session, contact_id) if contact.channel == "whatsapp" else 0
        return bool(outcome.replies) or released > 0


def _retry_at(gateway: Gateway, attempts: int, outcome: Outcome):  # type: ignore[no-untyped-def]
    """The next try: the back-off; while Rasa is unreachable, never sooner than a second (no spinning)."""
    at = backoff(gateway, max(attempts, 1))
    if not outcome.count_attempt:
        at = max(at, utcnow() + dt.timedelta(seconds=1))
    return at


def _attempts(session, message_id: int) -> int:  # type: ignore[no-untyped-def]
    return int(session.execute(select(Message.attempts).where(Message.id == message_id)).scalar_one())


def handle_next(gateway: Gateway, contact_id: int) -> bool:
    """Handle the contact's oldest ``received`` message if it is due. False when there is none due."""
    with gateway.reading() as session:
        row = session.execute(
            _next_query(contact_id).add_columns(Contact).join(Contact, Contact.id == Message.contact_id)
        ).first()
        message, contact = (row[0], row[1]) if row is not None else (None, None)
        if not _due(message):
            return False
        assert message is not None and contact is not None
        session.expunge_all()
    outcome = decide(gateway, message, contact)
    if outcome is None:
        outcome = relay_turn(gateway, message, contact)
    if outcome is None:
        outcome = ask_rasa(gateway, message, contact)
    queued = _commit(gateway, message.id, contact_id, outcome, contact.opted_out)
    for other_id in sorted({f[0] for f in outcome.forward}):
        wake_outbox(gateway, other_id)
    if queued:
        # Send the replies now, in this job: a second queue hop would add its latency to every
        # turn. If another worker holds the contact's outbox lock, it sends them instead.
        try:
            send_pending(gateway, contact_id)
        except Exception:  # noqa: BLE001 - the replies are safe in the outbox; a worker will send them
            log.exception("sending the replies to message %s failed; left to the outbox queue", message.id)
            wake_outbox(gateway, contact_id)
    if outcome.status == "received" and not outcome.count_attempt:
        return False  # Rasa is down: stop here; the sweep brings the contact back after the back-off
    return outcome.status != "received" or _due_again(gateway, message.id)


def _due_again(gateway: Gateway, message_id: int) -> bool:
    with gateway.reading() as session:
        return _due(session.get(Message, message_id))


def has_due(gateway: Gateway, contact_id: int) -> bool:
    """Whether the contact has an inbound message waiting that may be handled now."""
    with gateway.reading() as session:
        return _due(_next(session, contact_id))


def process_contact(gateway: Gateway, contact_id: int) -> None:
    """Handle the contact's pending inbound messages one at a time, in id order, under its lock."""
    drain(gateway, "in", contact_id, lambda: handle_next(gateway, contact_id), lambda: has_due(gateway, contact_id))
