"""Twilio, for SMS and WhatsApp on one webhook URL: signature check first, then parse; sends via twilio 8.x."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlsplit

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels.base import (
    InboundMessage,
    Media,
    Outgoing,
    SendResult,
    StatusUpdate,
    WebRequest,
    storable_text,
)
from bot.contacts import AddressError, normalise_address
from bot.gateway.errors import BadWebhook, SendError, SignatureError, WebhookError

log = logging.getLogger(__name__)

# The twilio library logs every request (with the recipient's number) at INFO; keep it quiet.
_twilio_log = logging.getLogger("shaml.twilio_http")
_twilio_log.setLevel(logging.WARNING)

#: Twilio's message statuses, mapped to ours. Ours never go backwards (see bot.gateway.status).
STATUS_MAP = {
    "accepted": "accepted",
    "scheduled": "accepted",
    "queued": "accepted",
    "sending": "accepted",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "undelivered": "undelivered",
    "canceled": "failed",
}

#: Twilio error codes that will not succeed on retry and what they mean (for logs).
PERMANENT_CODES = {
    "21610": "recipient unsubscribed (replied STOP)",
    "63016": "outside WhatsApp's 24-hour window; a template is required",
    "21211": "invalid 'To' number",
    "21614": "'To' number cannot receive SMS",
    "63003": "recipient is not a WhatsApp user",
}

#: Twilio refusals for geography or permissions: it will never carry this destination (Twilio stopped
#: delivering to Syria on 15 September 2025). A "route unavailable": the next route is tried, no retries.
ROUTE_UNAVAILABLE_CODES = {
    "21408": "Twilio may not send to this region (geographic permission)",
    "21612": "Twilio cannot reach this number from our sender",
    "60605": "Twilio does not deliver to this country",
}

#: The longest body Twilio accepts in one message.
MAX_BODY = 1600

#: What Twilio posts; anything else is refused (415) before the signature is even looked at.
FORM_TYPE = "application/x-www-form-urlencoded"
#: A message SID: printable ASCII without spaces, at most 64 (Twilio's are 34 letters and digits).
_SID = re.compile(r"^[\x21-\x7e]{1,64}$")
#: A Twilio error code is a number; the column holds 20 characters.
_ERROR_CODE = re.compile(r"^[A-Za-z0-9]{1,20}$")
#: Inbound fields the gateway reads; a signed form naming one twice is ambiguous and refused.
_READ_ONCE = ("MessageSid", "SmsMessageSid", "From", "Body", "NumMedia")


def _content_type(request: WebRequest) -> None:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != FORM_TYPE:
        shown = repr(media_type[:60]) if media_type else "missing"
        raise WebhookError(415, f"Content-Type is {shown}, not {FORM_TYPE}")


class _FormDict(dict):
    """A dict of lists that RequestValidator reads through ``getlist`` (repeated keys are signed)."""

    def getlist(self, key: str) -> list[str]:
        return list(self[key])


def _signed_params(pairs: list[tuple[str, str]]) -> _FormDict:
    params = _FormDict()
    for key, value in pairs:
        params.setdefault(key, []).append(value)
    return params


class RedirectingHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, sending to ``api_url`` instead of Twilio's hosts (tests, local fakes)."""

    def __init__(self, api_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout, logger=_twilio_log)
        self.api_url = api_url.rstrip("/")

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False) -> Response:  # type: ignore[no-untyped-def]
        """Rewrite the scheme and host of ``url`` to the configured base URL, then send as usual."""
        if self.api_url:
            parts = urlsplit(url)
            url = self.api_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().request(method, url, params, data, headers, auth, timeout, allow_redirects)


