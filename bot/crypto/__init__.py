"""Encryption at rest: the keyring (AES-GCM data keys, HMAC blind-index key) and encrypted column types."""

from bot.crypto.columns import EncryptedInt, EncryptedJSON, EncryptedText, keep_blind_index
from bot.crypto.keyring import (
    Keyring,
    KeyringError,
    active,
    blind,
    blinds,
    index_kid,
    install,
    is_sealed,
    new_key,
    open_value,
    seal,
    sealed_kid,
    sealing_off,
    set_loader,
)

__all__ = [
    "EncryptedInt",
    "EncryptedJSON",
    "EncryptedText",
    "Keyring",
    "KeyringError",
    "active",
    "blind",
    "blinds",
    "index_kid",
    "install",
    "is_sealed",
    "keep_blind_index",
    "new_key",
    "open_value",
    "seal",
    "sealed_kid",
    "sealing_off",
    "set_loader",
]
