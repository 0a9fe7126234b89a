"""The README stays true: two setup commands, and every setting documented."""

from __future__ import annotations

import re
from pathlib import Path

from shaml.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SETTINGS_SOURCE = (ROOT / "shaml" / "settings.py").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme_table():
    variables = set(re.findall(r'"((?:SHAML|TWILIO)_[A-Z_]+)"', SETTINGS_SOURCE))
    assert len(variables) == len(Settings.__dataclass_fields__)
    documented = set(re.findall(r"^\| `((?:SHAML|TWILIO)_[A-Z_]+)`", README, flags=re.M))
    assert variables == documented


def test_quick_start_names_exactly_the_two_commands():
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
