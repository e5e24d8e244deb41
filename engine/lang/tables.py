"""rules/*.yaml: decision tables over a record's values, with DMN's hit policies.

A file declares its inputs (name and type), derived values (expressions over the inputs), and one
or more tables. A table's rows each have a condition (``when``) and what they decide: an outcome,
a reason a citizen can read (with {placeholders}), and for COLLECT tables a value. Everything is
type-checked and compiled when the profile loads; evaluating returns the outcome with its
explanation: the rows that matched, the values they saw, the file and the policy version.
"""
from __future__ import annotations

import string
from functools import cached_property
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Literal, Mapping

from pydantic import Field as PydField

from engine.schema.base import ConfigModel, Identifier, Labelled
from engine.kernel.errors import MinshengError
from engine.lang import codegen
from engine.lang.codegen import SLOW
from engine.lang.expr import Compiled, compile_expression
from engine.lang.inputs import typed
from engine.lang.syntax import BOOL, NUMERIC, SCALARS, ExprError, list_of

TYPES = tuple(SCALARS) + tuple(list_of(k) for k in SCALARS if k != "bool")
HitPolicy = Literal["UNIQUE", "FIRST", "RULE ORDER", "COLLECT"]
Aggregate = Literal["SUM", "MIN", "MAX", "COUNT"]


class Row(ConfigModel):
    id: Identifier
    """Short code of the row, named in explanations."""
    when: str | tuple[str, ...]
    """The condition: one expression, or a list of expressions that must all hold."""
    outcome: str | None = None
    """What the row decides, e.g. reserve, pending, rejected."""
    reason: str | None = None
    """Why, in words a citizen can read; {name} is replaced by that input's or derived value."""
    value: str | None = None
    """COLLECT tables: an expression whose values are added up (or min, max)."""


class Table(Labelled):
    id: Identifier
    """Short code of the table."""
    hit_policy: HitPolicy = "UNIQUE"
    """UNIQUE: at most one row may match (two is an error). FIRST: the first matching row.
    RULE ORDER: every matching row, in order. COLLECT: every matching row, combined by aggregate."""
    aggregate: Aggregate | None = None
    """COLLECT tables: SUM, MIN or MAX of the rows' values, or COUNT of the matching rows."""
    rows: Annotated[tuple[Row, ...], PydField(min_length=1)]
    """The rows, in order."""
    default: Row | None = None
    """What is decided when no row matches (its `when` is ignored; write true)."""


class RuleFile(Labelled):
    id: Identifier
    """Short code of the file; must match the file name."""
    inputs: Annotated[dict[Identifier, Literal[TYPES]], PydField(min_length=1)]  # type: ignore[valid-type]
    """Each value the tables read, with its type: number, money, date, text, bool, or list of ..."""
    derived: dict[Identifier, str] = PydField(default_factory=dict)
    """Values computed from the inputs, in order: name -> expression."""
    tables: Annotated[tuple[Table, ...], PydField(min_length=1)]
    """The decision tables."""


class DecisionError(MinshengError):
    """A table could not decide (two rows matched in a UNIQUE table)."""


@dataclass(slots=True)
class Decision:
    """An outcome and its explanation, stored with the record it was made for."""

    table: str
    outcome: Any
    reason: Any
    value: Any
    matched: tuple[str, ...]
    seen: Mapping[str, Any]
    rule_file: str
    version: str
    rules: str = ""  # the rule file's id

    def explanation(self) -> dict[str, Any]:
        return {"rules": self.rules, "table": self.table, "outcome": self.outcome, "reason": self.reason, "value": _plain(self.value),
                "matched": list(self.matched), "seen": {k: _plain(v) for k, v in self.seen.items()},
                "rule_file": self.rule_file, "version": self.version}


def _plain(value: Any) -> Any:
    if value.__class__ in (int, str, bool) or value is None:
        return value
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral_value() else str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class _CompiledRow:
    id: str
    conditions: tuple[Compiled, ...]
    outcome: str | None
    reason: str | None
    value: Compiled | None
    reason_names: tuple[str, ...]


