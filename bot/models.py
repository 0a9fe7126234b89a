"""Conversation tables: contacts, messages, searches, registrations, matches, escalations, operators, audit."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)

from bot.crypto import EncryptedInt, EncryptedJSON, EncryptedText, keep_blind_index
from bot.crypto.columns import blind_index_default
from matching.store import Base, BigId, utcnow

#: Channels a contact can write on. ``sim`` is the phone simulator used in the demo and tests.
CHANNELS = ("whatsapp", "sms", "telegram", "sim")
#: Providers that carry a channel: Twilio (WhatsApp, SMS), a local SMS gateway phone, Telegram's Bot API.
PROVIDERS = ("twilio", "smsgate", "telegram", "sim")


class Contact(Base):
    """A phone on one channel: the family's, the survivor's, or a volunteer's."""

    __tablename__ = "contacts"
    # Unique by the address's blind index: the address itself is sealed (docs/privacy.md).
    __table_args__ = (UniqueConstraint("channel", "address_bidx", name="uq_contacts_channel_address_bidx"),)

    id = Column(BigId, primary_key=True, autoincrement=True)
    channel = Column(String(20), nullable=False)  # one of CHANNELS
    # E.164, e.g. +963912345678; sealed. ``Contact.address == x`` compares address_bidx.
    address = Column(EncryptedText(blind_index="address_bidx", purpose="address"), nullable=False)
    # Keyed HMAC of the address: kept by keep_blind_index (ORM) and the default (a Core INSERT).
    address_bidx = Column(String(32), nullable=False, default=blind_index_default("address", "address"))
    # The provider the person wrote on (replies go back on it); NULL for a number Shaml writes to
    # first (a callback number), which follows the route table (bot.gateway.routes).
    provider = Column(String(20), nullable=True)
    # Telegram: the phone number Telegram verified for this account (the person shared their own contact);
    # sealed, found through its blind index (the same purpose as ``address``: the same number, the same index).
    verified_phone = Column(EncryptedText(blind_index="verified_phone_bidx", purpose="address"), nullable=True)
    verified_phone_bidx = Column(String(32), nullable=True, index=True,
                                 default=blind_index_default("verified_phone", "address"))
    language = Column(String(2), nullable=False, default="ar")  # ar | en | az (Arabizi)
    opted_out = Column(Boolean, nullable=False, default=False)
    opted_out_at = Column(DateTime(timezone=True), nullable=True)
    last_inbound_at = Column(DateTime(timezone=True), nullable=True)  # opens WhatsApp's 24 h window
    escalated = Column(Boolean, nullable=False, default=False)  # the bot is silent while true
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    erased_at = Column(DateTime(timezone=True), nullable=True)  # set by delete_data
    # Searches are refused until then (enumeration suspected; bot.reunion.searches).
    cooldown_until = Column(DateTime(timezone=True), nullable=True)
    # The association or shelter this phone belongs to: its registrations are corroborated (issue 14).
    partner = Column(String(100), nullable=True)


class Message(Base):
    """One message, inbound or outbound, with the provider's id and delivery status."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("provider_id", name="uq_messages_provider_id"),
        Index("ix_messages_contact_id_id", "contact_id", "id"),
        Index("ix_messages_direction_status", "direction", "status"),
    )

    id = Column(BigId, primary_key=True, autoincrement=True)
    contact_id = Column(BigId, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False)
    direction = Column(String(3), nullable=False)  # in | out
    author = Column(String(10), nullable=False, default="user")  # user | bot | operator | system
    operator_id = Column(BigId, ForeignKey("operators.id"), nullable=True)
    provider_id = Column(String(64), nullable=True)  # Twilio MessageSid, Telegram update, gateway event
    # out: the provider the message is (being) sent by; moves to the next route when one refuses it.
    provider = Column(String(20), nullable=True)
    body = Column(EncryptedText(), nullable=True)
    media = Column(EncryptedJSON(), nullable=True)  # [{"url": ..., "content_type": ...}]
    # in: received | processing | processed | failed ; out: queued | sending | sent | delivered | read | failed
    status = Column(String(20), nullable=False)
    error_code = Column(String(20), nullable=True)
    attempts = Column(Integer, nullable=False, default=0)
    rate_limited = Column(Boolean, nullable=False, default=False)
    template_sid = Column(String(64), nullable=True)
    # out: what the message is for; it decides at-least-once or at-most-once delivery (docs/gateway.md).
    # reply | operator | notice | confirmation | consent | disclosure | verification
    kind = Column(String(20), nullable=True)
    # in: where the pipeline sent it: rasa | operator | keyword | media | empty | rate_limited | opted_out
    route = Column(String(20), nullable=True)
    # out: the inbound message this answers, so a re-processed message does not queue its replies twice.
    reply_to_id = Column(BigId, ForeignKey("messages.id", ondelete="SET NULL"), nullable=True)
    # Earliest time of the next attempt after a retryable failure (back-off); NULL means now.
    next_attempt_at = Column(DateTime(timezone=True), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class SearchRequest(Base):
    """A family's standing search for a person; re-matched whenever new data arrives."""

    __tablename__ = "search_requests"

    id = Column(BigId, primary_key=True, autoincrement=True)
    contact_id = Column(BigId, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False, index=True)
    status = Column(String(20), nullable=False, default="open")  # open | matched | closed
    full_name = Column(EncryptedText(), nullable=False)
    father_name = Column(EncryptedText(), nullable=True)
    mother_name = Column(EncryptedText(), nullable=True)
    birth_year = Column(EncryptedInt(), nullable=True)
    governorate = Column(EncryptedText(), nullable=True)
    detention_place = Column(EncryptedText(), nullable=True)
    detention_date = Column(EncryptedText(), nullable=True)
    searcher_name = Column(EncryptedText(), nullable=True)
    relationship = Column(EncryptedText(), nullable=True)
    # The words typed where they differ from the value read ({"father_name": "ابوه عبدالقادر الله يرحمو"}); sealed.
    raw_answers = Column(EncryptedJSON(), nullable=True)
    consent_at = Column(DateTime(timezone=True), nullable=True)
    # Last time the match worker matched this search; NULL means "not yet" (bot.reunion.worker).
    matched_at = Column(DateTime(timezone=True), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow, index=True)


