"""`shaml demo --script` plays the whole journey through the real stack and exits 0 (issue 8): since issue 13
a family in Syria on Telegram and a released detainee on the SMS gateway phone, zero requests to Twilio."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_scripted_journey_completes(tmp_path):
    web, rasa, actions = _free_port(), _free_port(), _free_port()
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("SHAML_", "TWILIO_"))
    } | {
        "SHAML_VAR_DIR": str(tmp_path / "var"),  # the demo's own SQLite database
        "SHAML_PUBLIC_URL": f"http://127.0.0.1:{web}",
        "SHAML_RASA_URL": f"http://127.0.0.1:{rasa}",
        "SHAML_ACTIONS_URL": f"http://127.0.0.1:{actions}/webhook",
        "SHAML_REDIS_PREFIX": f"shaml-demo-test-{uuid.uuid4().hex[:8]}:",
    }
    result = subprocess.run(
        [sys.executable, "-m", "shaml", "demo", "--script"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    log = tmp_path / "var" / "demo-script.log"
    detail = result.stdout[-4000:] + result.stderr[-2000:] + (log.read_text()[-3000:] if log.exists() else "")
    assert result.returncode == 0, detail
    out = result.stdout
    assert "=== family (telegram " in out and "=== detainee (sms +963" in out and "=== volunteer (sms +963" in out
    assert "journey complete" in out
    assert "requests that reached the fake Twilio: 0\n" in out
    family_part = out.split("=== family", 1)[1].split("=== detainee", 1)[0]
    detainee_part = out.split("=== detainee", 1)[1].split("=== volunteer", 1)[0]
    volunteer_part = out.split("=== volunteer", 1)[1].split("requests that reached", 1)[0]
    volunteer = out.split("=== volunteer (sms ", 1)[1].split(")", 1)[0]
    # The family, on Telegram, received the callback number only after the detainee chose to share it.
    assert volunteer in family_part
    # The code reached the volunteer's phone by SMS through the gateway; the detainee typed it.
    code = re.search(r"bot \| .*?(\d{6})", volunteer_part)
    assert code and f"me  | {code.group(1).translate({0x0660 + i: str(i) for i in range(10)})}" in detainee_part
    # Each was told on their own channel: the detainee by SMS, that his number went to the family.
    assert "أرسلنا رقمك إلى" in detainee_part
