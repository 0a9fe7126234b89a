"""Rasa's SQL tracker store with each event's data sealed: texts, slots and metadata never sit in plain text.

Configured in Rasa's endpoints file as ``type: bot.crypto.tracker_store.EncryptedSQLTrackerStore``
with the same keys as Rasa's ``SQL`` store (``shaml rasa`` writes it). The table is Rasa's own
``events`` table; only its ``data`` column changes, to a sealed column: ``type_name``,
``intent_name``, ``action_name``, ``timestamp`` and ``sender_id`` (a contact id) stay readable so
Rasa can query by them. Rows written in plain before are still read (and sealed by
``shaml keys rotate``). Imported only by the Rasa server process.
"""

from __future__ import annotations

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, _create_sequence
from sqlalchemy.orm import declarative_base

from bot.crypto.columns import EncryptedText

_Base = declarative_base()


class _SealedEvent(_Base):  # type: ignore[misc, valid-type]
    """Rasa's ``events`` row, with ``data`` sealed."""

    __tablename__ = "events"

    id = sa.Column(sa.Integer, _create_sequence(__tablename__), primary_key=True)
    sender_id = sa.Column(sa.String(255), nullable=False, index=True)
    type_name = sa.Column(sa.String(255), nullable=False)
    timestamp = sa.Column(sa.Float)
    intent_name = sa.Column(sa.String(255))
    action_name = sa.Column(sa.String(255))
    data = sa.Column(EncryptedText())


class EncryptedSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQLTrackerStore whose events' data is sealed with Shaml's data key (docs/privacy.md)."""

    Base = _Base
    SQLEvent = _SealedEvent