@dataclass(frozen=True)
class CompiledTable:
    id: str
    hit_policy: str
    aggregate: str | None
    rows: tuple[_CompiledRow, ...]
    default: _CompiledRow | None
    file: "CompiledRules" = field(repr=False, compare=False)
    fast: Any = field(default=None, repr=False, compare=False)  # engine.lang.codegen's function

    @cached_property
    def seen_names(self) -> tuple[str, ...]:
        """The names the conditions read: what an explanation shows."""
        return tuple(sorted({n for r in self.rows for c in r.conditions for n in c.names}))

    def decide(self, values: Mapping[str, Any], version: str = "") -> Decision:
        fast = self.fast
        if fast is not None:
            try:
                result = fast(values)
            except (ArithmeticError, TypeError):  # an input the checks let by: the reference path says what
                result = SLOW
            if result is not SLOW and len(result) == 3:  # FIRST, UNIQUE: the explanation is made
                index, reason, seen = result
                row = self.rows[index] if index >= 0 else self.default
                if row is None:
                    return Decision(self.id, None, None, None, (), seen, self.file.source, version, self.file.id)
                return Decision(self.id, row.outcome, reason, None, (row.id,) if index >= 0 else (), seen,
                                self.file.source, version, self.file.id)
            if result is not SLOW:
                hits, reported = result
                env = dict(zip(self.file.all_names, reported))
                matched = [row for row, hit in zip(self.rows, hits) if hit]
                return self._finish(matched[:1] if self.hit_policy == "FIRST" else matched, env, version)
        # the reference path: closures over the environment (any input missing or unusual)
        env = self.file.environment(values)
        matched = []
        first = self.hit_policy == "FIRST"
        for row in self.rows:
            for condition in row.conditions:
                if not condition.fn(env):
                    break
            else:
                matched.append(row)
                if first:
                    break
        return self._finish(matched, env, version)

    def _finish(self, matched: list, env: Mapping[str, Any], version: str) -> Decision:
        if self.hit_policy == "UNIQUE" and len(matched) > 1:
            raise DecisionError(f"table '{self.id}' is UNIQUE but rows {', '.join(r.id for r in matched)} all match")
        used = matched or ([self.default] if self.default else [])
        seen = {n: env.get(n) for n in self.seen_names}
        for r in used:
            for n in r.reason_names:
                if n not in seen:
                    seen[n] = env.get(n)
        reasons = [_fill(r.reason, r.reason_names, env) for r in used if r.reason is not None]
        if self.hit_policy in ("UNIQUE", "FIRST") or not matched:
            outcome = used[0].outcome if used else None
            reason = reasons[0] if reasons else None
            value = used[0].value.fn(env) if used and used[0].value is not None else None
        else:
            outcome, reason = [r.outcome for r in used], reasons
            value = None
            if self.hit_policy == "COLLECT" and self.aggregate:
                value = self._aggregate([r.value.fn(env) for r in matched if r.value is not None], len(matched))
        return Decision(self.id, outcome, reason, value, tuple(r.id for r in matched), seen,
                        self.file.source, version, self.file.id)

    def _aggregate(self, values: list, count: int) -> Any:
        values = [v for v in values if v is not None]
        if self.aggregate == "COUNT":
            return count
        if not values:
            return None
        return {"SUM": lambda: sum(values, Decimal(0)), "MIN": lambda: min(values), "MAX": lambda: max(values)}[
            self.aggregate]()


def _fill(template: str, names: tuple[str, ...], env: Mapping[str, Any]) -> str:
    return template.format(**{k: codegen.plain_text(env.get(k)) for k in names})


@dataclass(frozen=True)
class CompiledRules:
    id: str
    source: str  # the file, as the profile names it
    input_types: Mapping[str, str]
    derived: tuple[tuple[str, Compiled], ...]
    tables: Mapping[str, CompiledTable] = field(default_factory=dict)

    @cached_property
    def all_names(self) -> tuple[str, ...]:
        return tuple(self.input_types) + tuple(name for name, _ in self.derived)

    def environment(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The inputs in their declared types (an InputError names any that cannot be), then the
        derived values."""
        env = typed(values, self.input_types)
        for name, expression in self.derived:
            env[name] = expression.fn(env)
        return env


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
    for t, table in enumerate(rules.tables):
        here = ("tables", t)
        if table.hit_policy == "COLLECT" and table.aggregate in ("SUM", "MIN", "MAX") and \
                any(r.value is None for r in table.rows):
            problems.append((here + ("aggregate",), f"{table.aggregate} needs a 'value' on every row"))
        if table.aggregate and table.hit_policy != "COLLECT":
            problems.append((here + ("aggregate",), "'aggregate' applies to COLLECT tables only"))
        rows = []
        for r, row in enumerate(list(table.rows) + ([table.default] if table.default else [])):
            at = here + (("rows", r) if r < len(table.rows) else ("default",))
            compiled_row = _compile_row(row, names, at, problems, is_default=r >= len(table.rows))
            if compiled_row is not None:
                rows.append(compiled_row)
        if len(rows) == len(table.rows) + (1 if table.default else 0) and not problems:
            default = rows.pop() if table.default else None
            compiled_table = CompiledTable(table.id, table.hit_policy, table.aggregate, tuple(rows), default, result)
            every = list(rows) + [default]
            reasons = [(r.reason, list(string.Formatter().parse(r.reason)) if r and r.reason else [])
                       if r is not None else (None, []) for r in every]
            simple = all(r is None or r.value is None for r in every)  # values need the reference path
            fast, _ = codegen.build(
                dict(rules.inputs), list(rules.derived.items()), [[c.text for c in row.conditions] for row in rows],
                table.hit_policy, list(result.all_names), reasons if simple else None, compiled_table.seen_names)
            object.__setattr__(compiled_table, "fast", fast)
            result.tables[table.id] = compiled_table
    return (None if problems else result), problems


def _compile_row(row: Row, names: Mapping[str, str], at: tuple, problems: list, is_default: bool):
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
    return _CompiledRow(row.id, tuple(conditions), row.outcome, row.reason, value, reason_names)
