"""The insider: a logged-in operator with the lowest role, who scrapes by id, and a second operator who
acts on a conversation someone else holds. The console runs whole (gateway + console, real PostgreSQL
and SQLite, real Redis, fake Twilio); each test asserts what the responses disclosed, not only codes.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from bot.contacts import escalate, get_or_create_contact
from bot.gateway.jobs import wake_outbox
from bot.gateway.outbox import CODE_PLACEHOLDER, queue_message
from bot.models import AuditEvent, Escalation, Match, Message, Registration
from console import access
from tests.console.conftest import (  # noqa: F401 - fixtures used by name
    accounts,
    add_operator,
    app,
    client,
    escalated_contact,
    fake_twilio,
    gateway,
    logged_in,
    post,
    ref,
    registration,
    review_case,
    settings,
    url,
)
from tests.gateway.conftest import run_worker

#: What a family and a survivor told Shaml: none of it may reach an operator who has no case with them.
SECRET_NAME = "ياسمين عبد الرحمن الحمصي"
SECRET_TEXT = "أخي اعتقل من حاجز القطيفة"
FAMILY_NUMBER = "+963944771122"
SURVIVOR_NUMBER = "+963955883344"
NUMBER_IN_TEXT = "0933 445 566"


def _private_world(factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A conversation held by the admin, one with the bot only, and a registration behind no review."""
    held = escalated_contact(factory, address=FAMILY_NUMBER, body=f"{SECRET_TEXT}، رقمي الثاني {NUMBER_IN_TEXT}")
    with factory() as db, db.begin():
        bot_only = get_or_create_contact(db, "sms", "+963944000999")
        db.add(Message(contact_id=bot_only.id, direction="in", author="user", body=SECRET_NAME, status="processed",
                       route="rasa", attempts=0))
        survivor = get_or_create_contact(db, "whatsapp", "+963955000777")
        reg = Registration(contact_id=survivor.id, status="pending_verification", full_name=SECRET_NAME,
                           mother_name="خديجة", birth_year=1981, governorate="حمص", callback_address=SURVIVOR_NUMBER,
                           share_policy="safe_only")
        db.add(reg)
        db.flush()
        ids = {"held": held, "bot_only": int(bot_only.id), "survivor": int(survivor.id), "registration": int(reg.id)}
    return ids


def _leaks(text: str) -> list[str]:
    found = [s for s in (SECRET_NAME, SECRET_TEXT, FAMILY_NUMBER, SURVIVOR_NUMBER, NUMBER_IN_TEXT, "خديجة") if s in text]
    return found + re.findall(r"\+9639\d{8}", text)


def test_a_low_privilege_operator_scraping_by_id_learns_nothing(app, accounts, factory):  # type: ignore[no-untyped-def]  # noqa: F811
    ids = _private_world(factory)
    samir, omar = logged_in(app, "samir"), logged_in(app, "omar")
    assert post(samir, f"{url('contact', ids['held'])}/claim").status_code == 303
    top = max(ids.values()) + 5
    responses = []
    for n in range(1, top):
        responses += [omar.get(f"{url('contact', n)}"), omar.get(f"{url('contact', n)}/rows"),
                      omar.get(f"{url('registration', n)}"),
                      post(omar, f"{url('contact', n)}/reveal"), post(omar, f"{url('registration', n)}/reveal"),
                      post(omar, f"{url('contact', n)}/claim"), post(omar, f"{url('registration', n)}/verify")]
    assert {r.status_code for r in responses} <= {403, 404}
    for response in responses:
        assert _leaks(response.text) == [], (response.request.url, _leaks(response.text))
    for page in ("/console/inbox", "/console/inbox/rows", "/console/reviews", "/console/"):
        assert _leaks(omar.get(page).text) == [], page
    # Nothing was read, so nothing was audited as a read; nothing changed hands.
    with factory() as db:
        reads = db.execute(select(AuditEvent).where(AuditEvent.operator_id == accounts.other.id,
                                                    AuditEvent.action.in_(("view_conversation", "view_registration",
                                                                           "reveal_numbers")))).all()
        assert reads == []
        esc = db.execute(select(Escalation).where(Escalation.contact_id == ids["held"])).scalar_one()
        assert esc.operator_id == accounts.admin.id
        assert db.get(Registration, ids["registration"]).status == "pending_verification"


