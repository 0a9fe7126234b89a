"""`shaml rasa` configures Rasa's logging: at INFO, Rasa's debug events (each message's text and
every slot) are not written. Run in a child process, since logging and structlog are global."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import ROOT

_SCRIPT = textwrap.dedent(
    """
    import logging, sys
    import structlog
    from shaml.commands.assistant import configure_rasa_logging

    configure_rasa_logging(sys.argv[1])
    log = structlog.get_logger("rasa.core.processor")
    log.debug("processor.slots.log", slot_values="person_name: مهند أيهم الزين")
    log.info("processor.model.loaded", model="shaml.tar.gz")
    logging.getLogger("rasa.core.agent").debug("tracker text: مرحبا، بدي دور على ابني")
    token = "rasa-token-7f3a"  # a local variable of the frame that failed
    try:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    except ConnectionError:
        log.exception("rest.message.received.failure", text="Abdo Shaaban Al-Fares", sender_id="276")
    import rasa.core.tracker_store as tracker_store
    kwargs = tracker_store.create_engine_kwargs("postgresql://shaml@127.0.0.1/shaml")
    print("tracker store hide_parameters:", kwargs.get("hide_parameters"))
    """
)


def _run(level: str) -> str:
    done = subprocess.run([sys.executable, "-c", _SCRIPT, level], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=True)
    return done.stdout + done.stderr


def test_at_info_rasa_writes_no_debug_event_and_no_message_text():
    out = _run("INFO")
    assert "processor.model.loaded" in out
    # an error is still written, with what happened and to which conversation, not what was said
    assert "rest.message.received.failure" in out and '"sender_id": "276"' in out
    assert "Connection refused" in out
    assert "Abdo" not in out
    assert "rasa-token-7f3a" not in out
    # the SQL tracker store's errors carry the conversation's events as parameters: hidden
    assert "tracker store hide_parameters: True" in out
    assert "processor.slots.log" not in out
    assert "مهند" not in out
    assert "بدي دور" not in out


def test_at_debug_an_engineer_still_sees_them():
    out = _run("DEBUG")
    assert "processor.slots.log" in out  # structlog's JSON, with the name \u-escaped
    assert "بدي دور على ابني" in out
    assert "Abdo Shaaban Al-Fares" in out
    assert "rasa-token-7f3a" not in out  # tracebacks never show local variables
