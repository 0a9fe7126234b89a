"""Secrets and numbers stay out of logs, on the happy path and on every error path, at DEBUG level."""

from __future__ import annotations

import logging

import pytest

from tests.fakes.twilio import AUTH_TOKEN, inbound_form, sign, signed_webhook
from tests.gateway.conftest import PUBLIC_URL, RASA_TOKEN, run_worker

NUMBER = "+963944555666"


@pytest.mark.parametrize(
    "label, break_it",
    [
        ("happy path", lambda rasa, twilio: None),
        ("Rasa failing", lambda rasa, twilio: rasa.fail_next(500, times=10)),
        ("Twilio refusing our credentials", lambda rasa, twilio: setattr(twilio, "auth_token", "other")),
        ("Twilio failing then unsubscribed", lambda rasa, twilio: (twilio.fail_next(500), twilio.fail_next(400, 21610))),
    ],
)
def test_tokens_and_numbers_never_logged(label, break_it, client, gateway, fake_rasa, fake_twilio, caplog):  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    break_it(fake_rasa, fake_twilio)
    logging.getLogger("test").debug("settings %r gateway %r", client.app.state.settings, gateway)
    body, headers = signed_webhook(PUBLIC_URL, "/twilio/inbound", inbound_form(from_=NUMBER, body="مرحبا"))
    assert client.post("/twilio/inbound", content=body, headers=headers).status_code == 200
    headers["X-Twilio-Signature"] = sign("wrong", PUBLIC_URL + "/twilio/inbound", {})
    assert client.post("/twilio/inbound", content=body, headers=headers).status_code == 403
    run_worker(gateway)
    gateway.dialogue.ready()
    for sid in list(fake_twilio.callbacks):
        fake_twilio.send_status(sid, "delivered", post=client.post)

    assert caplog.records, "nothing was logged, so nothing was checked"
    assert AUTH_TOKEN not in caplog.text
    assert RASA_TOKEN not in caplog.text
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert not [m for m in loud if NUMBER in m or NUMBER[1:] in m]
