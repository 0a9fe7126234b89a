"""Every word the console shows exists in Arabic and English, including keys built from data values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.contacts import ESCALATION_REASONS
from bot.models import CHANNELS, PROVIDERS
from console.auth import ROLES
from console.conversations import OUTCOMES
from console.i18n import STRINGS, row_problem, translator
from console.routes.reviews import FIELDS

TEMPLATES = Path(__file__).resolve().parents[2] / "console" / "templates"
SOURCES = Path(__file__).resolve().parents[2] / "console"

#: Keys templates build from data: prefix -> every value the data can hold.
DYNAMIC = {
    "reason_": ESCALATION_REASONS,
    "ch_": CHANNELS,
    "prov_": PROVIDERS,
    "outcome_": OUTCOMES,
    "role_": ROLES,
    "reads_": ("ar", "en"),
    "author_": ("user", "bot", "operator", "system"),
    "st_": ("queued", "sending", "waiting", "accepted", "sent", "delivered", "read", "undelivered", "failed"),
    "ms_": ("review", "awaiting_consent", "confirmed", "rejected", "shared", "safe_only", "declined", "notified",
            "operator", "relay", "vetting", "closed"),
    "corr_": ("none", "partner", "operators", "family"),
    "dec_": ("match", "review", "no_match"),
    "est_": ("agree", "differs", "unknown"),
    "rs_": ("pending_verification", "held", "active", "withdrawn"),
    "sp_": ("share_number", "safe_only", "nobody"),
    "bs_": ("running", "done", "failed"),
    "phone_": ("family", "survivor", "family_telegram", "survivor_sms"),
    "via_": ("telegram", "sms"),
    "ss_": ("open", "matched", "closed"),
    "msg_": tuple(f"in:{s}" for s in ("received", "processing", "processed", "failed"))
    + tuple(f"out:{s}" for s in ("queued", "sending", "waiting", "accepted", "sent", "delivered", "read", "undelivered",
                                 "failed")),
}


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in TEMPLATES.iterdir():
        keys |= set(re.findall(r"""\bt\(["']([a-z_0-9]+)["']""", path.read_text(encoding="utf-8")))
    for path in SOURCES.rglob("*.py"):
        keys |= set(re.findall(r'"((?:err|login)_[a-z_]+)"', path.read_text(encoding="utf-8")))
    keys |= {label for label, *_ in FIELDS}
    return keys


def test_every_static_key_is_translated() -> None:
    keys = used_keys()
    missing = sorted(k for k in keys if not k.endswith("_") and k not in STRINGS)
    assert missing == []
    # A key built from data (``t("reason_" ~ r.reason)``) needs its values listed in DYNAMIC.
    prefixes = {k for k in keys if k.endswith("_")} - {"err_"}
    assert prefixes <= set(DYNAMIC)


@pytest.mark.parametrize("prefix", sorted(DYNAMIC))
def test_every_dynamic_key_is_translated(prefix: str) -> None:
    missing = [prefix + v for v in DYNAMIC[prefix] if prefix + v not in STRINGS]
    assert missing == []


def test_both_languages_are_written() -> None:
    arabic = re.compile("[\u0600-\u06ff]")
    for key, (ar, en) in STRINGS.items():
        assert ar and en, key
        assert arabic.search(ar), f"{key}: the Arabic text has no Arabic"
        assert not arabic.search(en), f"{key}: the English text has Arabic"


def test_translator_formats_and_falls_back() -> None:
    assert translator("ar")("results", n=5) == "النتائج: 5"
    assert translator("en")("results", n=5) == "Results: 5"
    assert translator("en")("no_such_key") == "no_such_key"


@pytest.mark.parametrize(
    ("reason", "arabic"),
    [("has 3 fields; the header has 5", "في السطر 3 حقلاً، وفي سطر العناوين 5"),
     ("no name: full_name and first/father/family name are all empty", "لا يوجد اسم في هذا السطر"),
     ("birth_year '19x0' is not a four-digit year", "سنة الميلاد ليست أربعة أرقام"),
     ("birth_year 3000 is outside 1900..2026", "سنة الميلاد 3000 غير معقولة"),
     ("record_id 'a1' appears again on line 9; that row is kept", "رقم السجل مكرر في السطر 9، والسطر الأخير هو المعتمد"),
     ("not valid UTF-8 text (save the file as UTF-8)", "النص ليس بترميز UTF-8"),
     ("something new", "something new")],
)
def test_import_refusals_are_explained_in_arabic(reason: str, arabic: str) -> None:
    assert row_problem(reason, "ar") == arabic
    assert row_problem(reason, "en") == reason
