"""Loading the data keys from settings (never from the database), demo keys, and the wrong-key check.

Keys come from ``SHAML_DATA_KEYS`` and ``SHAML_BLIND_INDEX_KEY``, or from the file named by
``SHAML_KEYS_FILE`` (a secret mount holding those two lines). Demo mode without keys generates
them once under the var directory and says so. A database remembers, per key id, a small value
sealed under that key (``data_key_checks``), so a process started with the wrong key stops at
once with one clear line instead of failing on the first message it reads.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import Column, DateTime, String, Text, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot import crypto
from bot.crypto import Keyring, KeyringError
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
    if keyring.current not in rows:
        try:
            with engine.begin() as conn:
                conn.execute(DataKeyCheck.__table__.insert().values(
                    kid=keyring.current, sealed=keyring.seal(CHECK_TEXT), created_at=utcnow()))
        except IntegrityError:
            check_database(engine, keyring)  # another process started with the same new key at once


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
