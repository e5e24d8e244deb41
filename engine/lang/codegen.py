"""Compile a whole decision table into one Python function, for speed.

Screening thousands of suggestions calls a table millions of times; nested closures cost about
ten times a hand-written function. So a table is also translated, once at load, into the source of
one plain function, which CPython compiles to bytecode. This is still the safe evaluator, not eval:
Python never sees the administrator's text. The source is generated from the type-checked syntax
tree; every name becomes a local variable ``n_<name>`` (names are checked identifiers), every
number, text and date is a constant passed in a tuple, and the only functions reachable are the
helpers below (builtins are withheld). The closures of ``expr.py`` remain the reference: a call
with a missing or unexpected input takes them, and a property test holds the two to the same
results.
"""
from __future__ import annotations

import datetime as dt
import types
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable

from engine.lang.expr import LIST_FUNCTIONS, PAIR_FUNCTIONS_IMPL, compile_node
from engine.lang.syntax import DATE, MONEY, NUMBER, TEXT, BOOL, Node, element, parse

SLOW = object()  # returned when the fast path cannot decide: the caller uses the closures


def _div(a, b):
    return None if a is None or b is None or b == 0 else Decimal(a) / Decimal(b)


def _values(xs):
    return [x for x in (xs or ()) if x is not None]


def _min(xs):
    vs = _values(xs)
    return min(vs) if vs else None


def _max(xs):
    vs = _values(xs)
    return max(vs) if vs else None


def _sum(xs):
    return sum(_values(xs), Decimal(0))


def _count(xs):
    return len(_values(xs))


def _cmp(op):
    def compare(a, b):
        return a is not None and b is not None and op(a, b)
    return compare


HELPERS: dict[str, Any] = {
    "_div": _div, "_min": _min, "_max": _max, "_avg": lambda xs: LIST_FUNCTIONS["avg"](_values(xs)),
    "_median": lambda xs: LIST_FUNCTIONS["median"](_values(xs)),
    "_trimmed_mean": lambda xs: LIST_FUNCTIONS["trimmed_mean"](_values(xs)),
    "_count_of": PAIR_FUNCTIONS_IMPL["count_of"], "_contains_all": PAIR_FUNCTIONS_IMPL["contains_all"], "_sum": _sum, "_count": _count, "_abs": abs,
    "_days": lambda a, b: None if a is None or b is None else (a - b).days,
    "_shift": lambda d, n, sign: None if d is None or n is None else d + dt.timedelta(days=sign * int(n)),
    "_arith": {"+": lambda a, b: None if a is None or b is None else a + b,
               "-": lambda a, b: None if a is None or b is None else a - b,
               "*": lambda a, b: None if a is None or b is None else a * b},
    "_neg": lambda a: None if a is None else -a,
    "_lt": _cmp(lambda a, b: a < b), "_le": _cmp(lambda a, b: a <= b), "_gt": _cmp(lambda a, b: a > b),
    "_ge": _cmp(lambda a, b: a >= b), "_eq": _cmp(lambda a, b: a == b), "_ne": _cmp(lambda a, b: a != b),
    "_in": lambda a, b: a is not None and a in (b or ()),
    "_between": lambda a, lo, hi: a is not None and lo is not None and hi is not None and lo <= a <= hi,
    "_NUM": (int, Decimal), "_DATE": dt.date, "_STR": str, "_BOOL": bool, "_LIST": list,
    "SLOW": SLOW, "_isinstance": isinstance, "_bool": bool,
}
_COMPARE_HELPER = {"<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge", "==": "_eq", "!=": "_ne"}


class _Gen:
    def __init__(self, names: dict[str, str]):
        self.names = names            # name -> type
        self.nullable: set[str] = set()  # derived values that may be None
        self.constants: list[Any] = []

    def const(self, value: Any) -> str:
        self.constants.append(value)
        return f"K[{len(self.constants) - 1}]"

    def kind(self, node: Node) -> str:
        return compile_node(node, self.names)[0]

    def gen(self, node: Node) -> tuple[str, bool]:
        """Python source for the node, and whether it may be None."""
        op = node.op
        if op == "literal":
            return self.const(node.value[0]), False
        if op == "name":
            return f"n_{node.value}", node.value in self.nullable
        if op == "list":
            parts = [self.gen(a)[0] for a in node.args]
            return f"[{', '.join(parts)}]", False
        if op == "unary":
            inner, null = self.gen(node.args[0])
            return (f"_neg({inner})" if null else f"(-{inner})"), null
        if op == "binary":
            (a, an), (b, bn) = self.gen(node.args[0]), self.gen(node.args[1])
            ka, kb = self.kind(node.args[0]), self.kind(node.args[1])
            o = node.value
            if o == "/":
                return f"_div({a}, {b})", True
            if DATE in (ka, kb):
                if o == "-" and ka == kb == DATE:
                    return (f"_days({a}, {b})" if an or bn else f"({a} - {b}).days"), an or bn
                d, n = (a, b) if ka == DATE else (b, a)
                return f"_shift({d}, {n}, {1 if o == '+' else -1})", True
            if an or bn:
                return f"_arith[{o!r}]({a}, {b})", True
            return f"({a} {o} {b})", False
        if op == "compare":
            (a, an), (b, bn) = self.gen(node.args[0]), self.gen(node.args[1])
            if an or bn:
                return f"{_COMPARE_HELPER[node.value]}({a}, {b})", False
            return f"({a} {node.value} {b})", False
        if op == "in":
            left, right = node.args
            a, an = self.gen(left)
            if right.op == "range":
                (lo, ln), (hi, hn) = self.gen(right.args[0]), self.gen(right.args[1])
                if an or ln or hn:
                    return f"_between({a}, {lo}, {hi})", False
                return f"({lo} <= {a} <= {hi})", False
            b, _ = self.gen(right)
            return (f"_in({a}, {b})" if an else f"({a} in ({b} or ()))"), False
        if op == "not":
            return f"(not {self.gen(node.args[0])[0]})", False
        if op in ("and", "or"):
            return f"({self.gen(node.args[0])[0]} {op} {self.gen(node.args[1])[0]})", False
        if op == "call":
            return self.call(node)
        raise ValueError(op)

    def call(self, node: Node) -> tuple[str, bool]:
        name = node.value
        if name == "date":
            return self.const(dt.date.fromisoformat(node.args[0].value[0])), False
        parts = [self.gen(a) for a in node.args]
        if name in PAIR_FUNCTIONS_IMPL:
            return f"_{name}({parts[0][0]}, {parts[1][0]})", False
        if name == "abs":
            a, null = parts[0]
            return (f"(None if {a} is None else _abs({a}))" if null else f"_abs({a})"), null
        if len(parts) == 1 and element(self.kind(node.args[0])):
            arg = parts[0][0]
        else:  # min/max of several values
            arg = f"[{', '.join(p for p, _ in parts)}]"
        return f"_{name}({arg})", name in ("min", "max") or name in LIST_FUNCTIONS


