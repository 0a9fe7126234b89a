"""Data keys and blind-index key: AES-GCM sealing with a key id beside each ciphertext, keyed HMAC look-ups.

A sealed value is text: ``v1:<kid>:<base64url(nonce ‖ ciphertext ‖ tag)>``. ``kid`` names the key
in the keyring, so keys rotate without a flag day: every key in the ring opens what it sealed,
and only the current (first) key seals. The blind index is HMAC-SHA256 under a separate key, so
equality look-ups never need the plaintext and a leaked index cannot be reversed by trying every
phone number without that key.

Index keys rotate too. ``SHAML_BLIND_INDEX_KEY`` lists one or more keys, ``kid:base64`` or one
bare ``base64`` (the key of databases made before index keys had ids). The first computes every
new index value; every listed key is tried by look-ups (:meth:`Keyring.blinds`). A value under a
named key is ``<kid>:<base64url of 128 bits>`` (at most 31 characters, so it fits the 32-character
columns); under the bare key it is 32 hex characters, as before. ``shaml keys rotate`` recomputes
every stored index under the first key, after which the older key can be removed
(docs/privacy.md, "Rotating the blind-index key").

The process holds one keyring, installed at start (:func:`install`) or loaded on first use
through the loader the composition root registers (:func:`set_loader`). Pure: no I/O here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

#: Prefix of every sealed value; the format version lets a later scheme live beside this one.
PREFIX = "v1:"
#: Key ids: short, and free of the separator.
KID_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_SEALED_RE = re.compile(r"^v1:([A-Za-z0-9_-]{1,16}):([A-Za-z0-9_-]+={0,2})$")
#: Index key ids: letters and digits only (no LIKE wildcard, no separator), at most 8 so a value fits 32 characters.
INDEX_KID_RE = re.compile(r"^[A-Za-z0-9]{1,8}$")
#: The id of the bare index key (databases from before index key ids); its values carry no prefix.
LEGACY = ""
KEY_BYTES = 32
NONCE_BYTES = 12


class KeyringError(RuntimeError):
    """A key is missing, malformed or wrong; the message is one line that says which and what to do."""


def _decode_key(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError(f"{what} is not base64") from None
    if len(raw) != KEY_BYTES:
        raise KeyringError(f"{what} is {len(raw)} bytes; it must be {KEY_BYTES} (base64 of 32 random bytes)")
    return raw


def new_key() -> str:
    """A fresh random key, base64: what an operator puts in SHAML_DATA_KEYS or SHAML_BLIND_INDEX_KEY."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


