"""End to end with real people's text (issue 17), through the signed webhook, the real Rasa model, the action
server, the worker, PostgreSQL, Redis and the fake Twilio: the Homs mother finds her son from the sample
registry, and a family who asks why a request was cancelled stays subscribed and still hears the news.
"""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import select

from bot.models import Contact, SearchRequest
from matching.store import RegistryRow, RegistrySource, utcnow
from tests.reunion.test_end_to_end import (  # noqa: F401 - stack is a fixture
    Phone,
    register_as,
    rows,
    search_for,
    stack,
    verify,
    vouch,
    wait,
)

#: R0000156 of data/sample/registry.csv: محمود خليل الحمصي, father خليل, mother خديجة الأحمد, 1985, Homs.
SON = {"record_id": "R0000156", "full_name": "محمود خليل الحمصي", "father_name": "خليل", "mother_name": "خديجة الأحمد",
       "birth_year": 1985, "governorate": "حمص"}


def test_the_homs_mother_finds_her_son_as_she_writes(stack):  # noqa: F811 - the fixture
    with stack.factory() as session, session.begin():
        session.add(RegistrySource(name="sample-e2e", label="قائمة العينة", allow_public_confirmation=True))
        session.flush()
        session.add(RegistryRow(source="sample-e2e", updated_at=utcnow(), release_date=dt.date(2024, 12, 5), **SON))
    time.sleep(3)  # the matchers pick up registry changes within SHAML_MATCHER_REFRESH_SECONDS
    mother = Phone(stack, "+963944170001")
    mother.say("مرحبا")
    asked = []
    for answer in ("بدي دور على ابني، انعتقل بحمص", "ابني اسمه محمود خليل الحمصي", "ابوه خليل الله يرحمو",
                   "انا امو، اسمي خديجة الأحمد", "مواليد ٨٥", "من حمص", "ما بعرف"):
        asked += mother.say(answer)
    summary = asked[-1]  # on SMS: one line, every field, then "صحيح؟ 1 نعم / 2 لا"
    assert "محمود خليل الحمصي" in summary and "الأب خليل" in summary and "الأم خديجة الأحمد" in summary
    assert "1985" in summary and "حمص" in summary and "صحيح؟" in summary
    # She said "ابني" and "انا امو": never asked her relationship or her name again.
    assert not any("صلة قرابتك" in b or "وما اسمك" in b for b in asked)
    # "No" asks what to change, and only that is asked again.
    fields = mother.say("لا")
    assert any("ماذا نصحح" in b and "5 المحافظة" in b for b in fields)
    again = mother.say("5")
    assert any("محافظة" in b for b in again) and not any("ما اسم الأب" in b for b in again)
    assert any("صحيح؟" in b for b in mother.say("حمص"))
    mother.say("نعم")
    outcome = mother.say("نعم")
    assert not any("لم نجد تطابقاً" in b for b in outcome)  # not "no match yet"
    told, _ = mother.wait_for("قائمة المفرج عنهم", timeout=60)
    assert "محمود خليل الحمصي" in told and "Homs" not in told
    with stack.factory() as session:
        contact = session.execute(select(Contact).where(Contact.address == "+963944170001")).scalar_one()
        search = session.execute(select(SearchRequest).where(SearchRequest.contact_id == contact.id)).scalar_one()
    assert (search.full_name, search.father_name, search.mother_name, search.birth_year, search.governorate) == (
        "محمود خليل الحمصي", "خليل", "خديجة الأحمد", 1985, "حمص")
    assert (search.searcher_name, search.relationship) == ("خديجة الأحمد", "mother")
    # What she typed stays beside what was read, for operators.
    assert search.raw_answers["father_name"] == "ابوه خليل الله يرحمو"
    assert search.raw_answers["mother_name"] == "انا امو، اسمي خديجة الأحمد"


def test_a_cancel_question_keeps_the_family_subscribed_and_the_news_still_arrives(stack):  # noqa: F811
    family = Phone(stack, "+963944170002")
    detainee = Phone(stack, "+963955170003", whatsapp=True)
    person = dict(name="باسل نزار الخياط", father="نزار", mother="سميرة", year="1987", governorate="دمشق")
    search_for(family, **person)
    for question in ("لماذا تم إلغاء طلبي؟", "هل يمكنني إلغاء معاملتي؟"):
        replies = family.say(question)
        assert replies and not any("لن نرسل لك" in b for b in replies)
    # A free-text opt-out asks first, and nothing changes until STOP.
    asked = family.say("ما بدي رسائل")
    assert any("STOP" in b or "توقف" in b for b in asked)
    with stack.factory() as session:
        assert session.execute(select(Contact.opted_out).where(Contact.address == "+963944170002")).scalar_one() is False
    register_as(detainee, **person)
    vouch(stack, detainee)  # two operators spoke with him (the trust rules)
    verify(detainee)
    detainee.wait_for("طلب بحث عنك", timeout=60)
    detainee.send("1")
    news, _ = family.wait_for(r"\+963955170003", timeout=60)  # the match notification reached her
    assert "سجّل في شمل" in news
    # A confirmed stop (the gateway's keyword, Arabic here) opts out at once, and its reply names ابدأ.
    stopped = family.say("توقف")
    assert any("ابدأ" in b for b in stopped)
    wait(lambda: rows(stack, Contact, Contact.address == "+963944170002", Contact.opted_out.is_(True)), 30, "the opt-out")
