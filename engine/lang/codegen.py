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

from engine.lang import operations as ops
from engine.lang.expr import compile_node
from engine.lang.operations import LIST_FUNCTIONS, PAIR_FUNCTIONS_IMPL, TODAY
from engine.schema.days import yearly_day
from engine.lang.syntax import DATE, MONEY, NUMBER, TEXT, BOOL, Node, element, parse

SLOW = object()  # returned when the fast path cannot decide: the caller uses the closures


def _finite(value):
    return value.__class__ is int or (value.__class__ is Decimal and value.is_finite())


def _list_of(check):
    return lambda xs: all(x is None or check(x) for x in xs)


# Whether an input is exactly of its type, as the fast path needs it (anything else, a float, a
# numeric-looking text, a missing value, is typed by the reference path or refused there).
_EXACT = {NUMBER: _finite, MONEY: _finite, DATE: lambda v: v.__class__ is dt.date,
          TEXT: lambda v: v.__class__ is str, BOOL: lambda v: v.__class__ is bool}

HELPERS: dict[str, Any] = {
    "_add": ops.add, "_sub": ops.subtract, "_mul": ops.multiply, "_div": ops.divide, "_pow": ops.power,
    "_neg": ops.negate, "_abs": ops.absolute, "_days": ops.days_between, "_shift": ops.shift_days,
    "_day_in_year_of": ops.day_in_year_of,
    "_not3": ops.not3, "_and3": ops.and3, "_or3": ops.or3, "_within": ops.within, "_member": ops.member,
    "_several": ops.several, **{f"_F_{name}": fn for name, fn in LIST_FUNCTIONS.items()},
    **{f"_F_{name}": fn for name, fn in PAIR_FUNCTIONS_IMPL.items()},
    **{f"_C{i}": ops.compare(op) for i, op in enumerate(("<", "<=", ">", ">=", "==", "!="))},
    "_finite": _finite, **{f"_exact_{kind}": check for kind, check in _EXACT.items()},
    **{f"_exact_list_{kind}": _list_of(check) for kind, check in _EXACT.items()},
    "_MIN": min, "_MAX": max, "_INT": int, "_DATE": dt.date, "_STR": str, "_BOOL": bool, "_LIST": list, "SLOW": SLOW, "_bool": bool,
}
_COMPARE_HELPER = {op: f"_C{i}" for i, op in enumerate(("<", "<=", ">", ">=", "==", "!="))}
_ARITHMETIC_HELPER = {"+": "_add", "-": "_sub", "*": "_mul", "/": "_div", "**": "_pow"}


def local(name: str) -> str:
    """The generated variable of a name; a dotted name (another table's output) has no dot."""
    return "n_" + name.replace(".", "__dot__")