@dataclass
class Keyring:
    """Data keys by id (the first seals, all open) and blind-index keys by id (the first computes, all match).

    ``index_keys`` may be given as one key (bytes): it is then the bare key of an older database.
    """

    data_keys: dict[str, bytes]
    current: str
    index_keys: dict[str, bytes] | bytes
    #: False only in benchmarks measuring the cost of encryption: values are then written in plain.
    sealing: bool = True
    _aeads: dict[str, AESGCM] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.current not in self.data_keys:
            raise KeyringError(f"current key {self.current!r} is not in the keyring")
        if isinstance(self.index_keys, bytes):
            self.index_keys = {LEGACY: self.index_keys}
        if not self.index_keys:
            raise KeyringError("no blind-index key: set SHAML_BLIND_INDEX_KEY (see docs/privacy.md)")
        for kid in self.index_keys:
            if kid != LEGACY and not INDEX_KID_RE.match(kid):
                raise KeyringError(f"index key id {kid!r} must be 1 to 8 letters or digits")
        if any(hmac.compare_digest(ikey, key) for ikey in self.index_keys.values() for key in self.data_keys.values()):
            raise KeyringError("SHAML_BLIND_INDEX_KEY must differ from every data key")
        self._aeads = {kid: AESGCM(key) for kid, key in self.data_keys.items()}

    @property
    def index_current(self) -> str:
        """The id of the index key that computes new values (``""`` for the bare key)."""
        return next(iter(self.index_ids))

    @property
    def index_ids(self) -> list[str]:
        """Index key ids, the computing one first."""
        assert isinstance(self.index_keys, dict)
        return list(self.index_keys)

    @property
    def index_key(self) -> bytes:
        """The index key that computes new values."""
        assert isinstance(self.index_keys, dict)
        return self.index_keys[self.index_current]

    @classmethod
    def parse(cls, data_keys: str, index_key: str) -> Keyring:
        """From ``SHAML_DATA_KEYS`` (``kid:base64,kid:base64``, the first seals) and the index key (base64)."""
        if not data_keys.strip():
            raise KeyringError("SHAML_DATA_KEYS is empty: set it to kid:base64key (see docs/privacy.md)")
        if not index_key.strip():
            raise KeyringError("SHAML_BLIND_INDEX_KEY is empty: set it to a base64 key (see docs/privacy.md)")
        keys: dict[str, bytes] = {}
        for n, item in enumerate(data_keys.split(","), 1):
            kid, sep, b64 = item.strip().partition(":")
            if not sep or not KID_RE.match(kid):
                raise KeyringError(f"SHAML_DATA_KEYS entry {n} is not kid:base64key (kid: letters, digits, - or _)")
            if kid in keys:
                raise KeyringError(f"SHAML_DATA_KEYS names key {kid!r} twice")
            keys[kid] = _decode_key(b64, f"SHAML_DATA_KEYS key {kid!r}")
        current = next(iter(keys))
        return cls(keys, current, parse_index_keys(index_key))

    def seal(self, plaintext: str) -> str:
        """Encrypt under the current key; the result names that key."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aeads[self.current].encrypt(nonce, plaintext.encode("utf-8"), PREFIX.encode())
        return f"{PREFIX}{self.current}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, value: str) -> str:
        """Decrypt a sealed value. Raises :class:`KeyringError` for an unknown key or a wrong/tampered one."""
        match = _SEALED_RE.match(value)
        if match is None:
            raise KeyringError("not a sealed value")
        kid = match.group(1)
        aead = self._aeads.get(kid)
        if aead is None:
            raise KeyringError(f"data sealed under key {kid!r}, which SHAML_DATA_KEYS does not hold")
        raw = base64.urlsafe_b64decode(match.group(2))
        try:
            return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], PREFIX.encode()).decode("utf-8")
        except InvalidTag:
            raise KeyringError(f"key {kid!r} in SHAML_DATA_KEYS does not open this data: wrong key, or the data was altered") from None

    def blind(self, purpose: str, value: str) -> str:
        """The keyed blind index of ``value`` for ``purpose`` under the first index key (128 bits)."""
        return self.blind_under(self.index_current, purpose, value)

    def blind_under(self, kid: str, purpose: str, value: str) -> str:
        """The blind index under index key ``kid``: ``kid:`` + base64url, or 32 hex for the bare key."""
        assert isinstance(self.index_keys, dict)
        mac = hmac.new(self.index_keys[kid], f"{purpose}\x00{value}".encode(), hashlib.sha256)
        if kid == LEGACY:
            return mac.hexdigest()[:32]
        return f"{kid}:{base64.urlsafe_b64encode(mac.digest()[:16]).decode().rstrip('=')}"

    def blinds(self, purpose: str, value: str) -> list[str]:
        """The blind index under every index key, the first key's first: what a look-up matches."""
        return [self.blind_under(kid, purpose, value) for kid in self.index_ids]

    def matches(self, purpose: str, value: str, stored: str) -> bool:
        """Whether a stored blind index (or keyed hash, e.g. in an audit row) is ``value``'s under a key held."""
        kid = index_kid(stored)
        assert isinstance(self.index_keys, dict)
        if kid is None or kid not in self.index_keys:
            return False
        return hmac.compare_digest(self.blind_under(kid, purpose, value), stored)


