"""Accepting an inbound message: dedupe, count for the rate limit, persist, wake a worker. Fast; no Rasa."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.channels.base import InboundMessage
from bot.contacts import address_hash, get_or_create_contact
from bot.crypto import blind, blinds
from bot.gateway.context import Gateway
from bot.gateway.schedule import wake_inbound
from bot.models import Contact, Message
from matching.store import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Accepted:
    """What happened to one webhook: stored (with ids), or recognised as a repeat delivery."""

    duplicate: bool
    message_id: int | None = None
    contact_id: int | None = None
    rate_limited: bool = False


def _stored(gateway: Gateway, provider_id: str) -> Message | None:
    with gateway.reading() as session:
        return session.execute(select(Message).where(Message.provider_id == provider_id)).scalar_one_or_none()


def _touch_contact(session: Session, message: InboundMessage) -> int:
    """The contact's id, created on first sight, with ``last_inbound_at`` set to now, the provider it
    wrote on (replies go back on it) and, when the provider vouches for one, its verified phone.

    On PostgreSQL this is one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (the ack path is
    latency-bound by round trips); elsewhere it is :func:`bot.contacts.get_or_create_contact`.
    """
    now = utcnow()
    channel, address = message.channel, message.address
    changes: dict[str, object] = {"last_inbound_at": now}
    if message.provider:
        changes["provider"] = message.provider
    if message.verified_phone:
        changes["verified_phone"] = message.verified_phone
        # A Core upsert fires no ORM event: the blind index is set beside the sealed number.
        changes["verified_phone_bidx"] = blind("address", message.verified_phone)
    if session.get_bind().dialect.name == "postgresql":
        indexes = blinds("address", address)
        if len(indexes) > 1:
            # An index key rotation is under way: the contact may still be indexed under an older
            # key. Found so, it is touched and re-indexed under the first key in the same statement.
            found = session.execute(
                update(Contact).where(Contact.channel == channel, Contact.address_bidx.in_(indexes[1:]))
                .values(address_bidx=indexes[0], **changes).returning(Contact.id)
            ).scalar_one_or_none()
            if found is not None:
                return int(found)
        statement = (
            pg_insert(Contact)
            .values(channel=channel, address=address, address_bidx=indexes[0], language="ar",
                    opted_out=False, escalated=False, created_at=now, **changes)
            .on_conflict_do_update(constraint="uq_contacts_channel_address_bidx", set_=changes)
            .returning(Contact.id)
        )
        return int(session.execute(statement).scalar_one())
    contact = get_or_create_contact(session, channel, address)
    for name, value in changes.items():
        setattr(contact, name, value)
    session.flush()
    return int(contact.id)


def rate_window() -> int:
    """The rate limit's window: the minute since the epoch (a fixed window, counted in Redis)."""
    return int(time.time() // 60)


def accept(gateway: Gateway, message: InboundMessage) -> Accepted:
    """Store ``message`` once, flag it if the sender is over the rate limit, and wake a worker.

    Dedupe is Redis ``SET NX`` first (cheap), the unique ``provider_id`` second (certain): a key
    left by a request that died before committing does not lose the retry, because a Redis hit
    is trusted only when the message is in the database.
    """
    cfg = gateway.config
    window = rate_window()
    rate_key = gateway.key("rate", message.channel, address_hash(message.address), window)
    pipe = gateway.redis.pipeline(transaction=False)
    pipe.set(gateway.key("dedupe", message.provider_id), "1", nx=True, ex=cfg.dedupe_ttl_seconds)
    pipe.incr(rate_key)
    pipe.expire(rate_key, 120)
    try:
        fresh, count, _ = pipe.execute()
    except RedisError as exc:
        # Redis is down or restarting: the message is still stored (the unique MessageSid dedupes
        # it) and found by the next sweep; only this minute's rate count misses it.
        log.warning("Redis unavailable while accepting a message (%s); storing it without the fast path", type(exc).__name__)
        fresh, count = True, 0
    if not fresh:
        seen = _stored(gateway, message.provider_id)
        if seen is not None:
            log.info("repeat delivery of message %s ignored", seen.id)
            return Accepted(duplicate=True, message_id=seen.id, contact_id=seen.contact_id)
    rate_limited = int(count) > cfg.rate_limit_per_minute
    media = [{"url": m.url, "content_type": m.content_type} for m in message.media] or None
    for attempt in (1, 2):
        try:
            with gateway.transaction() as session:
                contact_id = _touch_contact(session, message)
                result = session.execute(
                    insert(Message).values(
                        contact_id=contact_id,
                        direction="in",
                        author="user",
                        provider_id=message.provider_id,
                        body=message.body,
                        media=media,
                        status="received",
                        attempts=0,
                        rate_limited=rate_limited,
                    )
                )
                ids = (int(result.inserted_primary_key[0]), contact_id)
            break
        except IntegrityError:
            # Either the same message committed by a concurrent request, or a new contact created
            # by one: the first is a repeat, the second succeeds on the second try.
            seen = _stored(gateway, message.provider_id)
            if seen is not None:
                return Accepted(duplicate=True, message_id=seen.id, contact_id=seen.contact_id)
            if attempt == 2:
                raise
    message_id, contact_id = ids
    try:
        wake_inbound(gateway, contact_id)
    except RedisError as exc:
        log.warning("Redis unavailable; message %s waits for the worker's sweep (%s)", message_id, type(exc).__name__)
    return Accepted(duplicate=False, message_id=message_id, contact_id=contact_id, rate_limited=rate_limited)
