"""Channels: one module per provider, each with ``receive``, ``status`` and ``send``, listed in one table."""

from __future__ import annotations

#: Which channel module serves each contact channel. Adding a channel means one module and one line here.
CHANNEL_MODULES: dict[str, str] = {
    "whatsapp": "bot.channels.twilio",
    "sms": "bot.channels.twilio",
    "sim": "bot.channels.sim",
}