def _altered(public: str) -> list[str]:
    """What a scraper tries from one id it was shown: each character stepped, one cut short, one too long,
    upper case, and the row numbers themselves."""
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    stepped = [public[:i] + alphabet[(alphabet.index(c) + 1) % 32] + public[i + 1:] for i, c in enumerate(public)]
    return stepped + [public[:-1], public + "a", public.upper(), "0", "1", "2", "-1", "999999999999999999999"]


def _page(response: Any) -> str:
    """A response's page without the language toggle's return address (the one place a path shows)."""
    return re.sub(r"next=[^\"]*", "next=", response.text)


def test_ids_in_urls_are_opaque_and_altering_one_finds_nothing(app, accounts, factory):  # type: ignore[no-untyped-def]  # noqa: F811
    """The operator sees the conversations in the queue. From their links he learns no row number, and every
    id he derives from it, and every plain number, answers the same 404 as an id that names no row."""
    ids = _private_world(factory)
    waiting = escalated_contact(factory, address="+963933000222", body="مرحبا")
    omar = logged_in(app, "omar")
    inbox = omar.get("/console/inbox/rows").text
    links = re.findall(r'href="/console/conversations/([^"/]+)"', inbox)
    assert sorted(links) == sorted([ref("contact", ids["held"]), ref("contact", waiting)])
    assert not re.search(r"#\d+\b", inbox) and not re.search(r"/console/[\w/]+?/\d+[\"/?]", inbox)
    page = omar.get(f"/console/conversations/{links[0]}").text
    assert not re.search(r"/console/[\w/]+?/\d+[\"/?]", page), "a row number in a link"
    probes = (("get", "/console/conversations/{}", "contact"), ("get", "/console/conversations/{}/rows", "contact"),
              ("get", "/console/registrations/{}", "registration"), ("get", "/console/reviews/{}", "match"),
              ("post", "/console/conversations/{}/claim", "contact"))

    def fetch(method: str, template: str, public: str) -> Any:
        return omar.get(template.format(public)) if method == "get" else post(omar, template.format(public))

    # What an id that names no row answers, route by route: the baseline every altered id must match.
    missing = {template: fetch(method, template, ref(kind, 10**6)) for method, template, kind in probes}
    assert {r.status_code for r in missing.values()} == {404}
    tried = 0
    for other in _altered(links[0]):
        for method, template, _ in probes:
            response = fetch(method, template, other)
            tried += 1
            assert response.status_code == 404, response.request.url
            assert _page(response) == _page(missing[template]), response.request.url  # nothing tells them apart
            assert _leaks(response.text) == []
    assert tried == len(probes) * len(_altered(links[0]))
    # Public ids of neighbouring rows share nothing that orders them.
    neighbours = [ref("contact", n) for n in range(1, 200)]
    assert len(set(neighbours)) == 199 and neighbours != sorted(neighbours)
    assert len({p[:8] for p in neighbours}) == 199
    with factory() as db:
        assert db.execute(select(AuditEvent).where(AuditEvent.operator_id == accounts.other.id,
                                                   AuditEvent.action == "view_conversation")).scalars().all() != []
        esc = db.execute(select(Escalation).where(Escalation.contact_id == ids["held"])).scalar_one()
        assert esc.operator_id is None


