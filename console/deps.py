"""What the console needs from outside, injected by the composition root (``shaml.web``).

Match decisions and hand verification call ``bot.reunion.review`` directly (console may import bot).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from sqlalchemy.orm import sessionmaker


@dataclass
class ConsoleDeps:
    """Everything the console uses. ``gateway`` (a ``bot.gateway.context.Gateway``) sends replies
    through the outbox and feeds the simulator into the real pipeline; without it those are off.
    """

    factory: sessionmaker
    redis: redis.Redis
    gateway: Any = None
    redis_prefix: str = "shaml:"
    #: Set the Secure flag on cookies (the public URL is https).
    secure_cookies: bool = False
    #: Demo mode: the phone simulator opens without login.
    demo: bool = False
    #: Where uploaded registry CSVs wait between preview and import.
    upload_dir: Path = field(default_factory=lambda: Path("var/uploads"))
    import_batch_size: int = 1000
    #: Logged-in session lifetime after the last click, seconds (polling does not extend it).
    session_ttl: int = 3600
    #: Logged-in session lifetime after login, seconds, however active.
    session_max: int = 12 * 3600
    #: Reverse proxies (IPs or CIDRs) whose X-Forwarded-For names the real client for the login throttle.
    trusted_proxies: tuple[str, ...] = ()
    #: How long (seconds) an uploaded CSV may wait between preview and import before it is deleted.
    upload_max_age: int = 3600
    #: Failed logins per username or address before a lock-out, and its length in seconds.
    login_limit: int = 5
    login_window_seconds: int = 900
    #: Every operator must enrol a TOTP second factor before using any page (SHAML_CONSOLE_REQUIRE_MFA).
    require_mfa: bool = False
    #: How often (ms) the inbox, transcripts and simulator poll for news.
    poll_ms: int = 3000
