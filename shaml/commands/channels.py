"""Channel commands: ``shaml telegram set-webhook|info`` and ``shaml smsgate register-webhooks``."""

from __future__ import annotations

import click

from shaml.settings import Settings, get_settings


def _telegram(settings: Settings):  # type: ignore[no-untyped-def]
    from bot.channels.telegram import TelegramChannel

    if not settings.telegram_bot_token or not settings.telegram_webhook_secret:
        raise click.ClickException("set SHAML_TELEGRAM_BOT_TOKEN and SHAML_TELEGRAM_WEBHOOK_SECRET first")
    return TelegramChannel(
        token=settings.telegram_bot_token, webhook_secret=settings.telegram_webhook_secret, api_url=settings.telegram_api_url
    )


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(getattr(exc, "reason", type(exc).__name__))


def register(cli: click.Group, bench: click.Group) -> None:
    """Add the ``telegram`` and ``smsgate`` groups."""

    @cli.group()
    def telegram() -> None:
        """The Telegram bot's webhook."""

    @telegram.command("set-webhook")
    def set_webhook() -> None:
        """Register SHAML_PUBLIC_URL/telegram/webhook with the secret and the update types Shaml reads."""
        from bot.gateway.errors import SendError

        settings = get_settings()
        url = f"{settings.public_url}/telegram/webhook"
        try:
            _telegram(settings).set_webhook(url)
        except SendError as exc:
            raise _fail(exc) from None
        click.echo(f"Telegram will post updates to {url}")

    @telegram.command("info")
    def info() -> None:
        """Print getWebhookInfo: URL, pending updates, last error (never the token)."""
        from bot.gateway.errors import SendError

        try:
            data = _telegram(get_settings()).webhook_info()
        except SendError as exc:
            raise _fail(exc) from None
        for key in ("url", "pending_update_count", "last_error_date", "last_error_message", "max_connections", "allowed_updates"):
            if key in data:
                click.echo(f"{key}: {data[key]}")

    @cli.group()
    def smsgate() -> None:
        """The Android SMS gateway phone's webhooks."""

    @smsgate.command("register-webhooks")
    def register_webhooks() -> None:
        """Register SHAML_PUBLIC_URL/smsgate/webhook for the five events Shaml reads."""
        from bot.channels.smsgate import SmsGateChannel
        from bot.gateway.errors import SendError

        settings = get_settings()
        if not settings.smsgate_api_url:
            raise click.ClickException("set SHAML_SMSGATE_API_URL, SHAML_SMSGATE_USERNAME and SHAML_SMSGATE_PASSWORD first")
        channel = SmsGateChannel(
            api_url=settings.smsgate_api_url, username=settings.smsgate_username, password=settings.smsgate_password,
            signing_key=settings.smsgate_signing_key,
        )
        url = f"{settings.public_url}/smsgate/webhook"
        try:
            events = channel.register_webhooks(url)
        except SendError as exc:
            raise _fail(exc) from None
        click.echo(f"the gateway will post {', '.join(events)} to {url}")