class Registration(Base):
    """A released detainee's registration with a callback number and a share policy."""

    __tablename__ = "registrations"

    id = Column(BigId, primary_key=True, autoincrement=True)
    contact_id = Column(BigId, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False, index=True)
    # pending_verification | held (an operator must release it) | active | withdrawn
    status = Column(String(24), nullable=False, default="pending_verification")
    full_name = Column(EncryptedText(), nullable=False)
    father_name = Column(EncryptedText(), nullable=True)
    mother_name = Column(EncryptedText(), nullable=True)
    birth_year = Column(EncryptedInt(), nullable=True)
    governorate = Column(EncryptedText(), nullable=True)
    callback_address = Column(EncryptedText(), nullable=False)  # E.164, sealed
    # The words typed where they differ from the value read, for operators; sealed.
    raw_answers = Column(EncryptedJSON(), nullable=True)
    callback_verified_at = Column(DateTime(timezone=True), nullable=True)
    verification_code_hash = Column(String(128), nullable=True)
    verification_sent_at = Column(DateTime(timezone=True), nullable=True)
    verification_attempts = Column(Integer, nullable=False, default=0, server_default="0")  # wrong codes
    verified_by = Column(BigId, ForeignKey("operators.id"), nullable=True)  # hand verification
    share_policy = Column(EncryptedText(), nullable=False, default="nobody")  # share_number | safe_only | nobody
    # Who vouched that the registrant is the person (bot/reunion/trust.py): partner | operators |
    # family; NULL until then, and nothing naming a searcher reaches the registrant meanwhile.
    corroboration = Column(String(20), nullable=True)
    corroborated_at = Column(DateTime(timezone=True), nullable=True)
    # Why a registration waits for an operator before any code is sent (status ``held``).
    hold_reason = Column(String(40), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow, index=True)


class Match(Base):
    """A candidate pairing of a search with a registration or a registry row; unique per pair."""

    __tablename__ = "matches"
    __table_args__ = (
        UniqueConstraint("search_id", "registration_id", name="uq_matches_search_registration"),
        UniqueConstraint("search_id", "registry_record_id", name="uq_matches_search_registry_record"),
    )

    id = Column(BigId, primary_key=True, autoincrement=True)
    search_id = Column(BigId, ForeignKey("search_requests.id", ondelete="CASCADE"), nullable=False, index=True)
    registration_id = Column(BigId, ForeignKey("registrations.id", ondelete="CASCADE"), nullable=True)
    registry_record_id = Column(BigId, ForeignKey("registry_records.id", ondelete="CASCADE"), nullable=True)
    decision = Column(String(10), nullable=False)  # match | review | no_match (the matcher's)
    # review | awaiting_consent | confirmed | rejected | shared | safe_only | declined | notified | operator
    # | relay | vetting | closed (an unvouched registrant: bot/reunion/relay.py, bot/reunion/trust.py)
    # (the consent state machine: bot/reunion/consent.py, docs/reunion.md)
    status = Column(String(20), nullable=False, index=True)
    score = Column(Float, nullable=False)
    explanation = Column(EncryptedJSON(), nullable=True)  # per-field scores, read by operators
    decided_by = Column(BigId, ForeignKey("operators.id"), nullable=True)
    note = Column(EncryptedText(), nullable=True)
    consent_requested_at = Column(DateTime(timezone=True), nullable=True)  # detainee asked
    reminded_at = Column(DateTime(timezone=True), nullable=True)  # the one reminder
    consent_escalated_at = Column(DateTime(timezone=True), nullable=True)  # no answer: an operator
    answered_at = Column(DateTime(timezone=True), nullable=True)  # detainee chose
    notified_at = Column(DateTime(timezone=True), nullable=True)  # family told what was allowed
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class RegistrationVetting(Base):
    """One operator's word that they spoke with the registrant (a call or a video call)."""

    __tablename__ = "registration_vettings"
    __table_args__ = (UniqueConstraint("registration_id", "operator_id", name="uq_vettings_registration_operator"),)

    id = Column(BigId, primary_key=True, autoincrement=True)
    registration_id = Column(BigId, ForeignKey("registrations.id", ondelete="CASCADE"), nullable=False)
    operator_id = Column(BigId, ForeignKey("operators.id"), nullable=False)
    how = Column(String(20), nullable=False)  # call | video
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class RelayThread(Base):
    """A relayed conversation between a family and a registrant, numbers hidden (bot/reunion/relay.py)."""

    __tablename__ = "relay_threads"

    id = Column(BigId, primary_key=True, autoincrement=True)
    match_id = Column(BigId, ForeignKey("matches.id", ondelete="CASCADE"), nullable=False, unique=True)
    family_contact_id = Column(BigId, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False, index=True)
    registrant_contact_id = Column(BigId, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False, index=True)
    status = Column(String(12), nullable=False)  # open | recognised | closed
    relayed = Column(Integer, nullable=False, default=0, server_default="0")
    held = Column(Integer, nullable=False, default=0, server_default="0")
    opened_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    closed_at = Column(DateTime(timezone=True), nullable=True)


