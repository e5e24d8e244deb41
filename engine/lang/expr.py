"""A small, safe expression language for conditions and derived values in profile rules.

    necessity + feasibility >= 7 and category not in ['office']
    avg(scores) >= 75%            estimated_cost <= 500000           deadline - held_on > 30

Expressions are parsed and type-checked when the profile loads; a mistake is a config error with
a pointer into the text. They are then compiled once into nested Python closures. Nothing is
ever handed to ``eval``: an expression can name only the inputs it was declared with and the
functions below, so it cannot reach files, imports or attributes.

Types: number (exact decimals), money (yuan), date, text, bool, and lists of these. Money and
numbers compare with each other (thresholds are written as plain numbers); dates only with dates.

A value may be missing (a sheet not filed, a field left empty). As in DMN, the language then has a
third truth value, *unknown*: a comparison with a missing value is unknown, `not unknown` is
unknown, `false and unknown` is false, `true or unknown` is true, and arithmetic on a missing
value gives a missing value. A row of a decision table matches only when its condition is true,
so a missing value never makes a row match by negation. Decimal arithmetic runs with DMN's 34
significant digits (decimal128), whatever the process's own decimal context says.
"""
from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Any, Callable, Mapping


from engine.lang.operations import (
    ARITHMETIC, LIST_FUNCTIONS, PAIR_FUNCTIONS_IMPL, TODAY, absolute, and3, compare, day_in_year_of, days_between,
    member, negate, not3, or3, several, shift_days, within)
from engine.schema.days import yearly_day
from engine.lang.syntax import BOOL, DATE, ExprError, MONEY, NUMBER, NUMERIC, Node, TEXT, element, list_of, parse

# -- types and compilation --------------------------------------------------------------------
Fn = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Compiled:
    """A type-checked expression ready to run: ``fn(values)``."""

    text: str
    kind: str
    names: frozenset[str]
    fn: Fn

    def __call__(self, values: Mapping[str, Any]) -> Any:
        return self.fn(values)


FUNCTIONS = {
    "min": "the smallest of a list, or of several values",
    "max": "the largest of a list, or of several values",
    "sum": "the total of a list of numbers or amounts",
    "count": "how many items a list has",
    "avg": "the average of a list of numbers or amounts",
    "median": "the middle value of a list of numbers or amounts (the mean of the two middle ones for an even count)",
    "trimmed_mean": "the average of a list after dropping its highest and its lowest value (with three values or more)",
    "count_of": "how many items of a list equal a value: count_of(opinions, 'disagree')",
    "contains_all": "whether a list holds every value of another: contains_all(agreed, ['finance', 'water'])",
    "abs": "a number without its sign",
    "date": "a date written as date('YYYY-MM-DD'), or a day of every year as date('MM-DD'): that day of today's year",
}


def compile_expression(text: str, names: Mapping[str, str], expect: str | None = None) -> Compiled:
    """Parse, type-check against ``names`` (name -> type) and compile; raises ExprError."""
    node = parse(text)
    kind, fn, used = compile_node(node, names)
    if expect is not None and kind != expect and not ({expect, kind} == {NUMBER, MONEY}):
        raise ExprError(f"expected a {expect} expression, but this gives a {kind}", 0, len(text))
    return Compiled(text, kind, frozenset(used), fn)


def _type_error(node: Node, message: str) -> ExprError:
    return ExprError(message, node.start, node.end)


