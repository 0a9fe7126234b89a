"""The ``shaml`` command line: one click group; command modules register themselves here."""

from __future__ import annotations

import importlib
import sys

import click

#: Modules under shaml.commands that add commands; each defines register(cli, bench).
COMMAND_MODULES = ("core", "matching", "devset", "assistant", "gateway", "console", "reunion", "demo", "resilience", "channels",
                   "keys", "retention")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Shaml: reuniting released detainees with their families."""


@cli.group()
def bench() -> None:
    """Benchmarks that print figures beside a baseline measured in the same run."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"shaml.commands.{_name}").register(cli, bench)


def main() -> None:
    """Console-script entry point: a bad setting stops the program with one clear line."""
    from bot.crypto import KeyringError
    from shaml.settings import SettingsError, configure_logging, get_settings

    try:
        configure_logging(get_settings())
    except SettingsError as exc:
        sys.stderr.write(f"shaml: configuration error: {exc}\n")
        raise SystemExit(2) from None
    try:
        cli()
    except KeyringError as exc:  # keys are loaded on first use by commands that read or write personal data
        sys.stderr.write(f"shaml: data keys: {exc}\n")
        raise SystemExit(2) from None
