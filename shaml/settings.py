"""Every Shaml setting: typed, commented, read from ``SHAML_``-prefixed environment variables."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

#: Where SMS Shaml starts to a bare number go when SHAML_SMS_ROUTES is unset: Twilio cannot deliver to
#: Syria, so +963 goes to the association's gateway phone (shaml.safety refuses it unconfigured).
DEFAULT_SMS_ROUTES = "+963=smsgate,*=twilio"


class SettingsError(ValueError):
    """A setting has an invalid value; the message is one line naming the variable."""


def _str(env: Mapping[str, str], name: str, default: str) -> str:
    return env.get(name, default).strip()


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise SettingsError(f"{name}={value} must be at least {minimum}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean (use true or false)")


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***, safe for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def _url(env: Mapping[str, str], name: str, default: str, schemes: tuple[str, ...]) -> str:
    value = _str(env, name, default)
    if not value:
        return value
    parts = urlsplit(value)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in schemes:
        raise SettingsError(
            f"{name}={mask_url(value)!r} must start with one of: {', '.join(schemes)}"
        )
    if scheme not in {"sqlite", "unix"} and not parts.netloc:
        raise SettingsError(f"{name}={mask_url(value)!r} has no host")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _str(env, name, default).upper() if name.endswith("LEVEL") else _str(env, name, default)
    if value not in choices:
        raise SettingsError(f"{name}={value!r} must be one of: {', '.join(choices)}")
    return value


def _json_object(env: Mapping[str, str], name: str, default: str) -> str:
    value = _str(env, name, default) or default
    try:
        parsed = json.loads(value)
    except ValueError:
        raise SettingsError(f"{name} is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise SettingsError(f"{name} must be a JSON object like {{\"1\": \"Shaml\"}}")
    return value


def _networks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    import ipaddress

    values = tuple(v.strip() for v in _str(env, name, "").split(",") if v.strip())
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise SettingsError(f"{name}: {value!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None
    return values


def _routes(env: Mapping[str, str], name: str, default: str) -> str:
    from bot.gateway.routes import RouteError, RouteTable

    value = _str(env, name, default) or default
    try:
        return str(RouteTable.parse(value))
    except RouteError as exc:
        raise SettingsError(f"{name}: {exc}") from None


def _secret(value: str) -> str:
    return "(set)" if value else "(empty)"


@dataclass(frozen=True)
class Settings:
    """A snapshot of the configuration. Build it with :meth:`from_env`; secrets never print."""

    var_dir: Path
    database_url: str = field(repr=False)
    redis_url: str = field(repr=False)
    redis_prefix: str
    rasa_url: str
    rasa_token: str = field(repr=False)
    actions_token: str = field(repr=False)
    actions_url: str
    public_url: str
    twilio_api_url: str
    twilio_account_sid: str
    twilio_auth_token: str = field(repr=False)
    log_level: str
    import_batch_size: int
    matcher_refresh_seconds: int
    demo: bool
    twilio_sms_from: str
    twilio_whatsapp_from: str
    twilio_template_sid: str
    twilio_template_variables: str
    rasa_timeout_seconds: int
    rate_limit_per_minute: int
    dedupe_ttl_seconds: int
    gateway_lock_seconds: int
    send_max_attempts: int
    retry_base_ms: int
    retry_max_ms: int
    sweep_seconds: int
    search_limit_per_day: int
    search_probe_limit: int
    search_cooldown_seconds: int
    consent_reminder_seconds: int
    consent_timeout_seconds: int
    code_ttl_seconds: int
    code_max_attempts: int
    list_news_delay_seconds: int
    reunion_poll_seconds: int
    trusted_proxies: tuple[str, ...]
    session_idle_seconds: int
    session_max_seconds: int
    console_require_mfa: bool
    data_keys: str = field(repr=False)
    blind_index_key: str = field(repr=False)
    keys_file: str
    bench_plaintext: bool
    retain_message_days: int
    retain_media_days: int
    retain_tracker_days: int
    retain_verification_days: int
    retain_closed_request_days: int
    retain_rate_key_seconds: int
    telegram_bot_token: str = field(repr=False, default="")
    telegram_webhook_secret: str = field(repr=False, default="")
    telegram_api_url: str = ""
    smsgate_api_url: str = ""
    smsgate_username: str = ""
    smsgate_password: str = field(repr=False, default="")
    smsgate_signing_key: str = field(repr=False, default="")
    smsgate_devices: str = ""
    smsgate_per_minute: int = 6
    sms_routes: str = DEFAULT_SMS_ROUTES

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and check every setting; raises :class:`SettingsError` with one clear line."""
        env = os.environ if env is None else env
        # Directory for the demo's SQLite file, logs and trained models.
        var_dir = Path(_str(env, "SHAML_VAR_DIR", "var")).resolve()
        return cls(
            var_dir=var_dir,
            # Registry, conversations and audit. PostgreSQL in production; SQLite for the demo.
            database_url=_url(
                env,
                "SHAML_DATABASE_URL",
                f"sqlite:///{var_dir / 'shaml.sqlite3'}",
                ("sqlite", "postgresql", "postgres"),
            ),
            # Dedupe keys, rate limits, job queues and Rasa's lock store.
            redis_url=_url(env, "SHAML_REDIS_URL", "redis://127.0.0.1:6379/0", ("redis", "rediss", "unix")),
            # Prefix of every Redis key Shaml writes, so several deployments can share a server.
            redis_prefix=_str(env, "SHAML_REDIS_PREFIX", "shaml:"),
            # The Rasa server's HTTP API (rasa run --enable-api).
            rasa_url=_url(env, "SHAML_RASA_URL", "http://127.0.0.1:5005", ("http", "https")),
            # Token for Rasa's HTTP API (rasa run --auth-token); its API is open without one.
            rasa_token=_str(env, "SHAML_RASA_TOKEN", ""),
            # Token Rasa sends the action server (a header); empty derives one from SHAML_RASA_TOKEN.
            actions_token=_str(env, "SHAML_ACTIONS_TOKEN", ""),
            # Rasa's action server (`shaml actions` listens on its port).
            actions_url=_url(env, "SHAML_ACTIONS_URL", "http://127.0.0.1:5055/webhook", ("http", "https")),
            # The address Twilio calls; webhook signatures are checked against it plus the path.
            public_url=_url(env, "SHAML_PUBLIC_URL", "http://127.0.0.1:8000", ("http", "https")).rstrip("/"),
            # Base URL of Twilio's REST API; empty uses the twilio library's own. Tests point it at a fake.
            twilio_api_url=_url(env, "SHAML_TWILIO_API_URL", "", ("http", "https")).rstrip("/"),
            # Twilio account (no SHAML_ prefix: Twilio's own variable names).
            twilio_account_sid=_str(env, "TWILIO_ACCOUNT_SID", ""),
            # Twilio auth token: signs webhooks and authenticates sends. Never logged.
            twilio_auth_token=_str(env, "TWILIO_AUTH_TOKEN", ""),
            # Log level of every Shaml process.
            log_level=_choice(
                env, "SHAML_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
            ),
            # Rows per transaction when importing a registry CSV (a crash loses at most one batch).
            import_batch_size=_int(env, "SHAML_IMPORT_BATCH_SIZE", 1000, minimum=1),
            # How often (seconds) a running matcher looks for registry changes.
            matcher_refresh_seconds=_int(env, "SHAML_MATCHER_REFRESH_SECONDS", 2, minimum=1),
            # Demo mode: opens the phone simulator without login and uses the fake Twilio.
            demo=_bool(env, "SHAML_DEMO", False),
            # Sender of outbound SMS: a Twilio number in E.164 (or a Messaging Service SID, MG…).
            twilio_sms_from=_str(env, "SHAML_TWILIO_SMS_FROM", "+15005550006"),
            # Sender of outbound WhatsApp messages: the Twilio WhatsApp number in E.164.
            twilio_whatsapp_from=_str(env, "SHAML_TWILIO_WHATSAPP_FROM", "+14155238886"),
            # Approved WhatsApp template (ContentSid, HX…) sent instead when the 24 h window is closed.
            twilio_template_sid=_str(env, "SHAML_TWILIO_TEMPLATE_SID", ""),
            # The template's variables as a JSON object, e.g. {"1": "Shaml"}; never personal data.
            twilio_template_variables=_json_object(env, "SHAML_TWILIO_TEMPLATE_VARIABLES", "{}"),
            # Seconds to wait for one Rasa turn before the message is retried later.
            rasa_timeout_seconds=_int(env, "SHAML_RASA_TIMEOUT_SECONDS", 10, minimum=1),
            # Messages a contact may send per minute; the rest are stored, flagged and shown to operators.
            rate_limit_per_minute=_int(env, "SHAML_RATE_LIMIT_PER_MINUTE", 20, minimum=1),
            # How long (seconds) a MessageSid is remembered in Redis to drop Twilio's repeated deliveries.
            dedupe_ttl_seconds=_int(env, "SHAML_DEDUPE_TTL_SECONDS", 172800, minimum=60),
            # Lifetime (seconds) of a per-contact processing lock; a dead worker's lock expires after it.
            gateway_lock_seconds=_int(env, "SHAML_GATEWAY_LOCK_SECONDS", 30, minimum=1),
            # Attempts at sending one outbound message (or one Rasa turn) before it fails for good; with the
            # default back-off, 12 attempts wait out about four minutes of outage.
            send_max_attempts=_int(env, "SHAML_SEND_MAX_ATTEMPTS", 12, minimum=1),
            # First back-off (milliseconds) after a retryable failure; it doubles at each attempt.
            retry_base_ms=_int(env, "SHAML_RETRY_BASE_MS", 2000, minimum=0),
            # Longest back-off (milliseconds): a provider outage is waited out at this pace, not slower.
            retry_max_ms=_int(env, "SHAML_RETRY_MAX_MS", 30000, minimum=0),
            # How often (seconds) a worker sweeps the database for messages left behind or due a retry.
            sweep_seconds=_int(env, "SHAML_SWEEP_SECONDS", 5, minimum=1),
            # Searches one contact may open in 24 hours; the next is refused kindly (against enumeration).
            search_limit_per_day=_int(env, "SHAML_SEARCH_LIMIT_PER_DAY", 5, minimum=1),
            # Searches in 24 hours for nearly the same name with other details before the contact is cooled down.
            search_probe_limit=_int(env, "SHAML_SEARCH_PROBE_LIMIT", 3, minimum=2),
            # How long (seconds) a contact suspected of enumeration may not search; an operator has it meanwhile.
            search_cooldown_seconds=_int(env, "SHAML_SEARCH_COOLDOWN_SECONDS", 86400, minimum=60),
            # Seconds a released person has to answer a consent question before the one reminder.
            consent_reminder_seconds=_int(env, "SHAML_CONSENT_REMINDER_SECONDS", 86400, minimum=1),
            # Seconds after the reminder before an unanswered consent question goes to an operator.
            consent_timeout_seconds=_int(env, "SHAML_CONSENT_TIMEOUT_SECONDS", 86400, minimum=1),
            # How long (seconds) a callback verification code stays valid.
            code_ttl_seconds=_int(env, "SHAML_CODE_TTL_SECONDS", 86400, minimum=60),
            # Wrong codes for one registration before it needs an operator.
            code_max_attempts=_int(env, "SHAML_CODE_MAX_ATTEMPTS", 5, minimum=1),
            # Seconds between a released list's match and the family's news (never with the search's reply).
            list_news_delay_seconds=_int(env, "SHAML_LIST_NEWS_DELAY_SECONDS", 900, minimum=0),
            # Longest pause (seconds) between two steps of the match worker when nothing wakes it.
            reunion_poll_seconds=_int(env, "SHAML_REUNION_POLL_SECONDS", 1, minimum=1),
            # Reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For the console believes.
            trusted_proxies=_networks(env, "SHAML_TRUSTED_PROXIES"),
            # Console session: logged out after this many seconds without a click (polling does not count).
            session_idle_seconds=_int(env, "SHAML_SESSION_IDLE_SECONDS", 3600, minimum=60),
            # Console session: logged out this many seconds after login, however active.
            session_max_seconds=_int(env, "SHAML_SESSION_MAX_SECONDS", 43200, minimum=300),
            # Console: every operator must enrol a TOTP second factor before using any page.
            console_require_mfa=_bool(env, "SHAML_CONSOLE_REQUIRE_MFA", False),
            # Telegram bot token from BotFather; it is in every Bot API URL, so it is never logged.
            telegram_bot_token=_str(env, "SHAML_TELEGRAM_BOT_TOKEN", ""),
            # Secret Telegram sends back in X-Telegram-Bot-Api-Secret-Token (set by `shaml telegram set-webhook`).
            telegram_webhook_secret=_str(env, "SHAML_TELEGRAM_WEBHOOK_SECRET", ""),
            # Bot API server root; empty means Telegram's own. Requests go to {root}/bot{token}/{method}.
            telegram_api_url=_url(env, "SHAML_TELEGRAM_API_URL", "", ("http", "https")).rstrip("/"),
            # The SMS gateway phone's API (local mode: http://PHONE:8080; cloud/private: …/3rdparty/v1).
            smsgate_api_url=_url(env, "SHAML_SMSGATE_API_URL", "", ("http", "https")).rstrip("/"),
            # The gateway app's API user name (shown on the app's Home tab).
            smsgate_username=_str(env, "SHAML_SMSGATE_USERNAME", ""),
            # The gateway app's API password. Never logged.
            smsgate_password=_str(env, "SHAML_SMSGATE_PASSWORD", ""),
            # The app's webhook signing key (Settings > Webhooks > Signing Key): checks X-Signature.
            smsgate_signing_key=_str(env, "SHAML_SMSGATE_SIGNING_KEY", ""),
            # Gateway phones to send through (device ids, comma-separated); empty means the API's one phone.
            smsgate_devices=_str(env, "SHAML_SMSGATE_DEVICES", ""),
            # SMS one SIM sends per minute at most; a burst waits its turn so the carrier does not block the SIM.
            smsgate_per_minute=_int(env, "SHAML_SMSGATE_PER_MINUTE", 6, minimum=1),
            # Ordered routes for SMS Shaml starts to a bare number, by prefix. Twilio cannot deliver in Syria,
            # so +963 goes to the gateway phone; a deployment for families abroad only sets "*=twilio".
            sms_routes=_routes(env, "SHAML_SMS_ROUTES", DEFAULT_SMS_ROUTES),
            # Data keys as kid:base64,kid:base64 (the first seals, every one opens); never in the database.
            data_keys=_str(env, "SHAML_DATA_KEYS", ""),
            # Key of the blind indexes and keyed hashes (HMAC-SHA256), base64; separate from the data keys.
            blind_index_key=_str(env, "SHAML_BLIND_INDEX_KEY", ""),
            # File (a secret mount) with SHAML_DATA_KEYS= and SHAML_BLIND_INDEX_KEY= lines, used when those are unset.
            keys_file=_str(env, "SHAML_KEYS_FILE", ""),
            # Benchmarks only: new values are written in plain, to measure what encryption costs. Never in service.
            bench_plaintext=_bool(env, "SHAML_BENCH_PLAINTEXT", False),
            # Days a message's text is kept once its conversation is not with an operator (shaml purge).
            retain_message_days=_int(env, "SHAML_RETAIN_MESSAGE_DAYS", 30, minimum=1),
            # Days a media link (a photo's URL at the provider) is kept.
            retain_media_days=_int(env, "SHAML_RETAIN_MEDIA_DAYS", 7, minimum=1),
            # Days a silent Rasa conversation's events (texts, slots) are kept.
            retain_tracker_days=_int(env, "SHAML_RETAIN_TRACKER_DAYS", 30, minimum=1),
            # Days a callback verification's code hash and wrong-attempt count are kept after it was sent.
            retain_verification_days=_int(env, "SHAML_RETAIN_VERIFICATION_DAYS", 7, minimum=1),
            # Days a matched/closed search or withdrawn registration is kept before it is deleted.
            retain_closed_request_days=_int(env, "SHAML_RETAIN_CLOSED_REQUEST_DAYS", 90, minimum=1),
            # Longest life (seconds) of a rate-limit key in Redis; a purge deletes any left without expiry.
            retain_rate_key_seconds=_int(env, "SHAML_RETAIN_RATE_KEY_SECONDS", 600, minimum=120),
        )

    def describe(self) -> list[tuple[str, str]]:
        """(name, value) pairs for display, with secrets masked."""
        masked = {
            "rasa_token", "actions_token", "twilio_auth_token", "telegram_bot_token", "telegram_webhook_secret",
            "smsgate_password", "smsgate_signing_key", "data_keys", "blind_index_key",
        }
        return [
            (
                f.name,
                _secret(getattr(self, f.name))
                if f.name in masked
                else mask_url(str(getattr(self, f.name))),
            )
            for f in fields(self)
        ]


_cached: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    global _cached
    if _cached is None:
        _cached = Settings.from_env()
    return _cached


def reset_settings() -> None:
    """Forget the cached settings so the next :func:`get_settings` reads the environment again."""
    global _cached
    _cached = None


def configure_logging(settings: Settings) -> None:
    """Set up logging at the configured level, in one plain format."""
    logging.basicConfig(
        level=getattr(logging, settings.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Alembic announces every plugin at INFO; keep the migration lines only at DEBUG.
    if settings.log_level != "DEBUG":
        # Alembic announces every plugin, and httpx every request (with its query string) at INFO.
        for noisy in ("alembic", "httpx"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