def compile_node(node: Node, names: Mapping[str, str]) -> tuple[str, Fn, set[str]]:
    op = node.op
    if op == "literal":
        value, kind = node.value
        return kind, (lambda env, v=value: v), set()
    if op == "name":
        name = node.value
        if name not in names:
            close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise _type_error(node, f"unknown name '{name}'{hint}")
        return names[name], (lambda env, n=name: env.get(n)), {name}
    if op == "list":
        parts = [compile_node(item, names) for item in node.args]
        kinds = {k for k, _, _ in parts}
        if not parts:
            return list_of(NUMBER), (lambda env: []), set()
        if len(kinds - {NUMBER}) > 1 or (len(kinds) > 1 and not kinds <= set(NUMERIC)):
            raise _type_error(node, f"a list's items must be of one type; found {', '.join(sorted(kinds))}")
        kind = MONEY if MONEY in kinds else kinds.pop()
        fns = [f for _, f, _ in parts]
        return list_of(kind), (lambda env: [f(env) for f in fns]), set().union(*(u for _, _, u in parts))
    if op == "unary":
        kind, fn, used = compile_node(node.args[0], names)
        if kind not in NUMERIC:
            raise _type_error(node, f"'-' needs a number or an amount, not a {kind}")
        return kind, (lambda env: negate(fn(env))), used
    if op == "binary":
        return _binary(node, names)
    if op == "compare":
        return _compare(node, names)
    if op == "in":
        return _in(node, names)
    if op in ("and", "or", "not"):
        parts = [compile_node(arg, names) for arg in node.args]
        for arg, (kind, _, _) in zip(node.args, parts):
            if kind != BOOL:
                raise _type_error(arg, f"'{op}' needs a condition (true or false), not a {kind}")
        used = set().union(*(u for _, _, u in parts))
        fns = tuple(f for _, f, _ in parts)
        if op == "not":
            f = fns[0]
            return BOOL, (lambda env: not3(f(env))), used
        if op == "and":
            return BOOL, (lambda env: and3(*(f(env) for f in fns))), used
        return BOOL, (lambda env: or3(*(f(env) for f in fns))), used
    if op == "call":
        return _call(node, names)
    raise _type_error(node, f"cannot compile {op}")  # not reachable from the parser


def _binary(node: Node, names) -> tuple[str, Fn, set[str]]:
    (lk, lf, lu), (rk, rf, ru) = (compile_node(a, names) for a in node.args)
    op = node.value
    result = _arith_type(op, lk, rk)
    if result is None:
        raise _type_error(node, f"cannot {_VERB[op]} a {lk} and a {rk}")
    if {lk, rk} & {DATE}:
        if op == "-" and lk == rk == DATE:
            fn = lambda env: days_between(lf(env), rf(env))  # noqa: E731
        else:
            sign = 1 if op == "+" else -1
            date_f, days_f = (lf, rf) if lk == DATE else (rf, lf)
            fn = lambda env: shift_days(date_f(env), days_f(env), sign)  # noqa: E731
        return result, fn, lu | ru
    arithmetic = ARITHMETIC[op]
    return result, (lambda env: arithmetic(lf(env), rf(env))), lu | ru


_VERB = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "**": "raise"}


def _arith_type(op: str, lk: str, rk: str) -> str | None:
    if op == "**":
        return NUMBER if lk == rk == NUMBER else None
    if lk == rk == NUMBER:
        return NUMBER
    if op in "+-" and lk == rk == MONEY:
        return MONEY
    if op == "*" and {lk, rk} == {MONEY, NUMBER}:
        return MONEY
    if op == "/" and lk == MONEY:
        return NUMBER if rk == MONEY else MONEY if rk == NUMBER else None
    if op == "-" and lk == rk == DATE:
        return NUMBER
    if op in "+-" and lk == DATE and rk == NUMBER:
        return DATE
    if op == "+" and lk == NUMBER and rk == DATE:
        return DATE
    return None


def _comparable(a: str, b: str) -> bool:
    return a == b or {a, b} <= set(NUMERIC)


def _compare(node: Node, names) -> tuple[str, Fn, set[str]]:
    (lk, lf, lu), (rk, rf, ru) = (compile_node(a, names) for a in node.args)
    op = node.value
    if not _comparable(lk, rk):
        raise _type_error(node, f"cannot compare a {lk} with a {rk}")
    ordering = op not in ("==", "!=")
    if ordering and (lk == BOOL or element(lk)):
        raise _type_error(node, f"'{op}' does not order {lk} values; use == or !=")
    test = compare(op)
    return BOOL, (lambda env: test(lf(env), rf(env))), lu | ru


