"""Every reply that can go over SMS fits two segments (134 UCS-2 characters, 306 GSM-7), long names included;
no Arabic letters inside an English or an Arabizi reply."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
import yaml

from bot.actions.parsing import search_summary
from bot.gateway.texts import TEXTS as GATEWAY_TEXTS
from bot.reunion.texts import ARABIZI as REUNION_ARABIZI
from bot.reunion.texts import ROLES_ARABIZI, gathering_point, render, template
from bot.reunion.texts import TEXTS as REUNION_TEXTS
from nlu.answers import ROLES, role_label
from nlu.text import is_arabizi

ROOT = Path(__file__).resolve().parents[2]
ARABIC = re.compile(r"[\u0600-\u06ff]")
#: Placeholders filled with long but real values (names of 30 characters, a long source label).
LONG = {
    "searcher": "عبد الرحمن محمد سعيد الحمصي", "relationship": "ابن أخيك أو أختك", "name": "عبد الكريم جهاد العبد الله",
    "number": "+963944123456", "code": "123456", "source": "قائمة جامع السلام", "date": "2024-12-08",
    "governorate": "ريف دمشق", "place": "ساحة الأمويين", "fields": "1 الاسم\n2 اسم الأب\n3 اسم الأم\n4 سنة الميلاد\n5 المحافظة\n6 مكان وتاريخ الاعتقال\n7 اسمك\n8 صلة القرابة",
    "value": "عبد القادر محمد", "summary": "",
}
LONG_EN = LONG | {"searcher": "Abdulrahman Mohammad Al-Homsi", "relationship": "your brother or sister", "name": "Abdulkarim Jihad Al-Abdullah",
                  "source": "Salam mosque list", "governorate": "Rif Dimashq", "place": "Umayyad Square", "value": "Abdulkader Mohammad",
                  "fields": "1 Name\n2 Father\n3 Mother\n4 Birth year\n5 Governorate\n6 Detention\n7 Your name\n8 Relationship"}
#: Arabizi replies: the person's names may be in Arabic letters (the worst case for length), the labels are Latin.
LONG_AZ = LONG | {"governorate": "Rif Dimashq", "relationship": max(ROLES_ARABIZI.values(), key=len),
                  "place": max((gathering_point(g, "az") for g in ("دمشق", "حلب")), key=len),
                  "fields": "1 El esem\n2 Esem el ab\n3 Esem el em\n4 Sanet el wlede\n5 El mu7afaza\n6 Wein w emta el e3te2al\n7 Esmak\n8 Sellet el 2araba"}
LONG_SLOTS = {"person_name": "عبد الكريم بن جهاد بن عبد الرحمن العبد الله الحمصي", "father_name": "عبد الرحمن بن محمد سعيد العبد الله",
              "mother_name": "فاطمة الزهراء عبد القادر الحلبي", "birth_year": "1982", "governorate": "ريف دمشق"}

LONG_SLOTS_EN = LONG_SLOTS | {"person_name": "Abdulkarim bin Jihad bin Abdulrahman Al-Abdullah Al-Homsi",
                              "father_name": "Abdulrahman bin Mohammad Said", "mother_name": "Fatima Al-Zahraa Abdulqader Al-Halabi"}


def units(text: str) -> int:
    """UCS-2 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def fits_two_segments(text: str) -> bool:
    gsm = all(ord(c) < 128 for c in text)
    return len(text) <= 306 if gsm else units(text) <= 134


def _fill(template: str, language: str) -> str:
    values = {"en": LONG_EN, "az": LONG_AZ}.get(language, LONG)
    names = [f for _l, f, _s, _c in string.Formatter().parse(template) if f]
    return template.format(**{n: values.get(n, "x" * 20) for n in names})


def _sms_responses() -> list[tuple[str, str, str]]:
    """(response, language, text) as Rasa picks them on SMS, for every response of every domain."""
    out = []
    for path in [ROOT / "bot" / "assistant" / "domain.yml", *sorted((ROOT / "bot" / "assistant").glob("*/domain.yml"))]:
        for name, variants in (yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {}).items():
            for language in ("ar", "en", "az"):
                best = None
                for variant in variants:
                    conditions = {c["name"]: c["value"] for c in variant.get("condition") or []}
                    if conditions.get("language", language) != language or conditions.get("sms") is False:
                        continue
                    if best is None or len(conditions) > best[0]:
                        best = (len(conditions), variant["text"])
                if best:
                    out.append((name, language, best[1]))
    return out


