"""Match review and registrations over HTTP: both sides with the matcher's explanation, confirm and reject
through ``bot.reunion.review`` (the consent flow), and verifying a callback number by hand."""

from __future__ import annotations

from sqlalchemy import select

from bot.models import AuditEvent, Match, Registration
from tests.console.conftest import add_operator, logged_in, post, registration, review_case, url


def test_review_shows_both_sides_and_the_explanation(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    case = review_case(factory)
    rania = logged_in(app, "rania")
    listing = rania.get("/console/reviews").text
    assert f'href="{url("match", case.match_id)}"' in listing and "محمد احمد الحلبي" in listing
    page = rania.get(f"{url('match', case.match_id)}").text
    assert "محمد احمد الحلبي" in page and "محمد أحمد الحلبي" in page  # the search and the record
    assert "فاطمه" in page and "فاطمة" in page and "1986" in page and "1985" in page
    assert "متطابق" in page and "نقاط" in page and "صيدنايا" in page
    assert 'id="confirm"' in page and 'id="reject"' in page
    with factory() as db:
        view = db.execute(select(AuditEvent).where(AuditEvent.action == "view_match")).scalar_one()
        assert (view.operator_id, view.subject_id) == (accounts.operator.id, str(case.match_id))
    assert rania.get(f"{url('match', 9999)}").status_code == 404


def test_confirm_continues_the_consent_flow_once(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    case = review_case(factory)
    rania, omar = logged_in(app, "rania"), logged_in(app, "omar")
    # Four eyes: rania's press only asks; pressing again herself is refused; omar's press confirms.
    asked = post(rania, f"{url('match', case.match_id)}/confirm", {"note": "الأم متطابقة"}, page="/console/reviews")
    assert asked.status_code == 202 and 'id="notice"' in asked.text
    again = post(rania, f"{url('match', case.match_id)}/confirm", page="/console/reviews")
    assert again.status_code == 409
    with factory() as db:
        assert db.get(Match, case.match_id).status == "review"
    done = post(omar, f"{url('match', case.match_id)}/confirm", {"note": "الأم متطابقة"}, page="/console/reviews")
    assert done.status_code == 303
    with factory() as db:
        match = db.get(Match, case.match_id)
        assert (match.status, match.decided_by, match.note) == ("confirmed", accounts.other.id, "الأم متطابقة")
        event = db.execute(select(AuditEvent).where(AuditEvent.action == "match_confirmed")).scalar_one()
        assert event.operator_id == accounts.other.id
        assert "الأم" not in str(event.detail)  # the note itself stays out of the audit trail
        granted = db.execute(select(AuditEvent).where(AuditEvent.action == "approval_granted")).scalar_one()
        assert granted.detail["requested_by"] == accounts.operator.id and granted.operator_id == accounts.other.id
    page = rania.get(f"{url('match', case.match_id)}").text
    assert 'id="confirm"' not in page and "Omar" in page
    # A second decision is refused: the first one stands.
    late = post(rania, f"{url('match', case.match_id)}/reject", {"note": "لا"}, page="/console/reviews")
    assert late.status_code == 409 and "only matches in review" in late.text
    with factory() as db:
        assert db.get(Match, case.match_id).status == "confirmed"
    assert "مؤكدة" in rania.get("/console/reviews").text


def test_reject(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    case = review_case(factory)
    rania = logged_in(app, "rania")
    assert post(rania, f"{url('match', case.match_id)}/reject", page="/console/reviews").status_code == 303
    with factory() as db:
        match = db.get(Match, case.match_id)
        assert (match.status, match.note) == ("rejected", None)
    assert post(rania, f"{url('match', 9999)}/confirm", page="/console/reviews").status_code == 404


def test_registration_view_and_hand_verification(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    reg = registration(factory)
    add_operator(factory, "lina", "supervisor")
    lina, samir, rania = logged_in(app, "lina"), logged_in(app, "samir"), logged_in(app, "rania")
    # An operator sees only registrations behind a match in review: this one is not found for her.
    assert rania.get(f"{url('registration', reg)}").status_code == 404
    page = lina.get(f"{url('registration', reg)}").text
    assert "+963933000111" not in page and "+963 9•• ••• •11" in page
    assert "بانتظار تأكيد الرقم" in page and 'id="verify"' in page and 'id="reveal"' in page
    shown = post(lina, f"{url('registration', reg)}/reveal", page=f"{url('registration', reg)}")
    assert shown.status_code == 200 and "+963933000111" in shown.text
    assert post(lina, f"{url('registration', reg)}/verify", page=f"{url('registration', reg)}").status_code == 202
    with factory() as db:
        assert db.get(Registration, reg).status == "pending_verification"
    assert 'id="pending"' in samir.get(f"{url('registration', reg)}").text
    assert post(samir, f"{url('registration', reg)}/verify", page=f"{url('registration', reg)}").status_code == 303
    with factory() as db:
        row = db.get(Registration, reg)
        assert (row.status, row.verified_by) == ("active", accounts.admin.id)
        assert row.callback_verified_at is not None
        acts = list(db.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars())
    assert "view_registration" in acts and "registration_verified" in acts and acts.count("reveal_numbers") == 1
    after = lina.get(f"{url('registration', reg)}").text
    assert 'id="verify"' not in after and "Samir" in after
    assert lina.get(f"{url('registration', 9999)}").status_code == 404
    assert post(lina, f"{url('registration', 9999)}/verify", page="/console/inbox").status_code == 404
    # A crafted ?error= link cannot put its words on the page.
    crafted = lina.get(f"{url('registration', reg)}", params={"error": "Call +1-555-0100 to unlock your account"}).text
    assert "unlock your account" not in crafted and "+1-555-0100" not in crafted
    assert '<p class="error" role="alert">تعذّر تنفيذ الطلب.</p>' in crafted


def test_conversation_links_the_contacts_cases(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    from bot.contacts import escalate
    from bot.models import Registration as Reg

    case = review_case(factory)
    reg = registration(factory)
    with factory() as db, db.begin():
        escalate(db, case.family_contact, "review", match_id=case.match_id)
        survivor = db.get(Reg, reg).contact_id
        escalate(db, survivor, "requested")
    rania = logged_in(app, "rania")
    family = rania.get(f"{url('contact', case.family_contact)}").text
    assert f'href="{url("match", case.match_id)}" id="escalation-match"' in family
    assert "محمد احمد الحلبي" in family and "مفتوح" in family
    released = rania.get(f"{url('contact', survivor)}").text
    assert f'href="{url("registration", reg)}"' in released and "بانتظار تأكيد الرقم" in released


def test_two_distinct_operators_who_spoke_with_the_person_corroborate_the_registration(app, accounts, factory) -> None:  # type: ignore[no-untyped-def]
    hidden = registration(factory, callback="+963933000222")  # no match waits on it: not an operator's business
    rania = logged_in(app, "rania")
    assert rania.get(f"{url('registration', hidden)}").status_code == 404
    assert post(rania, f"{url('registration', hidden)}/vet", {"how": "call"}, page="/console/").status_code == 404
    reg = registration(factory, awaiting_call=True)
    rania, omar = logged_in(app, "rania"), logged_in(app, "omar")
    page = rania.get(f"{url('registration', reg)}").text
    assert 'id="vet-call"' in page and "لم يؤكدها أحد بعد" in page
    # One operator, even twice, is not enough.
    assert post(rania, f"{url('registration', reg)}/vet", {"how": "call"}, page=f"{url('registration', reg)}").status_code == 303
    assert post(rania, f"{url('registration', reg)}/vet", {"how": "video"}, page=f"{url('registration', reg)}").status_code == 303
    with factory() as db:
        assert db.get(Registration, reg).corroboration is None
    assert post(omar, f"{url('registration', reg)}/vet", {"how": "video"}, page=f"{url('registration', reg)}").status_code == 303
    with factory() as db:
        row = db.get(Registration, reg)
        assert row.corroboration == "operators" and row.corroborated_at is not None
        acts = list(db.execute(select(AuditEvent.action, AuditEvent.operator_id).order_by(AuditEvent.id)))
    assert [a for a in acts if a[0] == "registration_vetted"] == [("registration_vetted", accounts.operator.id),
                                                                  ("registration_vetted", accounts.other.id)]
    # Vouched for, nothing waits on an operator any more: the registration leaves their view; an admin
    # still sees who vouched.
    assert omar.get(f"{url('registration', reg)}").status_code == 404
    samir = logged_in(app, "samir")
    after = samir.get(f"{url('registration', reg)}").text
    assert 'id="vet-call"' not in after and "متطوعان تحدثا معه" in after
    assert post(samir, f"{url('registration', reg)}/vet", {"how": "shout"}, page=f"{url('registration', reg)}").status_code == 409
    assert post(omar, f"{url('registration', 9999)}/vet", {"how": "call"}).status_code == 404
