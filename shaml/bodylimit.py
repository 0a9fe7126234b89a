"""Request body limits: the web service never holds more of a request body than its route allows.

:class:`BodyLimit` is pure ASGI middleware around the whole web service (gateway and console). A
request whose ``Content-Length`` is over its limit is answered 413 before one byte of the body is
read. A body without ``Content-Length`` (chunked) is counted as it streams: the moment it passes
the limit, the middleware answers the same 413 itself and tells the app the client went away, so
at most the limit is ever buffered, whatever the route does with its body. Every 413 closes the
connection, so the rest of the body is not read either. The log line names the method, path,
limit and what was seen, never the body.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

#: Largest webhook body (bytes), for Twilio and the simulator. A Twilio form is a few KB; even a
#: 4,096-character WhatsApp message of emoji, percent-encoded, stays under 50 KB.
MAX_WEBHOOK_BODY = 64 * 1024
#: Largest body of any other request (bytes): the console's forms are a few KB.
MAX_FORM_BODY = 1024 * 1024

#: Sent with every 413: the unread rest of the body is not read (or waited for) on this connection.
CLOSE = {"Connection": "close"}


def plain_refusal(path: str, limit: int) -> Response:
    """The 413 for machines (webhooks, health checks): one plain sentence naming the limit."""
    return PlainTextResponse(
        f"request body too large: at most {limit} bytes are accepted here", status_code=413, headers=dict(CLOSE)
    )


@dataclass(frozen=True)
class Rule:
    """Requests whose path starts with ``prefix`` may send at most ``limit`` bytes of body.

    ``refuse(path, limit)`` builds the 413 (:func:`plain_refusal` when None).
    """

    prefix: str
    limit: int
    refuse: Callable[[str, int], Response] | None = None


def _shown(path: str) -> str:
    """The path for a log line: at most 200 characters, control characters escaped."""
    return repr(path[:200])[1:-1]


class BodyLimit:
    """Refuses request bodies over the limit of the longest matching :class:`Rule` (else ``default``)."""

    def __init__(self, app: ASGIApp, *, rules: Sequence[Rule], default: int = MAX_FORM_BODY) -> None:
        self.app = app
        self.rules = sorted(rules, key=lambda r: len(r.prefix), reverse=True)
        self.default = Rule("", default)

    def rule_for(self, path: str) -> Rule:
        """The rule for ``path``: the longest prefix that matches."""
        return next((r for r in self.rules if path.startswith(r.prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        method = str(scope.get("method", ""))
        rule = self.rule_for(path)
        refusal = rule.refuse or plain_refusal
        declared: int | None = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    log.warning("%s %s refused (400): Content-Length is not a whole number", method, _shown(path))
                    response: Response = PlainTextResponse(
                        "bad request: Content-Length is not a whole number", status_code=400, headers=dict(CLOSE)
                    )
                    await response(scope, receive, send)
                    return
        if declared is not None and declared > rule.limit:
            log.warning(
                "%s %s refused (413): Content-Length %d is over the %d-byte limit; the body was not read",
                method, _shown(path), declared, rule.limit,
            )
            await refusal(path, rule.limit)(scope, receive, send)
            return

        seen = 0
        started = False
        refused = False

        async def limited_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out; whatever the app answers to the "disconnect" is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        async def limited_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > rule.limit:
                    log.warning(
                        "%s %s refused (413): the body passed the %d-byte limit while streaming (%s); "
                        "the rest was not read",
                        method, _shown(path), rule.limit,
                        "no Content-Length" if declared is None else f"Content-Length {declared}",
                    )
                    if not started:
                        await refusal(path, rule.limit)(scope, receive, send)
                    refused = True
                    return {"type": "http.disconnect"}
            return message

        try:
            await self.app(scope, limited_receive, limited_send)
        except Exception as exc:
            if not refused:
                raise
            # The app saw the client "disconnect" mid-body and gave up; the 413 was already sent.
            log.debug("%s %s: after the 413 the app stopped with %s", method, _shown(path), type(exc).__name__)
