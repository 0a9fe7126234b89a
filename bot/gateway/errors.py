"""Named gateway errors: what the web edge answers, and whether the queue should retry."""

from __future__ import annotations


class WebhookError(Exception):
    """A webhook the gateway refuses; ``http_status`` is what the caller gets, ``reason`` is for the log."""

    def __init__(self, http_status: int, reason: str) -> None:
        super().__init__(reason)
        self.http_status = http_status
        self.reason = reason


class SignatureError(WebhookError):
    """Missing or wrong ``X-Twilio-Signature``: 403, nothing is parsed or stored."""

    def __init__(self, reason: str) -> None:
        super().__init__(403, reason)


class BadWebhook(WebhookError):
    """A signed webhook that cannot be read (e.g. a malformed ``From``): 400 with the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(400, reason)


class SendError(Exception):
    """A failed send. ``retryable`` tells the outbox to back off and retry; ``code`` is the provider's.

    ``loggable`` is False when the failure is an ordinary outcome (the user opted out) rather than a
    fault worth a warning.

    ``wait`` marks a failure that is not the message's (a provider asking us to slow down, a gateway
    phone offline, a SIM's pace reached): it is retried after ``retry_after`` seconds (or the back-off)
    for as long as it takes, without using up the message's attempts. ``route_unavailable`` marks a
    provider that will never carry this destination (Twilio to Syria): the outbox tries the next
    route. ``opt_out`` marks a person who blocked us (Telegram's 403): no more messages to them.
    """

    def __init__(
        self,
        reason: str,
        *,
        code: str | None = None,
        retryable: bool,
        loggable: bool = True,
        wait: bool = False,
        retry_after: float | None = None,
        route_unavailable: bool = False,
        opt_out: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.retryable = retryable or wait
        self.loggable = loggable
        self.wait = wait
        self.retry_after = retry_after
        self.route_unavailable = route_unavailable
        self.opt_out = opt_out


class DialogueError(Exception):
    """Rasa did not answer a turn; ``retryable`` is True for timeouts, refused connections and 5xx.

    ``unreachable`` means the turn never reached Rasa (the connection was refused): Rasa is down,
    not troubled by this message, so the wait does not use up the message's attempts.
    """

    def __init__(self, reason: str, *, retryable: bool, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.unreachable = unreachable