class _Gen:
    def __init__(self, names: dict[str, str]):
        self.names = names            # name -> type
        self.nullable: set[str] = set()  # derived values that may be None
        self.constants: list[Any] = []
        self.ints: set[str] | None = None  # in the branch where every number input is an int: the
        # names known to hold ints, whose + - * Python may do itself (exact, so as DMN's would be)

    def is_int(self, node: Node) -> bool:
        if self.ints is None:
            return False
        op = node.op
        if op == "literal":
            return node.value[0].__class__ is int
        if op == "name":
            return node.value in self.ints
        if op == "unary":
            return self.is_int(node.args[0])
        if op == "binary":
            return node.value in ("+", "-", "*") and all(self.is_int(a) for a in node.args)
        return op == "call" and node.value == "count"

    def const(self, value: Any) -> str:
        self.constants.append(value)
        return f"K[{len(self.constants) - 1}]"

    def kind(self, node: Node) -> str:
        return compile_node(node, self.names)[0]

    def gen(self, node: Node) -> tuple[str, bool]:
        """Python source for the node, and whether it may be None (missing, or unknown)."""
        op = node.op
        if op == "literal":
            return self.const(node.value[0]), False
        if op == "name":
            return local(node.value), node.value in self.nullable
        if op == "list":
            parts = [self.gen(a)[0] for a in node.args]
            return f"[{', '.join(parts)}]", False
        if op == "unary":
            inner, null = self.gen(node.args[0])
            return (f"(-{inner})" if not null and self.is_int(node) else f"_neg({inner})"), null
        if op == "binary":
            (a, an), (b, bn) = self.gen(node.args[0]), self.gen(node.args[1])
            ka, kb = self.kind(node.args[0]), self.kind(node.args[1])
            o = node.value
            if DATE in (ka, kb):
                if o == "-" and ka == kb == DATE:
                    return (f"_days({a}, {b})" if an or bn else f"({a} - {b}).days"), an or bn
                d, n = (a, b) if ka == DATE else (b, a)
                return f"_shift({d}, {n}, {1 if o == '+' else -1})", True
            if not (an or bn) and self.is_int(node):
                return f"({a} {o} {b})", False
            return f"{_ARITHMETIC_HELPER[o]}({a}, {b})", an or bn or o in ("/", "**")
        if op == "compare":
            (a, an), (b, bn) = self.gen(node.args[0]), self.gen(node.args[1])
            if an or bn:
                return f"{_COMPARE_HELPER[node.value]}({a}, {b})", True
            return f"({a} {node.value} {b})", False
        if op == "in":
            left, right = node.args
            a, an = self.gen(left)
            if right.op == "range":
                (lo, ln), (hi, hn) = self.gen(right.args[0]), self.gen(right.args[1])
                low, high = right.value
                if an or ln or hn:
                    return f"_within({a}, {lo}, {hi}, {low}, {high})", True
                return f"({lo} {'<=' if low else '<'} {a} {'<=' if high else '<'} {hi})", False
            b, bn = self.gen(right)
            return (f"_member({a}, {b})", True) if an or bn else (f"({a} in {b})", False)
        if op == "not":
            inner, null = self.gen(node.args[0])
            return (f"_not3({inner})", True) if null else (f"(not {inner})", False)
        if op in ("and", "or"):
            parts = [self.gen(a) for a in node.args]
            if any(null for _, null in parts):
                return f"_{op}3({', '.join(p for p, _ in parts)})", True
            return "(" + f" {op} ".join(p for p, _ in parts) + ")", False
        if op == "call":
            return self.call(node)
        raise ValueError(op)

    def call(self, node: Node) -> tuple[str, bool]:
        name = node.value
        if name == "date":
            yearly = yearly_day(node.args[0].value[0])
            if yearly is not None:  # that day of today's year: today is an input, checked like the rest
                return f"_day_in_year_of({local(TODAY)}, {yearly[0]}, {yearly[1]})", TODAY in self.nullable
            return self.const(dt.date.fromisoformat(node.args[0].value[0])), False
        parts = [self.gen(a) for a in node.args]
        if name in PAIR_FUNCTIONS_IMPL:
            return f"_F_{name}({parts[0][0]}, {parts[1][0]})", parts[0][1] or parts[1][1]
        if name == "abs":
            return f"_abs({parts[0][0]})", parts[0][1]
        if len(parts) == 1 and element(self.kind(node.args[0])):
            arg = parts[0][0]
        elif not any(null for _, null in parts):  # min/max of several values, all there
            return f"_{name.upper()}({', '.join(p for p, _ in parts)})", False
        else:
            arg = f"_several([{', '.join(p for p, _ in parts)}])"
        return f"_F_{name}({arg})", True


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
            pieces.append(f"_text({local(name)})")
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
        var, item = local(name), element(kind)
        lines.append(f"    {var} = v.get({name!r})")
        if item is None and kind in (NUMBER, MONEY):  # an int needs one look; a Decimal, two
            lines.append(f"    if {var}.__class__ is not _INT and not _finite({var}): return SLOW")
        elif item is None:
            lines.append(f"    if not _exact_{kind}({var}): return SLOW")
        else:
            lines.append(f"    if {var}.__class__ is not _LIST or not _exact_list_{item}({var}): return SLOW")
    numbers = [name for name, kind in input_types.items() if kind in (NUMBER, MONEY)]
    general, whole = [], []
    for name, text in derived:
        node = parse(text)
        source, null = gen.gen(node)
        names[name] = compile_node(node, names)[0]
        if null:
            gen.nullable.add(name)
        general.append(f"{local(name)} = {source}")
    # Screening marks are whole numbers: when every number input is an int, the derived values are
    # computed with Python's own exact + - * (the same values the DMN helpers give, faster).
    known_ints = set(numbers)
    for name, text in derived:
        node = parse(text)
        gen.ints = known_ints
        source, _ = gen.gen(node)
        if gen.is_int(node) and name not in gen.nullable:
            known_ints.add(name)
        gen.ints = None
        whole.append(f"{local(name)} = {source}")
    if numbers and whole != general:
        guard = " and ".join(f"{local(n)}.__class__ is _INT" for n in numbers)
        lines.append(f"    if {guard}:")
        lines.extend(f"        {line}" for line in whole)
        lines.append("    else:")
        lines.extend(f"        {line}" for line in general)
    else:
        lines.extend(f"    {line}" for line in general)
    conditions = [" and ".join(gen.gen(parse(text))[0] for text in row) or "True" for row in rows]
    if policy in ("FIRST", "UNIQUE") and reasons is not None:
        def outcome(i: int) -> str:
            template, parts = reasons[i]
            row_names = [n for _, n, _, _ in parts if n and n not in seen_names]
            seen = "{" + "".join(f"{n!r}: {local(n)}, " for n in tuple(seen_names) + tuple(row_names)) + "}"
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
        report = "(" + "".join(f"{local(n)}, " for n in extra_names) + ")"
        lines.append(f"    return ({''.join(f'_bool({c}), ' for c in conditions)}), {report}")
    source = "\n".join(lines) + "\n"
    # The generated source holds only our identifiers, operators and helper names; constants
    # travel in K. compile() turns it into bytecode; FunctionType makes the function from it,
    # with no builtins reachable.
    module = compile(source, "<decision table>", "exec")
    code = next(c for c in module.co_consts if isinstance(c, types.CodeType))
    scope = {"__builtins__": {}, "K": tuple(gen.constants), **HELPERS}
    return types.FunctionType(code, scope, "decide"), lines