class Operator(Base):
    """An association volunteer who reads escalations and reviews matches."""

    __tablename__ = "operators"

    id = Column(BigId, primary_key=True, autoincrement=True)
    username = Column(String(100), nullable=False, unique=True)
    display_name = Column(String(200), nullable=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(10), nullable=False, default="operator")  # operator | supervisor | admin
    active = Column(Boolean, nullable=False, default=True)
    failed_logins = Column(Integer, nullable=False, default=0)
    last_login_at = Column(DateTime(timezone=True), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    #: TOTP (RFC 6238) second factor: the base32 secret, sealed; set once enrolment is confirmed.
    totp_secret = Column(EncryptedText(), nullable=True)
    mfa_enabled_at = Column(DateTime(timezone=True), nullable=True)
    #: The last TOTP time step accepted: a code is never accepted twice.
    totp_last_step = Column(Integer, nullable=True)
    #: A pending one-time password reset (``shaml operator reset-password``): SHA-256 of the token, and its expiry.
    reset_token_hash = Column(String(64), nullable=True)
    reset_expires_at = Column(DateTime(timezone=True), nullable=True)


class Escalation(Base):
    """A conversation handed to a person: why, who took it, and how long it waited."""

    __tablename__ = "escalations"

    id = Column(BigId, primary_key=True, autoincrement=True)
    contact_id = Column(BigId, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False, index=True)
    match_id = Column(BigId, ForeignKey("matches.id", ondelete="SET NULL"), nullable=True)
    # requested | failed_turns | distress | media | review | delivery_failed | enumeration
    reason = Column(String(30), nullable=False)
    status = Column(String(10), nullable=False, default="open")  # open | claimed | resolved
    operator_id = Column(BigId, ForeignKey("operators.id"), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    claimed_at = Column(DateTime(timezone=True), nullable=True)
    resolved_at = Column(DateTime(timezone=True), nullable=True)


class AuditEvent(Base):
    """Every operator action and every disclosure. Personal data here is hashed, never plain."""

    __tablename__ = "audit_events"

    id = Column(BigId, primary_key=True, autoincrement=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    actor_kind = Column(String(10), nullable=False)  # operator | system | cli
    operator_id = Column(BigId, ForeignKey("operators.id"), nullable=True)
    action = Column(String(50), nullable=False)
    subject_type = Column(String(30), nullable=True)
    subject_id = Column(String(64), nullable=True)
    detail = Column(JSON, nullable=True)



keep_blind_index(Contact.address, "address_bidx", "address")
keep_blind_index(Contact.verified_phone, "verified_phone_bidx", "address")


class GatewayPhone(Base):
    """An Android SMS gateway phone: its last ping and health, so operators see it is alive."""

    __tablename__ = "gateway_phones"
    __table_args__ = (UniqueConstraint("device_id", name="uq_gateway_phones_device_id"),)

    id = Column(BigId, primary_key=True, autoincrement=True)
    device_id = Column(String(64), nullable=False)
    last_ping_at = Column(DateTime(timezone=True), nullable=True)
    last_event_at = Column(DateTime(timezone=True), nullable=True)
    health = Column(JSON, nullable=True)  # the app's health check, as pinged
    last_error = Column(String(200), nullable=True)  # the last send failure seen on this phone
    last_error_at = Column(DateTime(timezone=True), nullable=True)
