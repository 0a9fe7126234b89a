"""One plain sentence per review candidate, from the matcher's explanation, in Arabic or English."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_FIELD_NAMES = {
    "father": ("اسم الأب", "father"),
    "mother": ("اسم الأم", "mother"),
    "birth_year": ("سنة الميلاد", "birth year"),
    "governorate": ("المحافظة", "governorate"),
}


def _years_ar(n: int) -> str:
    if n == 1:
        return "بسنة واحدة"
    if n == 2:
        return "بسنتين"
    return f"بـ{n} سنوات" if 3 <= n % 100 <= 10 else f"بـ{n} سنة"


def _join(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    if lang == "ar":
        return " و".join(items)  # Arabic repeats و before every item
    return ", ".join(items[:-1]) + " and " + items[-1]


def field_state(explanation: Mapping[str, Any], key: str) -> str:
    """agree / conflict / partial / unknown for one field of an explanation ("names" included)."""
    if key == "names":
        names = explanation.get("names") or {}
        if not names:
            return "unknown"
        return "agree" if names.get("given_agrees") and names.get("family_agrees") else "partial"
    status = str((explanation.get(key) or {}).get("status") or "unknown")
    return {"differs": "conflict", "close": "partial"}.get(status, status)


def plain_summary(explanation: Mapping[str, Any], lang: str) -> str:
    """``same name and father, birth year differs by 1, mother not given`` — agreements first,
    then differences, then what nobody stated. Never more than the two sides already show."""
    ar = lang == "ar"
    i = 0 if ar else 1
    same: list[str] = []
    clauses: list[str] = []
    if field_state(explanation, "names") == "agree":
        same.append("الاسم" if ar else "name")
    else:
        clauses.append("الاسم يتطابق جزئيًا فقط" if ar else "name agrees only in part")
    missing: list[str] = []
    for key in ("father", "mother", "birth_year", "governorate"):
        info = explanation.get(key) or {}
        state = field_state(explanation, key)
        label = _FIELD_NAMES[key][i]
        if state == "agree":
            q, r = info.get("query"), info.get("record")
            if key == "birth_year" and isinstance(q, int) and isinstance(r, int) and q != r:
                gap = abs(q - r)
                clauses.append(f"سنة الميلاد تختلف {_years_ar(gap)}" if ar else f"birth year differs by {gap}")
            else:
                same.append(label)
        elif state == "conflict":
            q, r = info.get("query"), info.get("record")
            if key == "birth_year" and isinstance(q, int) and isinstance(r, int):
                gap = abs(q - r)
                clauses.append(f"سنة الميلاد تختلف {_years_ar(gap)}" if ar else f"birth year differs by {gap}")
            else:
                clauses.append(f"اختلاف في {label}" if ar else f"{label} differs")
        elif state == "partial":
            clauses.append(f"تقارب في {label}" if ar else f"{label} is close")
        elif key != "governorate":
            if info.get("query") in (None, ""):
                missing.append(label)
            else:
                clauses.append(f"لا يذكر السجل {label}" if ar else f"{label} not on the record")
    out = []
    if same:
        out.append(("يتطابق " + _join(same, lang)) if ar else ("same " + _join(same, lang)))
    out += clauses
    if missing:
        out.append(f"لم تذكر العائلة {_join(missing, lang)}" if ar else f"{_join(missing, lang)} not given")
    return ("، " if ar else ", ").join(out)