def test_an_id_of_one_kind_is_not_an_id_of_another(app, accounts, factory):  # type: ignore[no-untyped-def]  # noqa: F811
    """Even for an admin, who may see every row: a contact's id used as a registration's (where a
    registration with the same row number exists) answers 404, as do a match's and a record's."""
    ids = _private_world(factory)
    case = review_case(factory)
    samir = logged_in(app, "samir")
    number = ids["registration"]
    assert samir.get(url("registration", number)).status_code == 200
    missing = samir.get(url("registration", 10**6))
    assert missing.status_code == 404
    for kind in ("contact", "match", "record", "batch", "operator", "event", "search", "message"):
        response = samir.get("/console/registrations/" + ref(kind, number))
        assert response.status_code == 404 and _page(response) == _page(missing), kind
        assert SECRET_NAME not in response.text and SURVIVOR_NUMBER not in response.text
    assert samir.get("/console/reviews/" + ref("registration", case.match_id)).status_code == 404
    assert samir.get("/console/conversations/" + ref("registration", ids["held"])).status_code == 404
    assert samir.get("/console/registry/records/" + ref("match", case.row_id)).status_code == 404
    assert post(samir, "/console/registrations/" + ref("contact", number) + "/reveal").status_code == 404
    with factory() as db:
        reveals = db.execute(select(AuditEvent).where(AuditEvent.action == "reveal_numbers")).scalars().all()
        assert reveals == []


def test_what_an_operator_may_read_is_masked_and_audited(app, accounts, factory):  # type: ignore[no-untyped-def]  # noqa: F811
    """A conversation waiting in the queue is the operator's to read: every number in it is masked, and
    each read (page and poll) leaves an audit event. The registration behind a match in review is
    readable too, with its callback masked; revealing is for supervisors, and is audited."""
    ids = _private_world(factory)
    case = review_case(factory)
    with factory() as db, db.begin():
        reg = db.get(Registration, ids["registration"])
        db.add(Match(search_id=case.search_id, registration_id=reg.id, decision="review", status="review", score=0.8,
                     explanation={}))
    omar = logged_in(app, "omar")
    page = omar.get(f"{url('contact', ids['held'])}").text
    rows = omar.get(f"{url('contact', ids['held'])}/rows").text
    assert SECRET_TEXT in page  # the operator needs the words to help
    assert FAMILY_NUMBER not in page and "+963 9•• ••• •22" in page
    for text in (page, rows):
        assert NUMBER_IN_TEXT not in text and "09•• ••• •66" in text
    reg_page = omar.get(f"{url('registration', ids['registration'])}").text
    assert SURVIVOR_NUMBER not in reg_page and "+963 9•• ••• •44" in reg_page and 'id="reveal"' not in reg_page
    assert post(omar, f"{url('registration', ids['registration'])}/reveal").status_code == 403
    add_operator(factory, "lina", "supervisor")
    lina = logged_in(app, "lina")
    revealed = post(lina, f"{url('contact', ids['held'])}/reveal")
    assert revealed.status_code == 200 and FAMILY_NUMBER in revealed.text and NUMBER_IN_TEXT in revealed.text
    with factory() as db:
        events = [(e.operator_id, e.action, e.subject_id) for e in db.execute(
            select(AuditEvent).where(AuditEvent.action.in_(("view_conversation", "view_registration", "reveal_numbers")))
            .order_by(AuditEvent.id)).scalars()]
    held, omar_id = str(ids["held"]), accounts.other.id
    assert (omar_id, "view_conversation", held) in events
    assert events.count((omar_id, "view_conversation", held)) == 2  # the page and the first poll
    assert (omar_id, "view_registration", str(ids["registration"])) in events
    assert [e for e in events if e[1] == "reveal_numbers"] == [(events[-1][0], "reveal_numbers", held)]