class TwilioChannel:
    """SMS and WhatsApp through Twilio. Holds the auth token; never logs it or a phone number."""

    serves = ("whatsapp", "sms")
    provider = "twilio"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        public_url: str,
        api_url: str = "",
        sms_from: str = "",
        whatsapp_from: str = "",
        timeout: float = 15.0,
    ) -> None:
        self.public_url = public_url.rstrip("/")
        self.sms_from = sms_from
        self.whatsapp_from = whatsapp_from
        self._validator = RequestValidator(auth_token)
        self._has_token = bool(auth_token)
        self._client: Client | None = None
        self._client_args = (account_sid, auth_token, api_url, timeout)

    def __repr__(self) -> str:
        return f"TwilioChannel(public_url={self.public_url!r})"

    # -- webhooks -------------------------------------------------------------------------------

    def verify(self, request: WebRequest) -> list[tuple[str, str]]:
        """Check ``X-Twilio-Signature`` over public URL + path and the raw form; return the form pairs.

        Nothing is parsed for use before this passes. Raises :class:`SignatureError`, or a 415
        :class:`WebhookError` for a body that is not a form at all.
        """
        _content_type(request)
        signature = request.headers.get("x-twilio-signature", "")
        if not signature:
            raise SignatureError("missing X-Twilio-Signature")
        if not self._has_token:
            raise SignatureError("TWILIO_AUTH_TOKEN is not set; cannot verify webhooks")
        try:
            text = request.body.decode("utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            raise SignatureError(f"webhook body is not UTF-8 (byte {exc.start}); cannot verify it") from None
        try:
            # Empty values are kept (Twilio signs them too); a percent-encoded byte that is not UTF-8
            # is refused rather than replaced, so no text nobody sent is ever stored.
            pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            raise SignatureError("a percent-encoded value in the webhook form is not UTF-8; cannot verify it") from None
        url = self.public_url + request.path + (f"?{request.query}" if request.query else "")
        if not self._validator.validate(url, _signed_params(pairs), signature):
            raise SignatureError("X-Twilio-Signature does not match")
        return pairs

    def receive(self, request: WebRequest) -> InboundMessage:
        """Verify, then read an inbound SMS or WhatsApp message (channel from the ``whatsapp:`` prefix)."""
        pairs = self.verify(request)
        names = [name for name, _ in pairs]
        repeated = [name for name in _READ_ONCE if names.count(name) > 1]
        if repeated:
            raise BadWebhook(f"signed webhook repeats the field(s) {', '.join(repeated)}")
        form = dict(pairs)
        sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
        if not sid:
            raise BadWebhook("webhook has no MessageSid")
        if not _SID.match(sid):
            raise BadWebhook(f"MessageSid of {len(sid)} characters is not 1-64 printable ASCII characters")
        raw_from = form.get("From", "")
        channel = "whatsapp" if raw_from.lower().startswith("whatsapp:") else "sms"
        try:
            address = normalise_address(raw_from)
        except AddressError as exc:
            raise BadWebhook(f"malformed From on {channel} message: {exc}") from None
        media = []
        try:
            count = int(form.get("NumMedia", "0") or 0)
        except ValueError:
            raise BadWebhook("NumMedia is not a number") from None
        for i in range(min(count, 10)):
            url = form.get(f"MediaUrl{i}", "")
            if url:
                content_type = form.get(f"MediaContentType{i}", "")
                media.append(Media(url=storable_text(url), content_type=storable_text(content_type)))
        # The form was strict UTF-8, so no surrogate can be in it; a NUL is stored as U+FFFD, not lost.
        return InboundMessage(
            channel=channel, address=address, provider_id=sid, body=storable_text(form.get("Body", "")),
            media=tuple(media), provider="twilio",
        )

    def status(self, request: WebRequest) -> StatusUpdate:
        """Verify, then read a delivery status callback."""
        form = dict(self.verify(request))
        sid = form.get("MessageSid") or form.get("SmsSid") or ""
        raw_status = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
        if not sid or raw_status not in STATUS_MAP:
            raise BadWebhook(f"status callback without a MessageSid or with unknown status {raw_status[:40]!r}")
        if not _SID.match(sid):
            raise BadWebhook(f"status callback MessageSid of {len(sid)} characters is not 1-64 printable ASCII characters")
        error_code = form.get("ErrorCode") or None
        if error_code is not None and not _ERROR_CODE.match(error_code):
            raise BadWebhook(f"status callback ErrorCode of {len(error_code)} characters is not 1-20 letters or digits")
        return StatusUpdate(provider_id=sid, status=STATUS_MAP[raw_status], error_code=error_code)

    # -- sending --------------------------------------------------------------------------------

    @property
    def client(self) -> Client:
        """The twilio REST client, pointed at ``SHAML_TWILIO_API_URL`` when set."""
        if self._client is None:
            sid, token, api_url, timeout = self._client_args
            if not sid or not token:
                raise SendError("TWILIO_ACCOUNT_SID or TWILIO_AUTH_TOKEN is not set", retryable=False)
            self._client = Client(sid, token, http_client=RedirectingHttpClient(api_url, timeout))
        return self._client

    def _address(self, channel: str, number: str) -> str:
        return f"whatsapp:{number}" if channel == "whatsapp" else number

    def send(self, message: Outgoing) -> SendResult:
        """Send one SMS or WhatsApp message (or template). Raises :class:`SendError` with ``retryable``."""
        sender = self.whatsapp_from if message.channel == "whatsapp" else self.sms_from
        if not sender:
            raise SendError(f"no sender configured for {message.channel}", retryable=False)
        kwargs: dict[str, object] = {"to": self._address(message.channel, message.address)}
        if sender.startswith("MG"):
            kwargs["messaging_service_sid"] = sender
        else:
            kwargs["from_"] = self._address(message.channel, sender)
        if message.template_sid:
            kwargs["content_sid"] = message.template_sid
            if message.template_variables:
                kwargs["content_variables"] = message.template_variables
        else:
            kwargs["body"] = message.body[:MAX_BODY]
        if message.status_callback:
            kwargs["status_callback"] = message.status_callback
        try:
            created = self.client.messages.create(**kwargs)  # type: ignore[arg-type]
        except TwilioRestException as exc:
            raise _send_error(exc) from None
        except requests.Timeout:
            raise SendError("Twilio did not answer in time", code="timeout", retryable=True) from None
        except requests.ConnectionError:
            raise SendError("could not connect to Twilio", code="connection", retryable=True) from None
        return SendResult(provider_id=str(created.sid), status=STATUS_MAP.get(str(created.status), "accepted"))


def _send_error(exc: TwilioRestException) -> SendError:
    code = str(exc.code) if exc.code is not None else None
    if exc.status == 429 or exc.status >= 500:
        return SendError(f"Twilio answered HTTP {exc.status}", code=code or str(exc.status), retryable=True)
    if code in ROUTE_UNAVAILABLE_CODES:
        return SendError(ROUTE_UNAVAILABLE_CODES[code], code=code, retryable=False, route_unavailable=True)
    if code in PERMANENT_CODES:
        return SendError(PERMANENT_CODES[code], code=code, retryable=False, loggable=code not in {"21610"})
    return SendError(f"Twilio refused the message (HTTP {exc.status})", code=code or str(exc.status), retryable=False)
