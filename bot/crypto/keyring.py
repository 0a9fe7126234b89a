"""Data keys and blind-index key: AES-GCM sealing with a key id beside each ciphertext, keyed HMAC look-ups.

A sealed value is text: ``v1:<kid>:<base64url(nonce ‖ ciphertext ‖ tag)>``. ``kid`` names the key
in the keyring, so keys rotate without a flag day: every key in the ring opens what it sealed,
and only the current (first) key seals. The blind index is HMAC-SHA256 under a separate key, so
equality look-ups never need the plaintext and a leaked index cannot be reversed by trying every
phone number without that key.

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
    """Data keys by id (the first seals, all open) and the blind-index key."""

    data_keys: dict[str, bytes]
    current: str
    index_key: bytes
    #: False only in benchmarks measuring the cost of encryption: values are then written in plain.
    sealing: bool = True
    _aeads: dict[str, AESGCM] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.current not in self.data_keys:
            raise KeyringError(f"current key {self.current!r} is not in the keyring")
        if any(hmac.compare_digest(self.index_key, key) for key in self.data_keys.values()):
            raise KeyringError("SHAML_BLIND_INDEX_KEY must differ from every data key")
        self._aeads = {kid: AESGCM(key) for kid, key in self.data_keys.items()}

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
        return cls(keys, current, _decode_key(index_key, "SHAML_BLIND_INDEX_KEY"))

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
        """The keyed blind index of ``value`` for ``purpose`` (32 hex characters, 128 bits)."""
        mac = hmac.new(self.index_key, f"{purpose}\x00{value}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]


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
    """The keyed blind index of ``value`` for ``purpose``, under the process's keyring."""
    return active().blind(purpose, value)


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