def test_a_second_operator_cannot_close_a_conversation_another_holds(app, accounts, factory):  # type: ignore[no-untyped-def]  # noqa: F811
    contact = escalated_contact(factory)
    rania, omar = logged_in(app, "rania"), logged_in(app, "omar")
    assert post(rania, f"{url('contact', contact)}/claim").status_code == 303
    # What a browser test found: "resolve" on someone else's claimed conversation succeeded. Now refused.
    for action, data in (("resolve", {"outcome": "answered"}), ("handback", {}), ("claim", {}), ("reply", {"body": "x"})):
        refused = post(omar, f"{url('contact', contact)}/{action}", data)
        assert refused.status_code == 404, action
        assert "+963912345678" not in refused.text and "بدي احكي مع شخص" not in refused.text
    with factory() as db:
        esc = db.execute(select(Escalation).where(Escalation.contact_id == contact)).scalar_one()
        assert (esc.status, esc.operator_id) == ("claimed", accounts.operator.id)
    # A supervisor may override; the holder is told in her inbox.
    assert "#" + str(contact) not in " ".join(re.findall(r"override-notice[^<]*<", rania.get("/console/inbox").text))
    add_operator(factory, "lina", "supervisor")
    lina = logged_in(app, "lina")
    assert post(lina, f"{url('contact', contact)}/resolve", {"outcome": "duplicate"}).status_code == 303
    inbox = rania.get("/console/inbox").text
    assert "override-notice" in inbox and f"#{ref('contact', contact)[:8]}" in inbox
    assert "override-notice" not in omar.get("/console/inbox").text
    with factory() as db:
        event = db.execute(select(AuditEvent).where(AuditEvent.action == "claim_overridden")).scalar_one()
        assert event.subject_id == str(accounts.operator.id) and event.detail == {"contact_id": contact, "action": "resolve"}


def test_one_operator_with_two_sessions_cannot_confirm_a_match_alone(app, accounts, factory):  # type: ignore[no-untyped-def]  # noqa: F811
    case = review_case(factory)
    first, second = logged_in(app, "rania"), logged_in(app, "rania")
    assert post(first, f"{url('match', case.match_id)}/confirm", page="/console/reviews").status_code == 202
    assert post(second, f"{url('match', case.match_id)}/confirm", page="/console/reviews").status_code == 409
    with factory() as db:
        assert db.get(Match, case.match_id).status == "review"
        assert db.execute(select(AuditEvent).where(AuditEvent.action == "match_confirmed")).first() is None


def test_a_verification_code_is_sent_but_never_kept(app, accounts, factory, gateway, fake_twilio):  # type: ignore[no-untyped-def]  # noqa: F811
    with factory() as db, db.begin():
        phone = get_or_create_contact(db, "sms", "+963933123456")
        phone.last_inbound_at = None
        queue_message(db, phone.id, "Shaml code: 482913\nSend this code to Shaml from any phone.", kind="verification")
        escalate(db, phone.id, "requested")
        phone_id = int(phone.id)
    wake_outbox(gateway, phone_id)
    run_worker(gateway)
    assert [r.form["Body"].split("\n")[0] for r in fake_twilio.sent] == ["Shaml code: 482913"]
    with factory() as db:
        bodies = [m.body for m in db.execute(select(Message).where(Message.contact_id == phone_id)).scalars()]
    assert bodies == [CODE_PLACEHOLDER]
    samir = logged_in(app, "samir")
    for text in (samir.get(f"{url('contact', phone_id)}").text, post(samir, f"{url('contact', phone_id)}/reveal").text):
        assert "482913" not in text


def test_masking_covers_the_shapes_numbers_take():
    assert access.mask_number("+963912345678") == "+963 9•• ••• •78"
    assert access.mask_number("sim-family-1") == "sim-family-1"
    assert access.mask_number("0933445566") == "09•• ••• •66"
    masked = access.mask_text("رقمي ٠٩٣٣٤٤٥٥٦٦ أو 0933-445-566 أو +963 933 445 566")
    assert not re.search(r"[0-9٠-٩]{3}", masked.replace("963", "")), masked
