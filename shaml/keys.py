"""Loading the data keys from settings (never from the database), demo keys, and the wrong-key check.

Keys come from ``SHAML_DATA_KEYS`` and ``SHAML_BLIND_INDEX_KEY``, or from the file named by
``SHAML_KEYS_FILE`` (a secret mount holding those two lines). Demo mode without keys generates
them once under the var directory and says so. A database remembers, per key id, a small value
sealed under that key (``data_key_checks``), so a process started with the wrong key stops at
once with one clear line instead of failing on the first message it reads. Index keys are checked
the same way (rows ``ix:<kid>`` holding a keyed hash of a known text) and against the data itself:
a contact indexed under each key held must be found again by it, and no contact may be indexed
under a key the process lacks (it would not be found, and would be created a second time).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import Column, DateTime, String, Text, inspect, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot import crypto
from bot.crypto import Keyring, KeyringError, index_kid
from bot.crypto.keyring import LEGACY
from matching.store import Base, utcnow
from shaml.settings import Settings, get_settings

log = logging.getLogger(__name__)

#: What each key seals in ``data_key_checks``; opening it proves the key is the one the data was sealed with.
CHECK_TEXT = "shaml data key check"
DEMO_KEYS = "data-keys.env"


class DataKeyCheck(Base):
    """One row per data key id: a known text sealed under that key (no secret, no personal data)."""

    __tablename__ = "data_key_checks"

    kid = Column(String(16), primary_key=True)
    sealed = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


def read_keys_file(path: Path) -> tuple[str, str]:
    """(data keys, index key) from a file of ``SHAML_DATA_KEYS=…`` and ``SHAML_BLIND_INDEX_KEY=…`` lines."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise KeyringError(f"SHAML_KEYS_FILE {path} cannot be read ({exc.strerror})") from None
    values: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.strip().partition("=")
        if sep and not name.startswith("#"):
            values[name.strip()] = value.strip()
    return values.get("SHAML_DATA_KEYS", ""), values.get("SHAML_BLIND_INDEX_KEY", "")


def demo_keys_file(var_dir: Path) -> Path:
    """The demo's key file under ``var_dir``, generated (mode 0600) the first time and announced."""
    path = var_dir / DEMO_KEYS
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"SHAML_DATA_KEYS=demo1:{crypto.new_key()}\nSHAML_BLIND_INDEX_KEY={crypto.new_key()}\n")
        log.warning("demo mode: generated data keys in %s; the demo's data is sealed with them, keep them apart from backups", path)
    return path


def keyring_from_settings(settings: Settings) -> Keyring:
    """The keyring the settings name; raises :class:`KeyringError` with one line when it is missing or malformed."""
    if settings.data_keys or settings.blind_index_key:
        return Keyring.parse(settings.data_keys, settings.blind_index_key)
    if settings.keys_file:
        return Keyring.parse(*read_keys_file(Path(settings.keys_file)))
    if settings.demo:
        return Keyring.parse(*read_keys_file(demo_keys_file(settings.var_dir)))
    raise KeyringError("no data keys: set SHAML_DATA_KEYS and SHAML_BLIND_INDEX_KEY, or SHAML_KEYS_FILE (docs/privacy.md)")


def demo_keys(settings: Settings) -> bool:
    """In the demo without configured keys: generate them under var/ and point every child at the file.

    Returns whether the demo's own keys are used (False when keys are configured).
    """
    if settings.data_keys or settings.blind_index_key or settings.keys_file:
        return False
    path = demo_keys_file(settings.var_dir)
    os.environ["SHAML_KEYS_FILE"] = str(path)
    crypto.install(Keyring.parse(*read_keys_file(path)))
    return True


def install_keys(settings: Settings | None = None) -> Keyring:
    """Load the keyring from the settings and make it the process's."""
    settings = settings or get_settings()
    keyring = keyring_from_settings(settings)
    if settings.bench_plaintext:
        keyring.sealing = False
        log.warning("SHAML_BENCH_PLAINTEXT is on: new values are written IN PLAIN TEXT (benchmarks only)")
    crypto.install(keyring)
    return keyring


