"""Encrypted column types: making a column encrypted at rest is a one-line type change in a model.

- ``EncryptedText()``, ``EncryptedInt()``, ``EncryptedJSON()`` seal on write and open on read, so
  ORM objects and ``select(Model.column)`` see plain values while the database holds ciphertext.
- ``EncryptedText(blind_index="address_bidx", purpose="address")`` also compares through a keyed
  blind index: ``Model.address == x`` and ``Model.address.in_([...])`` become comparisons of the
  sibling column ``address_bidx`` with ``x``'s blind index under every index key held (one value
  outside an index key rotation, so the SQL is the same ``=`` as before). :func:`keep_blind_index` fills that
  column whenever the attribute is set.

Ordering, ``LIKE`` and ranges cannot work on ciphertext; a column that needs them stays plain or
needs another design (docs/privacy.md).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import event
from sqlalchemy.sql import operators
from sqlalchemy.types import Text, TypeDecorator

from bot.crypto.keyring import blind, blinds, open_value, seal


class _Sealed(TypeDecorator):
    """Base: values are sealed text in the database."""

    impl = Text
    cache_ok = True

    def __init__(self, *, blind_index: str | None = None, purpose: str | None = None) -> None:
        super().__init__()
        self.blind_index = blind_index
        self.purpose = purpose or blind_index

    def _dump(self, value: Any) -> str:
        return str(value)

    def _load(self, text: str) -> Any:
        return text

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return seal(self._dump(value))

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        return self._load(open_value(value))

    class comparator_factory(Text.Comparator):  # noqa: N801 (SQLAlchemy's name)
        """Equality on a blind-indexed column compares the blind index instead (never ciphertext)."""

        def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
            sealed_type = self.type
            bidx = getattr(sealed_type, "blind_index", None)
            if bidx is not None and op in (operators.eq, operators.ne, operators.in_op, operators.not_in_op):
                column = self.expr.table.c[bidx]
                purpose = sealed_type.purpose
                if op in (operators.in_op, operators.not_in_op):
                    values = [b for v in other[0] for b in blinds(purpose, str(v))]
                    return column.in_(values) if op is operators.in_op else column.not_in(values)
                value = other[0]
                if value is None:
                    return column.is_(None) if op is operators.eq else column.is_not(None)
                # Under every index key held: during a rotation a row may still carry an older key's index.
                found = blinds(purpose, str(value))
                if len(found) == 1:
                    return op(column, found[0])
                return column.in_(found) if op is operators.eq else column.not_in(found)
            if op in (operators.eq, operators.ne, operators.in_op, operators.not_in_op) and not (
                other and other[0] is None
            ):
                raise TypeError("an encrypted column cannot be compared in SQL; give it a blind index")
            return super().operate(op, *other, **kwargs)


class EncryptedText(_Sealed):
    """Text sealed with the data key."""

    cache_ok = True


class EncryptedInt(_Sealed):
    """A whole number sealed with the data key (no ordering or ranges in SQL)."""

    cache_ok = True

    def _load(self, text: str) -> Any:
        return int(text)


class EncryptedJSON(_Sealed):
    """A JSON value sealed with the data key."""

    cache_ok = True

    def _dump(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def _load(self, text: str) -> Any:
        return json.loads(text)


def blind_index_default(source_column: str, purpose: str) -> Any:
    """A column default computing the blind index of ``source_column`` on a Core ``INSERT`` that omits it."""

    def _default(context: Any) -> str | None:
        value = context.get_current_parameters().get(source_column)
        return None if value is None else blind(purpose, str(value))

    return _default


def keep_blind_index(attribute: Any, index_attribute: str, purpose: str) -> None:
    """Whenever ``attribute`` (e.g. ``Contact.address``) is set, set ``index_attribute`` to its blind index."""

    def _set(target: Any, value: Any, _old: Any, _initiator: Any) -> None:
        setattr(target, index_attribute, None if value is None else blind(purpose, str(value)))

    event.listen(attribute, "set", _set)
