"""The route table: which provider carries a message Shaml starts to a bare phone number. Pure.

Written ``"+963=smsgate,*=twilio"``: entries in order, each a prefix of E.164 numbers (or ``*`` for
any number no prefix entry matches) and a provider. A number's routes are the providers of the
prefix entries it matches, in order, each once; only a number that no prefix matches takes the ``*``
entries. So ``+963=smsgate,*=twilio`` never hands a Syrian number to Twilio, which cannot deliver
there; a second route for Syria would need its own ``+963=`` entry.
When one route refuses the destination for good ("route unavailable"), the next is tried.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Providers that can carry an SMS to a bare number.
SMS_PROVIDERS = ("twilio", "smsgate", "sim")
_PREFIX = re.compile(r"^(\*|\+[0-9]{1,15})$")


class RouteError(ValueError):
    """A route table that cannot be read; the message is one line naming the bad entry."""


@dataclass(frozen=True)
class RouteTable:
    """Ordered (prefix, provider) entries; ``*`` matches every number."""

    entries: tuple[tuple[str, str], ...] = (("*", "twilio"),)

    @classmethod
    def parse(cls, text: str, *, known: tuple[str, ...] = SMS_PROVIDERS) -> RouteTable:
        """Read ``"+963=smsgate,*=twilio"``; raises :class:`RouteError` on a malformed entry."""
        entries = []
        for raw in (text or "").split(","):
            item = raw.strip()
            if not item:
                continue
            prefix, sep, provider = (part.strip() for part in item.partition("="))
            if not sep or not _PREFIX.match(prefix):
                raise RouteError(f"route {item!r} must be PREFIX=PROVIDER, PREFIX being +digits or *")
            if provider not in known:
                raise RouteError(f"route {item!r} names provider {provider!r}; known: {', '.join(known)}")
            entries.append((prefix, provider))
        if not entries:
            raise RouteError("the route table is empty; write at least one route such as *=twilio")
        return cls(tuple(entries))

    def candidates(self, address: str) -> list[str]:
        """The providers for ``address`` in the order to try them (empty when no entry matches)."""
        prefixed = [provider for prefix, provider in self.entries if prefix != "*" and address.startswith(prefix)]
        matched = prefixed or [provider for prefix, provider in self.entries if prefix == "*"]
        return list(dict.fromkeys(matched))

    def after(self, address: str, provider: str) -> str | None:
        """The route to try after ``provider`` refused ``address`` for good, or None."""
        options = self.candidates(address)
        if provider not in options:
            return options[0] if options else None
        rest = options[options.index(provider) + 1 :]
        return rest[0] if rest else None

    def __str__(self) -> str:
        return ",".join(f"{prefix}={provider}" for prefix, provider in self.entries)
