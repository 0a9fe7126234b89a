"""The resilience bench's bookkeeping: it must see a lost message, a duplicate and a reply out of order.

The bench gates CI on "nothing lost", so its ledger is checked here against messages written
straight into PostgreSQL and deliveries recorded by its fake Twilio.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import insert

from bot.contacts import address_hash
from bot.models import AuditEvent, Contact, Message
from matching.store import utcnow
from shaml.bench.fakes import Delivery, FakeTwilioAPI
from shaml.bench.resilience import Ledger, Sent, info_lines


@pytest.fixture
def twilio():  # type: ignore[no-untyped-def]
    api = FakeTwilioAPI()
    yield api
    api.stop()


def _contact(session, number: str) -> int:  # type: ignore[no-untyped-def]
    return int(session.execute(insert(Contact).values(channel="sms", address=number, language="ar", opted_out=False,
                                                      escalated=False, created_at=utcnow())).inserted_primary_key[0])


def _in(session, contact: int, sid: str, status: str = "processed") -> int:  # type: ignore[no-untyped-def]
    return int(session.execute(insert(Message).values(contact_id=contact, direction="in", author="user", provider_id=sid, body="x",
                                                      status=status, attempts=1)).inserted_primary_key[0])


def _out(session, contact: int, reply_to: int, body: str, sid: str | None, status: str = "accepted") -> None:  # type: ignore[no-untyped-def]
    session.execute(insert(Message).values(contact_id=contact, direction="out", author="bot", provider_id=sid, body=body,
                                           status=status, attempts=1, kind="reply", reply_to_id=reply_to))


def test_the_ledger_counts_what_became_of_each_message(pg_only_url, pg_factory, twilio):  # type: ignore[no-untyped-def]
    now = utcnow().timestamp()
    a, b = "+96391000001", "+96391000002"
    sent = [Sent(f"SM-{i}", a if i < 4 else b, "x", seq=i if i < 4 else i - 4, first=now + i, acked=now + i) for i in range(7)]
    with pg_factory() as session, session.begin():
        ca, cb = _contact(session, a), _contact(session, b)
        m0 = _in(session, ca, "SM-0")
        _out(session, ca, m0, "جواب 0", "SMd0")
        m1 = _in(session, ca, "SM-1")
        _out(session, ca, m1, "جواب 1", "SMd1")
        m2 = _in(session, ca, "SM-2")
        _out(session, ca, m2, "جواب 2", None, status="queued")  # never sent: lost
        _in(session, ca, "SM-3", status="received")  # never processed: lost
        m4 = _in(session, cb, "SM-4")
        _out(session, cb, m4, "جواب 4", "SMd4")
        m5 = _in(session, cb, "SM-5", status="failed")  # failed for good
        assert m5
        # SM-6 was never stored at all: lost. SM-7's sender had their data erased on request.
        session.execute(insert(AuditEvent).values(actor_kind="system", action="delete_data", subject_type="contact",
                                                  subject_id="99", detail={"address": address_hash("+96391000003")}))
    sent.append(Sent("SM-7", "+96391000003", "x", seq=0, first=now, acked=now))
    deliveries = [
        Delivery("SMd0", a, "جواب 0", now + 10),
        Delivery("SMd1", a, "جواب 1", now + 9),  # answered before the message before it: out of order
        Delivery("SMd4", b, "جواب 4", now + 12),
        Delivery("SMdup", b, "جواب 4", now + 13),  # the same reply sent twice (a crash mid-send)
    ]
    twilio.deliveries.update({d.sid: d for d in deliveries})
    ledger = Ledger(SimpleNamespace(db_url=pg_only_url, apis=(twilio,)))  # type: ignore[arg-type]
    row = ledger.measure("case", sent, cleared=now + 2)
    assert ledger.pending(sent) == 3  # SM-2 has a reply queued, SM-3 is unprocessed, SM-6 never stored (SM-7 erased)
    ledger.dispose()
    assert (row.sent, row.processed, row.lost, row.failed, row.erased) == (8, 3, 3, 1, 1)
    assert row.duplicates == 1 and row.out_of_order == 1
    assert not row.ok
    assert row.p50_ms == pytest.approx(8000, abs=1)  # SM-4: first reply 8 s after the post (12 − 4)
    assert row.recover_s == pytest.approx(8, abs=0.01)  # SM-0..2 answered by now+10, 8 s after now+2
    assert sorted(e.split(":")[0] for e in row.lost_examples) == ["SM-2", "SM-3", "SM-6"]


def test_the_fake_twilio_fails_on_command_and_records_what_it_accepts(twilio):  # type: ignore[no-untyped-def]
    import httpx

    url = twilio.url + "/2010-04-01/Accounts/AC1/Messages.json"
    twilio.fail_until = utcnow().timestamp() + 60
    assert httpx.post(url, data={"To": "+1", "Body": "a"}).status_code == 500
    twilio.fail_until = 0.0
    response = httpx.post(url, data={"To": "+1", "Body": "ب"})
    assert response.status_code == 201
    assert [(d.to, d.body, d.sid) for d in twilio.snapshot()] == [("+1", "ب", response.json()["sid"])]
    assert twilio.refused == 1


def test_info_lines_drop_debug_records_with_their_continuation_lines() -> None:
    logs = "2026-11-26 10:00:00,1 DEBUG x: +96391000001\n  more +96391000001\n2026-11-26 10:00:01,2 INFO y: fine\n"
    assert info_lines(logs) == ["2026-11-26 10:00:01,2 INFO y: fine"]
