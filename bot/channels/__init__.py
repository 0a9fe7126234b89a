"""Channels: one module per provider, each with ``receive``, ``status`` and ``send``, listed in one table."""

from __future__ import annotations

#: Which channel module serves each contact channel. Adding a channel means one module and one line here.
CHANNEL_MODULES: dict[str, str] = {
    "whatsapp": "bot.channels.twilio",
    "sms": "bot.channels.twilio",
    "telegram": "bot.channels.telegram",
    "sim": "bot.channels.sim",
}

#: Which channel module is each provider (the outbox sends through providers; bot.gateway.routes).
PROVIDER_MODULES: dict[str, str] = {
    "twilio": "bot.channels.twilio",
    "smsgate": "bot.channels.smsgate",
    "telegram": "bot.channels.telegram",
    "sim": "bot.channels.sim",
}
