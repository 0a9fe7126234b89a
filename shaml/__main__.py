"""``python -m shaml`` runs the CLI."""

from shaml.cli import main

main()