def _in(node: Node, names) -> tuple[str, Fn, set[str]]:
    left, right = node.args
    lk, lf, lu = compile_node(left, names)
    if right.op == "range":
        (ak, af, au), (bk, bf, bu) = (compile_node(a, names) for a in right.args)
        for part, kind in ((right.args[0], ak), (right.args[1], bk)):
            if not _comparable(lk, kind) or lk not in NUMERIC + (DATE,):
                raise _type_error(part, f"a range for a {lk} must be made of {lk} values, not {kind}")
        low, high = right.value
        return BOOL, (lambda env: within(lf(env), af(env), bf(env), low, high)), lu | au | bu
    rk, rf, ru = compile_node(right, names)
    item = element(rk)
    if item is None:
        raise _type_error(right, f"'in' needs a list or a range a..b on its right, not a {rk}")
    if not _comparable(lk, item):
        raise _type_error(node, f"cannot look for a {lk} in a {rk}")
    return BOOL, (lambda env: member(lf(env), rf(env))), lu | ru


def _call(node: Node, names) -> tuple[str, Fn, set[str]]:
    name = node.value
    if name not in FUNCTIONS:
        close = difflib.get_close_matches(name, list(FUNCTIONS), n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise _type_error(node, f"unknown function '{name}'{hint}; functions are {', '.join(FUNCTIONS)}")
    if name == "date":
        if len(node.args) != 1 or node.args[0].op != "literal" or node.args[0].value[1] != TEXT:
            raise _type_error(node, "date() takes one date in quotes, e.g. date('2026-03-01') or date('09-15')")
        yearly = yearly_day(node.args[0].value[0])
        if yearly is not None:
            if names.get(TODAY) != DATE:
                raise _type_error(node, f"date('{node.args[0].value[0]}') is that day of today's year: "
                                        f"it needs the input '{TODAY}' (a date)")
            month, day = yearly
            return DATE, (lambda env: day_in_year_of(env.get(TODAY), month, day)), {TODAY}
        try:
            value = dt.date.fromisoformat(node.args[0].value[0])
        except ValueError:
            raise _type_error(node.args[0], f"not a date: {node.args[0].value[0]!r}; write YYYY-MM-DD, "
                                            "or MM-DD for that day of every year") from None
        return DATE, (lambda env: value), set()
    parts = [compile_node(arg, names) for arg in node.args]
    used = set().union(*(u for _, _, u in parts)) if parts else set()
    if name in ("count_of", "contains_all"):
        kind, impl = _two_lists(node, name, parts), PAIR_FUNCTIONS_IMPL[name]
        (_, f, _), (_, g, _) = parts
        return kind, (lambda env: impl(f(env), g(env))), used
    if name == "abs":
        if len(parts) != 1 or parts[0][0] not in NUMERIC:
            raise _type_error(node, "abs() takes one number or amount")
        f = parts[0][1]
        return parts[0][0], (lambda env: absolute(f(env))), used
    if len(parts) == 1 and element(parts[0][0]):
        item, f = element(parts[0][0]), parts[0][1]
        values = f  # a list; its missing items are skipped, a missing list is unknown
    elif name in ("min", "max") and len(parts) >= 2:
        kinds = {k for k, _, _ in parts}
        if not (len(kinds) == 1 or kinds <= set(NUMERIC)):
            raise _type_error(node, f"{name}() needs values of one type; found {', '.join(sorted(kinds))}")
        item = MONEY if MONEY in kinds else kinds.pop()
        fns = [f for _, f, _ in parts]
        values = lambda env: several([g(env) for g in fns])  # noqa: E731
    else:
        raise _type_error(node, f"{name}() takes a list" + (", or several values" if name in ("min", "max") else ""))
    if name != "count" and item not in NUMERIC + ((DATE,) if name in ("min", "max") else ()):
        raise _type_error(node, f"{name}() needs numbers or amounts, not {item} values")
    fn = LIST_FUNCTIONS[name]
    return (NUMBER if name == "count" else item), (lambda env: fn(values(env))), used


def _two_lists(node: Node, name: str, parts: list) -> str:
    """Type-check count_of(list, value) and contains_all(list, list); returns the result type."""
    if len(parts) != 2 or not element(parts[0][0]):
        raise _type_error(node, f"{name}() takes a list and " + ("a value" if name == "count_of" else "a list"))
    item, other = element(parts[0][0]), parts[1][0]
    wanted = other if name == "count_of" else element(other)
    if wanted is None or not _comparable(item, wanted):
        raise _type_error(node.args[1], f"{name}() cannot look for {other} values in a {parts[0][0]}")
    return NUMBER if name == "count_of" else BOOL


