"""Opaque ids for the console's URLs: a keyed permutation of (kind, row id), so ids are neither
guessable nor a count.

A public id is one AES block (``cryptography``) holding a fixed header, the kind, and the row id,
encrypted under a key derived (HKDF-SHA256) from the deployment's blind-index key, and written as
26 characters of lower-case base32. Incrementing, truncating or editing one gives a block whose
header no longer checks (one chance in 2^56 of a valid-looking block, which must then also name a
row the operator may see); an id of one kind (a contact) is not one of another kind (a
registration). :func:`decode` answers None for all of these, and the routes turn that into the same
404 a missing row gets.

The key comes from the blind-index key that computes new values (the first one listed): rotating
the data keys leaves links working, while moving a new blind-index key first (docs/privacy.md,
"Rotating the blind-index key") changes every console link, which only breaks bookmarks.
"""

from __future__ import annotations

import base64
import re
import struct
import threading

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.crypto import keyring

#: Kinds of ids that appear in console URLs, each with its own number inside the block.
KINDS = {"contact": 1, "match": 2, "registration": 3, "record": 4, "batch": 5, "event": 6, "operator": 7,
         "search": 8, "message": 9}
#: Where a kind's page lives (for :func:`path`).
PAGES = {"contact": "/console/conversations/", "match": "/console/reviews/", "registration": "/console/registrations/",
         "record": "/console/registry/records/", "batch": "/console/registry/imports/", "event": "/console/audit/",
         "operator": "/console/operators/"}
#: The block's first bytes: a format tag, then the kind (1 byte), then the id (8 bytes).
_HEADER = b"shamlid"
_FORMAT = struct.Struct(">7sBQ")
_TEXT = re.compile(r"^[a-z2-7]{26}$")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_INFO = b"shaml console public ids v1"

_local = threading.local()


class _Contexts:
    """One thread's AES encryptor and decryptor, reused: in ECB each 16-byte ``update`` is one
    independent block, so a context never needs finalising (a context is not shared between threads)."""

    def __init__(self, ring: object) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(ring.index_key)  # type: ignore[attr-defined]
        # One block, encrypted alone: ECB over a single block is the raw permutation, which is what is wanted.
        cipher = Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305
        self.ring = ring
        self.encryptor = cipher.encryptor()
        self.decryptor = cipher.decryptor()


def _contexts() -> _Contexts:
    """This thread's contexts under the process's current keyring (rebuilt if the keyring changes)."""
    ring = keyring.active()
    found: _Contexts | None = getattr(_local, "contexts", None)
    if found is None or found.ring is not ring:
        found = _local.contexts = _Contexts(ring)
    return found


def encode(kind: str, row_id: int) -> str:
    """The public id of row ``row_id`` of ``kind``."""
    sealed = _contexts().encryptor.update(_FORMAT.pack(_HEADER, KINDS[kind], int(row_id)))
    return base64.b32encode(sealed).decode().rstrip("=").lower()


def decode(kind: str, text: object) -> int | None:
    """The row id behind a public id of ``kind``, or None for anything else (malformed, tampered, another kind)."""
    if not isinstance(text, str) or not _TEXT.match(text) or _ALPHABET.index(text[-1]) % 4:
        return None  # not 26 base32 characters, or the last one's two spare bits set (not a form we write)
    try:
        sealed = base64.b32decode(text.upper() + "======")
    except ValueError:
        return None
    header, number, row_id = _FORMAT.unpack(_contexts().decryptor.update(sealed))
    if header != _HEADER or number != KINDS[kind] or row_id <= 0 or row_id >= 2**63:
        return None
    return int(row_id)


def need(kind: str, text: object) -> int:
    """:func:`decode`, or the console's 404 (the same answer as for a row that does not exist)."""
    from console.security import NotFound

    row_id = decode(kind, text)
    if row_id is None:
        raise NotFound()
    return row_id


def path(kind: str, row_id: int, suffix: str = "") -> str:
    """The console page of a row: ``path("contact", 7, "/claim")`` is ``/console/conversations/<id>/claim``."""
    return PAGES[kind] + encode(kind, row_id) + suffix
