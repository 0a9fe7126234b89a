"""``check_status``: an honest answer that says only what the contact was already told."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Contact, Match, Registration, SearchRequest
from bot.reunion.consent import operator_confirmed
from bot.reunion.records import aware
from bot.reunion.texts import render


def check_status(session: Session, contact_id: int) -> str:
    """One message describing the contact's searches and registration, in its language.

    A search reads "open, no news we can share yet" until the family was told something; what
    it was told is then repeated. A match under review, a question waiting for the released
    person, or a refusal (option 3) all read exactly like an open search, so the answer reveals
    nothing the family was not allowed to know.
    """
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise ValueError(f"no contact {contact_id}")
    language = contact.language or "ar"
    lines: list[str] = []
    searches = session.execute(
        select(SearchRequest).where(SearchRequest.contact_id == contact_id, SearchRequest.status != "closed").order_by(SearchRequest.id)
    ).scalars().all()
    for search in searches:
        told = session.execute(
            select(Match)
            .where(
                Match.search_id == search.id,
                Match.notified_at.is_not(None),
                Match.status.in_(("shared", "safe_only", "notified")),
            )
            .order_by(Match.notified_at)
        ).scalars().all()
        if not told:
            lines.append(render("status_open", language, name=search.full_name))
            continue
        match = told[-1]
        date = (aware(match.notified_at) or match.notified_at).date().isoformat()
        if match.status == "shared":
            key = "status_shared_reviewed" if operator_confirmed(match) else "status_shared"
        elif match.status == "safe_only":
            key = "status_safe"
        else:
            key = "status_released_list"
        lines.append(render(key, language, name=search.full_name, date=date))
    registration = session.execute(
        select(Registration)
        .where(Registration.contact_id == contact_id, Registration.status != "withdrawn")
        .order_by(Registration.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if registration is not None:
        key = {"active": "status_registration_active", "held": "registration_held"}.get(registration.status, "status_registration_pending")
        lines.append(render(key, language))
    if not lines:
        return render("status_none", language)
    return "\n".join(lines)