def parse_index_keys(text: str) -> dict[str, bytes]:
    """``SHAML_BLIND_INDEX_KEY``: ``kid:base64`` entries and at most one bare ``base64``, comma-separated."""
    if not text.strip():
        raise KeyringError("SHAML_BLIND_INDEX_KEY is empty: set it to a base64 key (see docs/privacy.md)")
    keys: dict[str, bytes] = {}
    for n, item in enumerate(text.split(","), 1):
        item = item.strip()
        kid, sep, b64 = item.partition(":")
        if not sep:
            kid, b64 = LEGACY, item
        elif not INDEX_KID_RE.match(kid):
            raise KeyringError(f"SHAML_BLIND_INDEX_KEY entry {n} is not kid:base64key (kid: 1 to 8 letters or digits)")
        if kid in keys:
            raise KeyringError("SHAML_BLIND_INDEX_KEY holds two keys without an id" if kid == LEGACY
                               else f"SHAML_BLIND_INDEX_KEY names key {kid!r} twice")
        what = "SHAML_BLIND_INDEX_KEY" + (f" key {kid!r}" if kid else (f" entry {n}" if n > 1 else ""))
        keys[kid] = _decode_key(b64, what)
    if len(set(keys.values())) != len(keys):
        raise KeyringError("SHAML_BLIND_INDEX_KEY lists the same key twice under different ids")
    return keys


def index_kid(stored: object) -> str | None:
    """The index key id a stored blind index was computed under (``""`` for the bare key), None if not one."""
    if not isinstance(stored, str):
        return None
    kid, sep, rest = stored.partition(":")
    if not sep:
        return LEGACY if len(stored) == 32 and all(c in "0123456789abcdef" for c in stored) else None
    return kid if INDEX_KID_RE.match(kid) and len(rest) == 22 else None


def is_sealed(value: object) -> bool:
    """Whether ``value`` looks like a sealed value (any key id)."""
    return isinstance(value, str) and _SEALED_RE.match(value) is not None


def sealed_kid(value: object) -> str | None:
    """The key id of a sealed value, or None for plaintext."""
    if not isinstance(value, str):
        return None
    match = _SEALED_RE.match(value)
    return match.group(1) if match else None


_lock = threading.Lock()
_active: Keyring | None = None
_loader: Callable[[], Keyring] | None = None


def install(keyring: Keyring | None) -> None:
    """Make ``keyring`` the process's keyring (None forgets it, so the loader runs again)."""
    global _active
    _active = keyring


def set_loader(loader: Callable[[], Keyring] | None) -> None:
    """Register how to load the keyring on first use (the composition root reads settings)."""
    global _loader
    _loader = loader


def active() -> Keyring:
    """The process's keyring; loads it on first use, or raises :class:`KeyringError` saying what is missing."""
    global _active
    if _active is not None:
        return _active
    with _lock:
        if _active is None:
            if _loader is None:
                raise KeyringError("no data keys loaded: set SHAML_DATA_KEYS and SHAML_BLIND_INDEX_KEY")
            _active = _loader()
    return _active


def seal(plaintext: str) -> str:
    """Seal with the process's keyring (plain when sealing is switched off for a benchmark)."""
    keyring = active()
    return keyring.seal(plaintext) if keyring.sealing else plaintext


def open_value(value: str) -> str:
    """Open a sealed value; plaintext (a row not yet migrated, or a benchmark's) is returned as is."""
    return active().open(value) if is_sealed(value) else value


def blind(purpose: str, value: str) -> str:
    """The keyed blind index of ``value`` for ``purpose``, under the process's first index key (what is written)."""
    return active().blind(purpose, value)


def blinds(purpose: str, value: str) -> list[str]:
    """``value``'s blind index under every index key held, the first key's first (what a look-up matches)."""
    return active().blinds(purpose, value)


@contextmanager
def sealing_off() -> Iterator[None]:
    """Within the block, new values are written in plain (benchmarks compare the cost; never in service)."""
    keyring = active()
    before = keyring.sealing
    keyring.sealing = False
    try:
        yield
    finally:
        keyring.sealing = before
