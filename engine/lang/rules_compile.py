"""Type-check and compile a rules file (engine.schema.rules) into engine.lang.tables' objects.

Every problem is returned with its key path, so the profile's loader can point at the file and
line. A table may read other tables of its file by their ids: those are compiled first, in
dependency order, and a table that ends up reading itself is refused.
"""
from __future__ import annotations

import difflib
import string
from typing import Mapping

from engine.lang import codegen
from engine.lang.expr import compile_expression
from engine.lang.syntax import BOOL, NUMERIC, ExprError, Node, list_of, parse
from engine.lang.tables import CompiledRow, CompiledRules, CompiledTable
from engine.schema.rules import SINGLE_HIT, Row, RuleFile, Table


def compile_rules(rules: RuleFile, source: str) -> tuple[CompiledRules | None, list[tuple[tuple, str]]]:
    """Compile a validated rule file; returns it and the (key path, message) of each problem."""
    problems: list[tuple[tuple, str]] = []
    names: dict[str, str] = dict(rules.inputs)
    derived = []
    for name, text in rules.derived.items():
        if name in names:
            problems.append((("derived", name), f"'{name}' is already an input"))
            continue
        try:
            compiled = compile_expression(str(text), names)
        except ExprError as exc:
            problems.append((("derived", name), exc.pointed(str(text))))
            continue
        names[name] = compiled.kind
        derived.append((name, compiled))
    result = CompiledRules(rules.id, source, dict(rules.inputs), tuple(derived), {})
    by_id = {t.id: (i, t) for i, t in enumerate(rules.tables)}
    for i, table in enumerate(rules.tables):
        if table.id in names:
            problems.append((("tables", i, "id"), f"'{table.id}' is already the name of an input or a derived value"))
    order, reads, circular = _dependency_order(rules.tables, problems)
    result_types: dict[str, dict[str, str]] = {}
    for table_id in order:
        if table_id in circular:  # said once for the circle; its names would only add noise
            continue
        t, table = by_id[table_id]
        here = ("tables", t)
        requires = _closure(table_id, reads, order)
        visible = {n: k for dep in requires for n, k in result_types.get(dep, {}).items()}
        ok = _check_table(table, here, problems)
        rows = []
        every = list(table.rows) + ([table.default] if table.default else [])
        for r, row in enumerate(every):
            at = here + (("rows", r) if r < len(table.rows) else ("default",))
            compiled_row = _compile_row(row, table, {**names, **visible}, at, problems, is_default=r >= len(table.rows))
            if compiled_row is not None:
                rows.append(compiled_row)
        if not ok or len(rows) != len(every) or problems:
            continue
        default = rows.pop() if table.default else None
        compiled_table = CompiledTable(table.id, table.hit_policy, table.aggregate, tuple(rows), default, result,
                                       outcomes=table.outcomes, requires=requires, result_types=visible)
        result_types[table_id] = _result_types(table, rows)
        object.__setattr__(compiled_table, "fast", _fast(rules, result, compiled_table, visible))
        result.tables[table.id] = compiled_table
    if problems:
        return None, problems
    # the file's order, as it was written (decisions that feed others are compiled first)
    ordered = {t.id: result.tables[t.id] for t in rules.tables}
    result.tables.clear()
    result.tables.update(ordered)
    return result, problems


def _fast(rules: RuleFile, result: CompiledRules, table: CompiledTable, visible: Mapping[str, str]):
    every = list(table.rows) + [table.default]
    reasons = [(r.reason, list(string.Formatter().parse(r.reason)) if r and r.reason else [])
               if r is not None else (None, []) for r in every]
    # values, outputs and the policies that weigh rows against each other take the hits path
    simple = all(r is None or (r.value is None and not r.outputs) for r in every) and \
        table.hit_policy in ("FIRST", "UNIQUE")
    try:
        fast, _ = codegen.build(
            {**rules.inputs, **visible}, list(rules.derived.items()), [[c.text for c in row.conditions] for row in table.rows],
            table.hit_policy if simple else "RULE ORDER", list(result.all_names) + list(visible),
            reasons if simple else None, table.seen_names)
    except (RecursionError, SyntaxError, MemoryError):  # Python's own limits: the closures decide alone
        return None
    return fast


def _names_in(node: Node) -> set[str]:
    found, stack = set(), [node]
    while stack:
        n = stack.pop()
        if n.op == "name":
            found.add(n.value.split(".")[0])
        stack.extend(n.args)
    return found


def _dependency_order(tables: tuple[Table, ...], problems: list) -> tuple[list[str], dict[str, set[str]], set[str]]:
    """The tables' ids, each after the tables its expressions read; a cycle is a problem."""
    ids = {t.id for t in tables}
    reads: dict[str, set[str]] = {}
    for table in tables:
        used: set[str] = set()
        for row in list(table.rows) + ([table.default] if table.default else []):
            whens = () if row is table.default else ((row.when,) if isinstance(row.when, str) else row.when)
            for text in list(whens) + [row.value or ""] + list(row.outputs.values()):
                try:
                    used |= _names_in(parse(text)) if text else set()
                except ExprError:
                    pass  # reported where the row is compiled
        reads[table.id] = used & ids
    order, state, circular = [], {}, set()

    def visit(table_id: str, path: list[str]) -> None:
        if state.get(table_id) == "done":
            return
        if state.get(table_id) == "open":
            cycle = path[path.index(table_id):] + [table_id]
            circular.update(cycle)
            index = next(i for i, t in enumerate(tables) if t.id == cycle[0])
            problems.append((("tables", index), "tables read each other in a circle: " + " → ".join(cycle)
                             + "; a table can only read tables that do not read it"))
            return
        state[table_id] = "open"
        for dep in sorted(reads[table_id]):
            visit(dep, path + [table_id])
        state[table_id] = "done"
        order.append(table_id)

    for table in tables:
        visit(table.id, [])
    return order, reads, circular


