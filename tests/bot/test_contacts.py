"""Contact state on real databases: E.164 addresses, opt-out, escalation and hand-back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.contacts import (
    AddressError,
    escalate,
    get_or_create_contact,
    hand_back,
    normalise_address,
    opt_in,
    opt_out,
)
from bot.models import AuditEvent, Escalation

ADDRESSES = [
    ("whatsapp:+963944123456", "+963944123456"),
    ("0944 123 456", "+963944123456"),  # Syrian mobile written locally
    ("00963944123456", "+963944123456"),
    ("٠٩٤٤١٢٣٤٥٦", "+963944123456"),  # Arabic-Indic digits
    ("+90 532 123 45 67", "+905321234567"),  # Turkey
    ("+961 3 123 456", "+9613123456"),  # Lebanon
    ("+962 7 9123 4567", "+962791234567"),  # Jordan
    ("+49 1512 3456789", "+4915123456789"),  # Germany
]


@pytest.mark.parametrize(("raw", "e164"), ADDRESSES)
def test_addresses_normalise_to_e164(raw, e164):
    assert normalise_address(raw) == e164


@pytest.mark.parametrize("raw", ["", "hello", "+963 12", "1" * 60, "whatsapp:", "+999 123456789"])
def test_bad_addresses_are_refused(raw):
    with pytest.raises(AddressError):
        normalise_address(raw)


def test_contact_is_created_once_per_channel_and_address(factory):
    with factory() as session, session.begin():
        a = get_or_create_contact(session, "whatsapp", "+963944123456")
        b = get_or_create_contact(session, "whatsapp", "+963944123456")
        c = get_or_create_contact(session, "sms", "+963944123456")
        assert a.id == b.id != c.id
    with pytest.raises(ValueError):
        with factory() as session:
            get_or_create_contact(session, "fax", "+963944123456")  # not a channel of ours


def test_opt_out_and_in_are_audited(factory):
    with factory() as session, session.begin():
        contact = get_or_create_contact(session, "sms", "+963944123456")
        opt_out(session, contact.id)
        opt_out(session, contact.id)  # twice is once
        assert contact.opted_out and contact.opted_out_at is not None
        opt_in(session, contact.id)
        assert not contact.opted_out
        actions = session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert actions == ["opt_out", "opt_in"]


def test_escalation_is_one_open_entry_until_handed_back(factory):
    with factory() as session, session.begin():
        contact = get_or_create_contact(session, "whatsapp", "+963944123456")
        first = escalate(session, contact.id, "requested")
        again = escalate(session, contact.id, "distress")
        assert first.id == again.id and contact.escalated
        hand_back(session, contact.id)
        assert not contact.escalated
        statuses = session.execute(select(Escalation.status)).scalars().all()
        assert statuses == ["resolved"]
        with pytest.raises(ValueError):
            escalate(session, contact.id, "because")
