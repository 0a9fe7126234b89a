"""Everything the gateway needs, injected by the composition root: sessions, Redis, Rasa, channels, limits."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy.orm import Session, sessionmaker

from bot.channels import CHANNEL_MODULES
from bot.gateway.dialogue import Dialogue
from bot.gateway.routes import RouteTable

#: The provider of each contact channel when the contact has none of its own (SMS follows the route table).
DEFAULT_PROVIDER = {"whatsapp": "twilio", "sms": "twilio", "telegram": "telegram", "sim": "sim"}

#: RQ jobs are JSON (a function name and a contact id), never pickles: whoever can write to Redis
#: must not be able to run code in a worker by queueing a crafted pickle.
JOB_SERIALIZER = JSONSerializer


@dataclass(frozen=True)
class GatewayConfig:
    """Plain values from the settings (the gateway never reads the environment itself)."""

    redis_prefix: str = "shaml:"
    rate_limit_per_minute: int = 20
    dedupe_ttl_seconds: int = 172800
    lock_seconds: int = 30
    max_attempts: int = 12
    retry_base_ms: int = 2000
    retry_max_ms: int = 30000
    sweep_seconds: int = 5
    template_sid: str = ""
    template_variables: str = "{}"
    status_callback_url: str = ""
    #: WhatsApp lets a business write freely for this long after the user's last message.
    whatsapp_window_hours: int = 24

    @property
    def inbound_queue(self) -> str:
        """RQ queue name for inbound wake-ups."""
        return f"{self.redis_prefix}inbound"

    @property
    def outbox_queue(self) -> str:
        """RQ queue name for outbox wake-ups."""
        return f"{self.redis_prefix}outbox"


@dataclass
class Gateway:
    """The gateway's dependencies. Build one per process; jobs find it through :mod:`bot.gateway.jobs`."""

    factory: sessionmaker
    redis: redis.Redis
    dialogue: Dialogue
    channels: dict[str, Any]  # contact channel -> channel object (see bot.channels)
    config: GatewayConfig = field(default_factory=GatewayConfig)
    #: provider name (twilio | smsgate | telegram | sim) -> channel object; defaults to the channels'.
    providers: dict[str, Any] = field(default_factory=dict)
    #: Which provider carries an SMS Shaml starts to a bare number (SHAML_SMS_ROUTES).
    routes: RouteTable = field(default_factory=RouteTable)

    def key(self, *parts: object) -> str:
        """A Redis key under the configured prefix."""
        return self.config.redis_prefix + ":".join(str(p) for p in parts)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits at the end of the block and rolls back if it raises."""
        with self.factory() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only, in autocommit mode: no BEGIN and ROLLBACK round trips."""
        with self.factory() as session:
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            yield session

    def queue(self, name: str) -> Queue:
        """The RQ queue ``inbound`` or ``outbox`` (names carry the Redis prefix)."""
        full = self.config.inbound_queue if name == "inbound" else self.config.outbox_queue
        return Queue(full, connection=self.redis, serializer=JOB_SERIALIZER)

    def channel(self, contact_channel: str) -> Any:
        """The channel object that serves a contact channel."""
        try:
            return self.channels[contact_channel]
        except KeyError:
            raise LookupError(f"no channel configured for {contact_channel!r}") from None

    def provider(self, name: str) -> Any:
        """The channel object of a provider (``twilio``, ``smsgate``, ``telegram``, ``sim``)."""
        if name in self.providers:
            return self.providers[name]
        for contact_channel, provider in DEFAULT_PROVIDER.items():
            if provider == name and contact_channel in self.channels:
                return self.channels[contact_channel]
        raise LookupError(f"no provider configured named {name!r}")

    def has_provider(self, name: str) -> bool:
        """Whether ``name`` can be sent through here."""
        try:
            self.provider(name)
        except LookupError:
            return False
        return True

    def provider_for(self, channel: str, address: str, preferred: str | None = None) -> str:
        """The provider to send on: the contact's own when known, else (SMS) the first route for the number."""
        if preferred and self.has_provider(preferred):
            return preferred
        if channel == "sms":
            for name in self.routes.candidates(address):
                if self.has_provider(name):
                    return name
        return DEFAULT_PROVIDER.get(channel, channel)


def channel_module(contact_channel: str) -> Any:
    """The module (from the one table in :mod:`bot.channels`) that serves ``contact_channel``."""
    return importlib.import_module(CHANNEL_MODULES[contact_channel])