def _closure(table_id: str, reads: dict[str, set[str]], order: list[str]) -> tuple[str, ...]:
    needed, stack = set(), list(reads[table_id])
    while stack:
        dep = stack.pop()
        if dep not in needed and dep != table_id:
            needed.add(dep)
            stack.extend(reads[dep])
    return tuple(t for t in order if t in needed)


def _result_types(table: Table, rows: list[CompiledRow]) -> dict[str, str]:
    """The names and types under which a table's result is read by others."""
    if table.hit_policy in SINGLE_HIT:
        own, wrap = "text", (lambda kind: kind)
    elif table.hit_policy == "COLLECT" and table.aggregate:
        kinds = {r.value.kind for r in rows if r.value is not None}
        own, wrap = ("money" if "money" in kinds else "number"), (lambda kind: list_of(kind) if kind != "bool" else None)
    else:
        own, wrap = list_of("text"), (lambda kind: list_of(kind) if kind != "bool" else None)
    out = {table.id: own}
    for name, kind in table.outputs.items():
        wrapped = wrap(kind)
        if wrapped is not None:
            out[f"{table.id}.{name}"] = wrapped
    return out


def _check_table(table: Table, here: tuple, problems: list) -> bool:
    before = len(problems)
    if table.hit_policy == "COLLECT" and table.aggregate in ("SUM", "MIN", "MAX") and \
            any(r.value is None for r in table.rows):
        problems.append((here + ("aggregate",), f"{table.aggregate} needs a 'value' on every row"))
    if table.aggregate and table.hit_policy != "COLLECT":
        problems.append((here + ("aggregate",), "'aggregate' applies to COLLECT tables only"))
    if table.hit_policy in ("PRIORITY", "OUTPUT ORDER") and not table.outcomes:
        problems.append((here + ("hit_policy",), f"{table.hit_policy} orders the rows by their outcome: list the "
                                                 f"outcomes in `outcomes`, the most important first"))
    if table.outcomes is not None:
        if len(set(table.outcomes)) != len(table.outcomes):
            problems.append((here + ("outcomes",), "an outcome is listed twice"))
        every = list(table.rows) + ([table.default] if table.default else [])
        for r, row in enumerate(every):
            if row.outcome is not None and row.outcome not in table.outcomes:
                close = difflib.get_close_matches(row.outcome, table.outcomes, n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                at = here + (("rows", r) if r < len(table.rows) else ("default",)) + ("outcome",)
                problems.append((at, f"'{row.outcome}' is not one of the table's outcomes{hint}; "
                                     f"they are: {', '.join(table.outcomes)}"))
    return len(problems) == before


def _compile_row(row: Row, table: Table, names: Mapping[str, str], at: tuple, problems: list, is_default: bool):
    ok = True
    conditions = []
    whens = (row.when,) if isinstance(row.when, str) else row.when
    for i, text in enumerate(whens if not is_default else ()):
        where = at + (("when",) if isinstance(row.when, str) else ("when", i))
        try:
            conditions.append(compile_expression(text, names, expect=BOOL))
        except ExprError as exc:
            problems.append((where, exc.pointed(text)))
            ok = False
    value = None
    if row.value is not None:
        try:
            value = compile_expression(row.value, names)
            if value.kind not in NUMERIC:
                raise ExprError(f"a row's value must be a number or an amount, not a {value.kind}", 0, len(row.value))
        except ExprError as exc:
            problems.append((at + ("value",), exc.pointed(row.value)))
            ok = False
    outputs = []
    for name in row.outputs:
        if name not in table.outputs:
            known = ", ".join(table.outputs) or "none: declare them in the table's `outputs`"
            problems.append((at + ("outputs", name), f"the table has no output '{name}'; its outputs: {known}"))
            ok = False
    for name, kind in table.outputs.items():
        text = row.outputs.get(name)
        if text is None:
            problems.append((at + ("outputs",), f"row '{row.id}' gives no value for the output '{name}' ({kind})"))
            ok = False
            continue
        try:
            outputs.append((name, compile_expression(text, names, expect=kind)))
        except ExprError as exc:
            problems.append((at + ("outputs", name), exc.pointed(text)))
            ok = False
    reason_names: tuple[str, ...] = ()
    if row.reason is not None:
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(row.reason) if f is not None]
        except ValueError as exc:
            problems.append((at + ("reason",), f"a reason's braces do not match: {exc}"))
            return None
        unknown = [f for f in fields if f not in names]
        if unknown:
            problems.append((at + ("reason",), f"unknown name '{unknown[0]}' in the reason; "
                                               f"known names: {', '.join(names)}"))
            ok = False
        reason_names = tuple(f for f in fields if f)
    if not ok:
        return None
    return CompiledRow(row.id, tuple(conditions), row.outcome, row.reason, value, reason_names, tuple(outputs))
