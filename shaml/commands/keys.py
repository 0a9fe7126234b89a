"""Key commands: ``shaml keys new`` (a fresh key), ``shaml keys check`` and ``shaml keys rotate``."""

from __future__ import annotations

import click

from shaml.settings import get_settings


def register(cli: click.Group, bench: click.Group) -> None:
    """Add the ``keys`` group."""

    @cli.group()
    def keys() -> None:
        """Data keys: generate, check against the database, rotate (docs/privacy.md)."""

    @keys.command("new")
    def new() -> None:
        """Print a fresh random key (base64 of 32 bytes) for SHAML_DATA_KEYS or SHAML_BLIND_INDEX_KEY."""
        from bot.crypto import new_key

        click.echo(new_key())

    @keys.command("check")
    def check() -> None:
        """Check the configured keys open this database's data; exits 2 with one line if not."""
        from shaml.db import make_engine
        from shaml.keys import start_or_exit

        settings = get_settings()
        engine = make_engine(settings.database_url)
        keyring = start_or_exit(settings, engine)
        engine.dispose()
        from shaml.rotate import index_name

        click.echo(f"data keys {', '.join(keyring.data_keys)} (sealing with {keyring.current!r}) open this database; "
                   f"index keys {', '.join(index_name(k) for k in keyring.index_ids)} (indexing with "
                   f"{index_name(keyring.index_current)}) find its contacts")

    @keys.command("rotate")
    @click.option("--batch-size", type=click.IntRange(1, 100_000), default=500, show_default=True,
                  help="Rows per transaction.")
    def rotate_cmd(batch_size: int) -> None:
        """Seal every value again under the first key of SHAML_DATA_KEYS and recompute every blind index
        under the first key of SHAML_BLIND_INDEX_KEY, in batches, while Shaml runs (docs/privacy.md)."""
        from shaml.db import make_engine
        from shaml.keys import start_or_exit
        from shaml.rotate import index_name, rotate

        settings = get_settings()
        engine = make_engine(settings.database_url)
        keyring = start_or_exit(settings, engine)
        click.echo(f"rotating to data key {keyring.current!r} and index key {index_name(keyring.index_current)}; "
                   "older keys still open data and find contacts until this finishes")
        report = rotate(engine, batch_size=batch_size, echo=click.echo)
        engine.dispose()
        total = sum(report.resealed.values())
        if report.conflicts:
            rows = "; ".join(f"{name} ids {', '.join(map(str, ids[:10]))}" for name, ids in report.conflicts.items())
            raise click.ClickException(
                f"{total} values done, but some rows' new index is already another row's ({rows}): the same number "
                "was stored twice, by a process that did not hold the older index key. Merge or erase the "
                "duplicates in the console, then run again; keep the older index key until then.")
        if not report.done:
            left = ", ".join(f"{name} {count}" for name, count in report.left.items() if count)
            raise click.ClickException(
                f"{total} values done, but some are still under an older key after {report.passes} passes "
                f"({left}): is a process still running with the old SHAML_DATA_KEYS or SHAML_BLIND_INDEX_KEY? "
                "Restart it and run again.")
        older = [kid for kid in keyring.data_keys if kid != keyring.current]
        click.echo(f"done: {total} values sealed again under {keyring.current!r}; nothing is left under "
                   + (f"{', '.join(repr(k) for k in older)}: remove them from SHAML_DATA_KEYS" if older else "another key"))
        retired = [kid for kid in keyring.index_ids if kid != keyring.index_current]
        if retired:
            click.echo(f"every blind index is under {index_name(keyring.index_current)}; no look-up needs "
                       f"{', '.join(index_name(k) for k in retired)}: remove it from SHAML_BLIND_INDEX_KEY and restart. "
                       "Keyed hashes already in the audit trail stay under it (docs/privacy.md)")
