"""Waits and counts in words: Arabic plural forms and minutes that grow into hours and days."""

from __future__ import annotations

#: Arabic forms of a counted noun: (one, two, 3-10, 11 and more). Arabic counts take the
#: singular after 11-99 (accusative: يومًا), the plural after 3-10, and the last two digits rule
#: for 100 and above (103 ساعات, 111 ساعة, 100 ساعة).
_AR_FORMS = {
    "minute": ("دقيقة واحدة", "دقيقتان", "دقائق", "دقيقة"),
    "hour": ("ساعة واحدة", "ساعتان", "ساعات", "ساعة"),
    "day": ("يوم واحد", "يومان", "أيام", "يومًا"),
}
_EN_UNITS = {"minute": "min", "hour": "h", "day": "d"}


def arabic_count(n: int, unit: str) -> str:
    """``n`` units in correct Arabic: دقيقة واحدة، دقيقتان، 3 دقائق، 11 دقيقة، 100 دقيقة، 103 دقائق."""
    one, two, few, many = _AR_FORMS[unit]
    if n == 1:
        return one
    if n == 2:
        return two
    last = n % 100
    if 3 <= last <= 10:
        return f"{n} {few}"
    return f"{n} {many}"


def wait_text(minutes: int | None, lang: str) -> str:
    """A wait for people: minutes under an hour, hours (and minutes) under two days, then days.

    ``wait_text(9, "ar") == "9 دقائق"``; ``wait_text(185, "en") == "3 h 5 min"``; None gives "—".
    """
    if minutes is None:
        return "—"
    minutes = max(0, int(minutes))
    parts: list[tuple[int, str]]
    if minutes < 60:
        parts = [(minutes, "minute")]
    elif minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        parts = [(hours, "hour")] + ([(rest, "minute")] if rest else [])
    else:
        days, rest = divmod(minutes, 24 * 60)
        hours = rest // 60
        parts = [(days, "day")] + ([(hours, "hour")] if hours else [])
    if lang == "ar":
        if parts == [(0, "minute")]:
            return "أقل من دقيقة"
        return " و".join(arabic_count(n, unit) for n, unit in parts)
    if parts == [(0, "minute")]:
        return "< 1 min"
    return " ".join(f"{n} {_EN_UNITS[unit]}" for n, unit in parts)
