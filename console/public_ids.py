"""Opaque ids for the console's URLs: a keyed permutation of (kind, row id), so ids are neither
guessable nor a count.

A public id is one AES block (``cryptography``) holding a fixed header, the kind, and the row id,
encrypted under a key derived (HKDF-SHA256) from the deployment's blind-index key, and written as
26 characters of lower-case base32. Incrementing, truncating or editing one gives a block whose
header no longer checks (one chance in 2^56 of a valid-looking block, which must then also name a
row the operator may see); an id of one kind (a contact) is not one of another kind (a
registration). :func:`decode` answers None for all of these, and the routes turn that into the same
404 a missing row gets.

The blind-index key does not rotate (rotating the data keys leaves links working); a deployment
that changes it changes every console link, which only breaks bookmarks.
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
_INFO = b"shaml console public ids v1"

_lock = threading.Lock()
_cache: tuple[int, Cipher] | None = None  # (id of the keyring it came from, the cipher)


def _cipher() -> Cipher:
    """AES-256 over single blocks under the key derived from the process's keyring (rebuilt if it changes)."""
    global _cache
    ring = keyring.active()
    cached = _cache
    if cached is not None and cached[0] == id(ring):
        return cached[1]
    with _lock:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(ring.index_key)
        # One block, encrypted alone: ECB over a single block is the raw permutation, which is what is wanted.
        cipher = Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305
        _cache = (id(ring), cipher)
        return cipher


def encode(kind: str, row_id: int) -> str:
    """The public id of row ``row_id`` of ``kind``."""
    block = _FORMAT.pack(_HEADER, KINDS[kind], int(row_id))
    enc = _cipher().encryptor()
    sealed = enc.update(block) + enc.finalize()
    return base64.b32encode(sealed).decode().rstrip("=").lower()


def decode(kind: str, text: object) -> int | None:
    """The row id behind a public id of ``kind``, or None for anything else (malformed, tampered, another kind)."""
    if not isinstance(text, str) or not _TEXT.match(text):
        return None
    try:
        sealed = base64.b32decode(text.upper() + "======")
    except ValueError:
        return None
    if base64.b32encode(sealed).decode().rstrip("=").lower() != text:
        return None  # the last character's spare bits set: not a form this module writes
    dec = _cipher().decryptor()
    header, number, row_id = _FORMAT.unpack(dec.update(sealed) + dec.finalize())
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