@pytest.mark.parametrize(("name", "language", "template"), _sms_responses(), ids=lambda v: v if isinstance(v, str) and len(v) < 40 else "")
def test_every_assistant_reply_fits_two_sms_segments(name, language, template):
    text = _fill(template, language)
    if name in ("utter_search_summary", "utter_registration_summary"):
        text = template.format(summary=search_summary(LONG_SLOTS_EN if language == "en" else LONG_SLOTS, language, sms=True))
    assert fits_two_segments(text), f"{name} ({language}) is {units(text)} units: {text}"
    if language == "en" and name != "utter_arabizi_choice":  # that one is only sent to Arabic readers
        assert not ARABIC.search(text), f"Arabic inside the English {name}: {text}"
    if language == "az" and not name.startswith("utter_reunion") and template != _default(name):
        assert not ARABIC.search(template), f"Arabic letters inside the Arabizi {name}: {template}"


def _default(name: str) -> str | None:
    """The Arabic default of a response (what an Arabizi reader gets where there is no Arabizi text)."""
    for path in [ROOT / "bot" / "assistant" / "domain.yml", *sorted((ROOT / "bot" / "assistant").glob("*/domain.yml"))]:
        for variant in (yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {}).get(name, []):
            if not variant.get("condition"):
                return variant["text"]
    return None


def test_an_arabizi_reader_gets_arabizi_for_the_menu_the_questions_the_summary_and_stopping():
    """The main menu, every form question, the confirmation, the off-topic line and stopping exist in Arabizi."""
    domain = yaml.safe_load((ROOT / "bot" / "assistant" / "domain.yml").read_text(encoding="utf-8"))["responses"]
    wanted = ["utter_greet", "utter_menu", "utter_help", "utter_out_of_scope", "utter_offer_person", "utter_ask_stop_confirm",
              "utter_stopped", "utter_search_summary", "utter_registration_summary", "utter_ask_search_consent",
              "utter_ask_which_field", *(name for name in domain if name.startswith("utter_ask_"))]
    for name in wanted:
        arabizi = [v["text"] for v in domain[name] if {"name": "language", "type": "slot", "value": "az"} in (v.get("condition") or [])]
        assert arabizi, f"{name} has no Arabizi text"
        assert not ARABIC.search(arabizi[0]) and is_arabizi(arabizi[0]), arabizi[0]
    summary = search_summary(LONG_SLOTS | {"governorate": "حمص", "person_name": "Ahmad Kassem"}, "az", sms=True)
    assert "Homs" in summary and "حمص" not in summary and "Ahmad Kassem" in summary
    assert all(GATEWAY_TEXTS[key].get("az") and not ARABIC.search(GATEWAY_TEXTS[key]["az"]) for key in GATEWAY_TEXTS)


@pytest.mark.parametrize("key", sorted(GATEWAY_TEXTS))
def test_every_gateway_text_fits_and_english_has_no_arabic(key):
    for language, text in GATEWAY_TEXTS[key].items():
        assert fits_two_segments(text), (key, language, units(text))
    assert not ARABIC.search(GATEWAY_TEXTS[key]["en"])


@pytest.mark.parametrize("key", sorted(REUNION_TEXTS))
def test_every_reunion_text_fits_with_long_names(key):
    """Arabic, English and Arabizi; the Arabizi filled with Arabic-letter names (UCS-2: the tightest case)."""
    for language in ("ar", "en", "az"):
        text = _fill(template(key, language), language)
        assert fits_two_segments(text), (key, language, units(text), text)
    assert set(REUNION_ARABIZI) == set(REUNION_TEXTS)


def test_the_consent_question_names_the_searcher_from_the_survivors_side():
    mother = render("consent_request", "ar", searcher="سوسن", relationship=role_label("mother", "ar", to_survivor=True))
    assert "سوسن (والدتك)" in mother and "يبحث" not in mother  # neither reversed nor masculine
    english = render("consent_request", "en", searcher="Sawsan", relationship=role_label("mother", "en", to_survivor=True))
    assert english.startswith("Sawsan (your mother) is looking for you")
    assert all(role_label(role, "en", to_survivor=True).startswith(("your", "a relative")) for role in ROLES)


def test_the_sms_summary_keeps_every_field_and_cuts_only_names():
    summary = search_summary(LONG_SLOTS, "ar", sms=True)
    assert "1982" in summary and "ريف دمشق" in summary and "…" in summary
    english = search_summary(LONG_SLOTS | {"governorate": "حمص"}, "en", sms=True)
    assert "Homs" in english and "حمص" not in english