_CHECK = {NUMBER: "_NUM", MONEY: "_NUM", DATE: "_DATE", TEXT: "_STR", BOOL: "_BOOL"}


def plain_text(value: Any) -> str:
    """A value as a reason shows it to a citizen: numbers to two decimals at most (an average of
    three scores is 3.67, not 3.666666…), dates as YYYY-MM-DD, lists joined with 、."""
    if value is None:
        return "\u2014"
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return str(value.quantize(Decimal(1)))
        rounded = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return str(rounded).rstrip("0").rstrip(".")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "、".join(plain_text(v) for v in value) or "\u2014"
    return str(value)


HELPERS["_text"] = plain_text


def _reason_source(gen: _Gen, template: str | None, parts: list) -> str:
    if template is None:
        return "None"
    pieces = []
    for literal, name, _, _ in parts:
        if literal:
            pieces.append(gen.const(literal.replace("{{", "{").replace("}}", "}")))
        if name:
            pieces.append(f"_text(n_{name})")
    return " + ".join(pieces) or gen.const("")


def build(input_types: dict[str, str], derived: list[tuple[str, str]], rows: list[list[str]],
          policy: str, extra_names: list[str], reasons: list[tuple[str | None, list]] | None = None,
          seen_names: tuple[str, ...] = ()) -> tuple[Callable, list[str]]:
    """A function ``f(values)`` for one table, or one returning SLOW when the closures must decide.

    FIRST and UNIQUE tables return (row index or -1 for the default, reason text, seen values),
    the explanation built in place as a hand-written function would. Other tables return (one
    boolean per row, the values of `extra_names`). ``reasons`` holds each row's template and its
    parsed parts, the default row's last.
    """
    names = dict(input_types)
    gen = _Gen(names)
    lines = ["def decide(v):"]
    for name, kind in input_types.items():
        check = _CHECK.get(kind, "_LIST")
        lines.append(f"    n_{name} = v.get({name!r})")
        lines.append(f"    if not _isinstance(n_{name}, {check}): return SLOW")
    for name, text in derived:
        node = parse(text)
        source, null = gen.gen(node)
        names[name] = compile_node(node, names)[0]
        if null:
            gen.nullable.add(name)
        lines.append(f"    n_{name} = {source}")
    conditions = [" and ".join(gen.gen(parse(text))[0] for text in row) or "True" for row in rows]
    if policy in ("FIRST", "UNIQUE") and reasons is not None:
        def outcome(i: int) -> str:
            template, parts = reasons[i]
            row_names = [n for _, n, _, _ in parts if n and n not in seen_names]
            seen = "{" + "".join(f"{n!r}: n_{n}, " for n in tuple(seen_names) + tuple(row_names)) + "}"
            return f"return {i if i < len(rows) else -1}, {_reason_source(gen, template, parts)}, {seen}"
        if policy == "UNIQUE":
            lines.append(f"    hits = ({''.join(f'_bool({c}), ' for c in conditions)})")
            lines.append("    if hits.count(True) > 1: return SLOW")  # the reference path names both rows
            for i in range(len(rows)):
                lines.append(f"    if hits[{i}]: {outcome(i)}")
        else:
            for i, condition in enumerate(conditions):
                lines.append(f"    if {condition}: {outcome(i)}")
        lines.append(f"    {outcome(len(rows))}")
    else:
        report = "(" + "".join(f"n_{n}, " for n in extra_names) + ")"
        lines.append(f"    return ({''.join(f'_bool({c}), ' for c in conditions)}), {report}")
    source = "\n".join(lines) + "\n"
    # The generated source holds only our identifiers, operators and helper names; constants
    # travel in K. compile() turns it into bytecode; FunctionType makes the function from it,
    # with no builtins reachable.
    module = compile(source, "<decision table>", "exec")
    code = next(c for c in module.co_consts if isinstance(c, types.CodeType))
    scope = {"__builtins__": {}, "K": tuple(gen.constants), **HELPERS}
    return types.FunctionType(code, scope, "decide"), lines
