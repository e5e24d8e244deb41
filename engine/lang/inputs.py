"""The boundary of a decision: each input turned into its declared type once, or refused by name.

Form values arrive typed already; an import, an API call or a script may hand a number as text,
a date as 'YYYY-MM-DD', a float, or something that is no value of the type at all. Here each is
made what the rule file declares (text stays text even when it looks like a number), and a value
that cannot be is a field error naming the input, never a crash inside a table.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from engine.kernel.errors import MinshengError
from engine.lang.syntax import BOOL, DATE, MONEY, NUMBER, TEXT, element


class WrongInputType(MinshengError):
    """Inputs of a decision that are not of their declared type: `problems` maps each to why."""

    words = "rules."

    def __init__(self, problems: Mapping[str, str]):
        self.code = "wrong_input"
        self.problems = dict(problems)
        details = "; ".join(f"{name}: {why}" for name, why in self.problems.items())
        self.params = {"fields": "、".join(self.problems), "details": details}
        super().__init__("inputs of the wrong type: " + details)


class _Wrong(ValueError):
    pass


_NAMES = {NUMBER: "a number", MONEY: "an amount of money", DATE: "a date (YYYY-MM-DD)", TEXT: "text",
          BOOL: "true or false"}


def _number(value: Any) -> Any:
    if value.__class__ is int:
        return value
    if isinstance(value, bool):
        raise _Wrong
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _Wrong
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _Wrong
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            number = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise _Wrong from None
        if not number.is_finite():
            raise _Wrong
        return number
    raise _Wrong


def _date(value: Any) -> dt.date:
    if value.__class__ is dt.date:
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise _Wrong from None
    raise _Wrong


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise _Wrong


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise _Wrong


_SCALAR = {NUMBER: _number, MONEY: _number, DATE: _date, TEXT: _text, BOOL: _bool}


def coerce(value: Any, kind: str) -> Any:
    """The value as the type `kind`; None stays None (a missing value). Raises ValueError."""
    if value is None:
        return None
    item = element(kind)
    if item is None:
        return _SCALAR[kind](value)
    if not isinstance(value, (list, tuple)):
        raise _Wrong
    convert = _SCALAR[item]
    return [None if v is None else convert(v) for v in value]


def typed(values: Mapping[str, Any], types: Mapping[str, str]) -> dict[str, Any]:
    """Every declared input of `values` in its type; a WrongInputType names each that is not."""
    out, problems = {}, {}
    for name, kind in types.items():
        value = values.get(name)
        try:
            out[name] = coerce(value, kind)
        except _Wrong:
            item = element(kind)
            wanted = f"a list of {_NAMES[item]}" if item else _NAMES[kind]
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
            problems[name] = f"expected {wanted}, got {shown}"
    if problems:
        raise WrongInputType(problems)
    return out
