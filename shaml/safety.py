"""Refuse to start with settings that would betray the people Shaml serves: placeholder or short
secrets, an open Redis, demo mode on a real deployment. Every long-running command calls
:func:`check_startup` first; each problem is one line naming the variable, never its value."""

from __future__ import annotations

import ipaddress
from urllib.parse import unquote, urlsplit

from shaml.settings import Settings, SettingsError

#: Shortest secret accepted (characters).
MIN_SECRET = 16
#: Words that mark a value copied from an example file rather than generated.
PLACEHOLDERS = ("change-me", "changeme", "change_me", "replace-me", "replace_me", "replaceme", "example",
                "placeholder", "your-", "xxxxxxxx", "password", "todo")


def weak(value: str) -> str | None:
    """Why ``value`` is not a usable secret (placeholder or short), or None."""
    lowered = value.lower()
    if any(word in lowered for word in PLACEHOLDERS):
        return "is a placeholder from an example file"
    if len(value) < MIN_SECRET:
        return f"is shorter than {MIN_SECRET} characters"
    return None


def _loopback(host: str | None) -> bool:
    if not host or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def route_problems(settings: Settings) -> list[str]:
    """Why SHAML_SMS_ROUTES cannot carry messages as configured: a route to a provider that is not set up."""
    from bot.gateway.routes import RouteTable

    providers = {provider for _prefix, provider in RouteTable.parse(settings.sms_routes).entries}
    problems = []
    if "smsgate" in providers and not settings.smsgate_api_url:
        problems.append(
            "SHAML_SMS_ROUTES sends numbers to the SMS gateway phone (by default every +963 number, since Twilio "
            "cannot deliver in Syria) but SHAML_SMSGATE_API_URL is empty: set up the gateway "
            "(deploy/telegram-and-sms-gateway.md), or, for a deployment that serves only families abroad, "
            "set SHAML_SMS_ROUTES=*=twilio"
        )
    if "sim" in providers:
        problems.append("SHAML_SMS_ROUTES names sim, the phone simulator, whose messages reach nobody: "
                        "route to twilio or smsgate outside demo mode")
    return problems


def startup_problems(settings: Settings) -> list[str]:
    """Every reason this configuration must not run, one line each (empty when it may)."""
    problems = []
    if settings.demo:
        if settings.database_url.startswith(("postgresql", "postgres")):
            problems.append("SHAML_DEMO=true with a PostgreSQL database: demo mode opens the simulator without a "
                            "login and its contacts match the real registry; demo mode runs on SQLite only")
        if settings.public_url.startswith("https://"):
            problems.append("SHAML_DEMO=true with an https SHAML_PUBLIC_URL: demo mode is for a laptop, never a public "
                            "address; set SHAML_DEMO=false")
        return problems
    problems.extend(route_problems(settings))
    # Twilio's token is required while a route uses Twilio; the other channels' secrets when they are set.
    secrets = [("SHAML_RASA_TOKEN", settings.rasa_token, True),
               ("TWILIO_AUTH_TOKEN", settings.twilio_auth_token, "twilio" in settings.sms_routes),
               ("SHAML_ACTIONS_TOKEN", settings.actions_token, False),
               ("SHAML_TELEGRAM_BOT_TOKEN", settings.telegram_bot_token, False),
               ("SHAML_TELEGRAM_WEBHOOK_SECRET", settings.telegram_webhook_secret, bool(settings.telegram_bot_token)),
               ("SHAML_SMSGATE_PASSWORD", settings.smsgate_password, False),
               ("SHAML_SMSGATE_SIGNING_KEY", settings.smsgate_signing_key, bool(settings.smsgate_api_url)),
               # The data keys are checked for form and fit by shaml.keys; here only for a copied placeholder.
               ("SHAML_DATA_KEYS", settings.data_keys, False),
               ("SHAML_BLIND_INDEX_KEY", settings.blind_index_key, False)]
    for name, value, required in secrets:
        if not value:
            if required:
                problems.append(f"{name} is empty")
            continue
        why = weak(value)
        if why:
            problems.append(f"{name} {why}")
    for name, url in (("SHAML_DATABASE_URL", settings.database_url), ("SHAML_REDIS_URL", settings.redis_url)):
        parts = urlsplit(url)
        if parts.password:
            why = weak(unquote(parts.password))
            if why:
                problems.append(f"{name}: its password {why}")
    redis = urlsplit(settings.redis_url)
    if redis.scheme != "unix" and not redis.password and not _loopback(redis.hostname):
        problems.append("SHAML_REDIS_URL has no password for a Redis on another host: sessions and queues would be open "
                        "to every pod that reaches it (use redis://shaml:<password>@host:6379/0)")
    return problems


def check_startup(settings: Settings) -> None:
    """Raise :class:`SettingsError` listing every problem of :func:`startup_problems`."""
    problems = startup_problems(settings)
    if problems:
        raise SettingsError("refusing to start: " + "; ".join(problems))


def guard(settings: Settings) -> None:
    """For a command: stop with one clear line (exit 1) when :func:`startup_problems` finds any."""
    import click

    try:
        check_startup(settings)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
