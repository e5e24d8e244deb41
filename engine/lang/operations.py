"""What the expression language's operators and functions do to values, any of which may be
missing: DMN's three-valued logic, decimal128 arithmetic, and the list functions. Shared by the
closures of engine.lang.expr and the generated functions of engine.lang.codegen, so both paths
compute with the very same operations.
"""
from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal
from typing import Any, Callable


TODAY = "today"  # the input a day of every year, date('09-15'), is read against

# decimal128: DMN's number type. Results that overflow it, or that no number can be (0 ** -1),
# are missing values, as a division by zero is.
DMN_CONTEXT = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN, Emax=6144, Emin=-6143,
                              traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow])
_ARITHMETIC_FAILURES = (decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow)


def add(a, b):
    if a is None or b is None:
        return None
    if a.__class__ is int and b.__class__ is int:
        return a + b
    return DMN_CONTEXT.add(a, b)


def subtract(a, b):
    if a is None or b is None:
        return None
    if a.__class__ is int and b.__class__ is int:
        return a - b
    return DMN_CONTEXT.subtract(a, b)


def multiply(a, b):
    if a is None or b is None:
        return None
    if a.__class__ is int and b.__class__ is int:
        return a * b
    return DMN_CONTEXT.multiply(a, b)


def divide(a, b):
    if a is None or b is None or b == 0:
        return None  # no value, rather than a crash: conditions on it are then unknown
    return DMN_CONTEXT.divide(a, b)


def power(a, b):
    if a is None or b is None:
        return None
    try:
        result = DMN_CONTEXT.power(a, b)  # exact integers can grow without bound; decimal128 cannot
    except _ARITHMETIC_FAILURES:
        return None
    return result if result.is_finite() else None  # 0 ** -1


def negate(a):
    return None if a is None else -a if a.__class__ is int else DMN_CONTEXT.minus(a)


def absolute(a):
    return None if a is None else abs(a) if a.__class__ is int else DMN_CONTEXT.abs(a)


def shift_days(day, days, sign):
    """A date moved by a number of days; a fraction of a day has no date, so it gives none."""
    if day is None or days is None or days != int(days):
        return None
    try:
        return day + dt.timedelta(days=sign * int(days))
    except OverflowError:
        return None


def day_in_year_of(today, month: int, day: int):
    """That month and day in the year of `today` (date('09-15')); unknown without a today."""
    return None if today is None else dt.date(today.year, month, day)


def days_between(a, b):
    return None if a is None or b is None else (a - b).days


def not3(a):
    return None if a is None else not a


def _kleene(parts, decisive: bool):
    """`and` (decisive False) or `or` (decisive True) over true, false and unknown (None): one
    decisive part settles it, else any unknown part leaves it unknown."""
    unknown = False
    for part in parts:
        if part is decisive:
            return decisive
        if part is None:
            unknown = True
    return None if unknown else not decisive


def and3(*parts):
    return _kleene(parts, False)


def or3(*parts):
    return _kleene(parts, True)


def within(value, lower, upper, low_included=True, high_included=True):
    if value is None or lower is None or upper is None:
        return None
    above = lower <= value if low_included else lower < value
    below = value <= upper if high_included else value < upper
    return above and below


def member(value, items):
    return None if value is None or items is None else value in items


def compare(op: str) -> Callable[[Any, Any], Any]:
    test = _COMPARE[op]
    return lambda a, b: None if a is None or b is None else test(a, b)


_COMPARE = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
ARITHMETIC = {"+": add, "-": subtract, "*": multiply, "/": divide, "**": power}



def several(values: list) -> list | None:
    """min(a, b) of values written one by one: unknown if any of them is (it could be the least)."""
    return None if None in values else values


def _present(function: Callable[[list], Any]) -> Callable[[Any], Any]:
    """A list function that skips missing items and gives a missing value for a missing list."""
    def apply(items):
        if items is None:
            return None
        return function([v for v in items if v is not None] if None in items else items)
    return apply


def _sum(values: list) -> Any:
    total = 0
    for v in values:
        total = add(total, v)
    return total if total.__class__ is not int else Decimal(total)


def _mean(values: list) -> Any:
    return divide(_sum(values), len(values)) if values else None


def _median(values: list) -> Any:
    if not values:
        return None
    ordered, middle = sorted(values), len(values) // 2
    return ordered[middle] if len(values) % 2 else divide(add(ordered[middle - 1], ordered[middle]), 2)


def _trimmed_mean(values: list) -> Any:
    # The usual score-sheet practice: drop one highest and one lowest mark.
    if len(values) < 3:
        return _mean(values)
    return _mean(sorted(values)[1:-1])


LIST_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "avg": _present(_mean), "median": _present(_median), "trimmed_mean": _present(_trimmed_mean),
    "sum": _present(_sum), "count": _present(len),
    "min": _present(lambda vs: min(vs) if vs else None), "max": _present(lambda vs: max(vs) if vs else None)}


def _count_of(items: Any, value: Any) -> int | None:
    if items is None or value is None:
        return None
    return sum(1 for item in items if item is not None and item == value)


def _contains_all(items: Any, wanted: Any) -> bool | None:
    if items is None or wanted is None:
        return None
    have = set(items)
    return all(w in have for w in wanted)


PAIR_FUNCTIONS_IMPL = {"count_of": _count_of, "contains_all": _contains_all}
