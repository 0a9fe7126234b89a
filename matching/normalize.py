"""Text normalisation for names, digits and scripts: pure functions, no I/O."""

from __future__ import annotations

# Arabic-Indic (U+0660..0669) and Persian/Urdu (U+06F0..06F9) digits to ASCII.
_DIGITS = {**{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)}}


def ascii_digits(text: str) -> str:
    """Replace Arabic-Indic and Persian digits with ASCII digits; other characters are kept."""
    return text.translate(_DIGITS)
