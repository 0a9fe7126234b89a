"""Waits in words: Arabic plural forms, and minutes that become hours and days (issue 18)."""

from __future__ import annotations

import pytest

from console.durations import arabic_count, wait_text
from console.i18n import label


@pytest.mark.parametrize(
    ("n", "text"),
    [(1, "دقيقة واحدة"), (2, "دقيقتان"), (3, "3 دقائق"), (9, "9 دقائق"), (10, "10 دقائق"), (11, "11 دقيقة"),
     (59, "59 دقيقة"), (100, "100 دقيقة"), (103, "103 دقائق"), (111, "111 دقيقة")],
)
def test_arabic_minutes_take_the_right_plural(n: int, text: str) -> None:
    assert arabic_count(n, "minute") == text


@pytest.mark.parametrize(
    ("minutes", "ar", "en"),
    [(0, "أقل من دقيقة", "< 1 min"), (9, "9 دقائق", "9 min"), (60, "ساعة واحدة", "1 h"),
     (125, "ساعتان ودقائق 5".replace("ودقائق 5", "و5 دقائق"), "2 h 5 min"), (600, "10 ساعات", "10 h"),
     (47 * 60, "47 ساعة", "47 h"), (3 * 24 * 60 + 120, "3 أيام وساعتان", "3 d 2 h"), (None, "—", "—")],
)
def test_waits_grow_into_hours_and_days(minutes: int | None, ar: str, en: str) -> None:
    assert wait_text(minutes, "ar") == ar
    assert wait_text(minutes, "en") == en


def test_audit_codes_are_translated_and_unknown_codes_show_as_themselves() -> None:
    assert label("ar", "act_", "registry_search") == "بحث في السجل"
    assert label("en", "act_", "registry_search") == "registry search"
    assert label("ar", "kind_", "system") == "النظام"
    assert label("ar", "subj_", "operator") == "مشغّل"
    assert label("ar", "act_", "something_new") == "something_new"


@pytest.mark.parametrize("peak", [158, 4_321, 999_999])
def test_chart_values_of_six_digits_fit_beside_the_longest_bar(peak: int) -> None:
    from console.i18n import translator
    from console.render import env
    from console.stats import bars

    chart_bars, height = bars({"confirmed": peak, "rejected": 3})
    for direction in ("ltr", "rtl"):
        svg = env.get_template("chart.svg").render(chart_bars=chart_bars, chart_height=height, prefix="ms_",
                                                    chart_id="c", dir=direction, t=translator("en"))
        import re

        texts = re.findall(r'<text x="([\d.]+)"[^>]*text-anchor="(start|end)"[^>]*>(\d+)</text>', svg)
        assert texts, svg
        for x, anchor, value in texts:
            width = 7.5 * len(value)  # 12 px digits are at most 7.5 px wide
            left, right = (float(x), float(x) + width) if anchor == "start" else (float(x) - width, float(x))
            assert 0 <= left and right <= 360, (direction, value, x)