def check_database(engine: Engine, keyring: Keyring | None = None) -> None:
    """Refuse a wrong key: every key id the database has a check for and the keyring holds must open it.

    Records a check for the current key when the database has none yet. Raises :class:`KeyringError`.
    """
    keyring = keyring or crypto.active()
    if not inspect(engine).has_table(DataKeyCheck.__tablename__):
        return  # not migrated yet: the migration records the first check
    with engine.begin() as conn:
        rows = dict(conn.execute(select(DataKeyCheck.kid, DataKeyCheck.sealed)).all())
    for kid, sealed in rows.items():
        if kid not in keyring.data_keys:
            continue
        try:
            ok = keyring.open(sealed) == CHECK_TEXT
        except KeyringError:
            ok = False
        if not ok:
            raise KeyringError(f"SHAML_DATA_KEYS key {kid!r} is not the key this database was sealed with: refusing to start")
    missing = {kid: keyring.seal(CHECK_TEXT) for kid in [keyring.current] if kid not in rows}
    missing.update(check_index_keys(engine, keyring, rows))
    if missing:
        try:
            with engine.begin() as conn:
                conn.execute(DataKeyCheck.__table__.insert(),
                             [{"kid": kid, "sealed": value, "created_at": utcnow()} for kid, value in missing.items()])
        except IntegrityError:
            check_database(engine, keyring)  # another process started with the same new key at once


def _index_row(kid: str) -> str:
    return f"ix:{kid or '-'}"


def _index_label(kid: str) -> str:
    return f"SHAML_BLIND_INDEX_KEY key {kid!r}" if kid else "SHAML_BLIND_INDEX_KEY's key without an id"


def check_index_keys(engine: Engine, keyring: Keyring, rows: dict[str, str]) -> dict[str, str]:
    """Refuse a wrong or missing blind-index key; return the check rows to record for keys not seen before.

    - a key with a check row must compute the same keyed hash of :data:`CHECK_TEXT`;
    - a key some contact is indexed under must find that contact again (from its opened address);
    - no contact may be indexed under a key the keyring lacks: it would not be found by its
      number, and the next message from it would make a second contact.
    """
    from bot.models import Contact

    to_record = {}
    for kid in keyring.index_ids:
        check = keyring.blind_under(kid, "key-check", CHECK_TEXT)
        stored = rows.get(_index_row(kid))
        if stored is None:
            to_record[_index_row(kid)] = check
        elif stored != check:
            raise KeyringError(f"{_index_label(kid)} is not the index key this database was indexed with: refusing to start")
    bidx, address = Contact.__table__.c.address_bidx, Contact.__table__.c.address
    held = [bidx.startswith(f"{kid}:", autoescape=True) if kid else ~bidx.contains(":") for kid in keyring.index_ids]
    with engine.begin() as conn:
        for kid, under in zip(keyring.index_ids, held, strict=True):
            sample = conn.execute(select(address, bidx).where(under).limit(1)).first()
            if sample is not None:
                opened = keyring.open(sample[0]) if crypto.is_sealed(sample[0]) else sample[0]
                if keyring.blind_under(kid, "address", opened) != sample[1]:
                    raise KeyringError(f"{_index_label(kid)} does not find this database's contacts: wrong key; refusing to start")
        stray = conn.execute(select(bidx).where(~or_(*held)).limit(1)).scalar_one_or_none()
    if stray is not None:
        found = index_kid(stray)
        what = "a key without an id" if found == LEGACY else (f"index key {found!r}" if found else "an unknown index key")
        raise KeyringError(f"contacts are still indexed under {what}, which SHAML_BLIND_INDEX_KEY does not hold: "
                           "keep it listed until `shaml keys rotate` finishes; refusing to start")
    return to_record


def require_keys(settings: Settings, engine: Engine | None = None) -> Keyring:
    """At a process's start: load the keys and, given the database, check they are its keys."""
    keyring = install_keys(settings)
    if engine is not None:
        check_database(engine, keyring)
    return keyring


def _load_on_first_use() -> Keyring:
    return install_keys(get_settings())


crypto.set_loader(_load_on_first_use)


def start_or_exit(settings: Settings, engine: Engine | None = None) -> Keyring:
    """:func:`require_keys` for a process's start: a missing, malformed or wrong key stops it with one line."""
    import sys

    try:
        return require_keys(settings, engine)
    except KeyringError as exc:
        sys.stderr.write(f"shaml: data keys: {exc}\n")
        raise SystemExit(2) from None


def bench_keys() -> None:
    """Benchmarks on a throwaway database: fresh keys when none are configured, for this process and its children."""
    settings = Settings.from_env()
    if settings.data_keys or settings.blind_index_key or settings.keys_file:
        install_keys(settings)
        return
    os.environ["SHAML_DATA_KEYS"] = f"bench:{crypto.new_key()}"
    os.environ["SHAML_BLIND_INDEX_KEY"] = crypto.new_key()
    install_keys(Settings.from_env())
