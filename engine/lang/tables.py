"""Decision tables at work: a compiled table decides on a record's values and explains itself.

engine.lang.rules_compile type-checks and compiles a rules file (engine.schema.rules) into the
objects here. Deciding returns the outcome with its explanation: the rows that matched, the
values they saw, the file, the policy version, and for a table that reads other tables' results,
each of those decisions as a step before it.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, Mapping

from engine.kernel.errors import MinshengError
from engine.lang import codegen
from engine.lang.codegen import SLOW
from engine.lang.expr import Compiled
from engine.lang.operations import LIST_FUNCTIONS
from engine.lang.inputs import typed
from engine.schema.rules import SINGLE_HIT


class DecisionError(MinshengError):
    """A table could not decide: rows that must not overlap did, or gave different results."""

    words = "rules."

    def __init__(self, code: str, message: str, **params: Any):
        self.code, self.params = code, params
        super().__init__(message)


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
    outputs: Any = None  # the table's output columns: a dict, or one dict per matched row
    steps: tuple[dict, ...] = ()  # the explanations of the decisions this one read, in order

    def explanation(self) -> dict[str, Any]:
        out = {"rules": self.rules, "table": self.table, "outcome": self.outcome, "reason": self.reason,
               "value": _plain(self.value), "matched": list(self.matched),
               "seen": {k: _plain(v) for k, v in self.seen.items()}, "rule_file": self.rule_file,
               "version": self.version}
        if self.outputs is not None:
            out["outputs"] = _plain(self.outputs)
        if self.steps:
            out["steps"] = list(self.steps)
        return out

    def results(self) -> dict[str, Any]:
        """What a table that reads this one sees: its outcome (or aggregate) by the table's id,
        and each output as ``table.output``."""
        seen = {self.table: self.value if isinstance(self.outcome, list) and self.value is not None else self.outcome}
        if isinstance(self.outputs, dict):
            seen.update({f"{self.table}.{k}": v for k, v in self.outputs.items()})
        elif isinstance(self.outputs, list):
            names = {k for o in self.outputs for k in o}
            seen.update({f"{self.table}.{k}": [o.get(k) for o in self.outputs] for k in names})
        return seen


_AS_IS = frozenset({int, str, bool, type(None)})


def _plain(value: Any) -> Any:
    """A value as an explanation stores it (JSON): money and numbers as text, dates ISO."""
    cls = value.__class__
    if cls in _AS_IS:
        return value
    if cls is list:  # the common case of bulk work: lists of marks, typed by a check per item
        return [v if v.__class__ in _AS_IS else _plain(v) for v in value]
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value() and value.adjusted() < 34:
            return str(int(value))  # 30000.0000 is "30000", not "3E+4"
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class CompiledRow:
    id: str
    conditions: tuple[Compiled, ...]
    outcome: str | None
    reason: str | None
    value: Compiled | None
    reason_names: tuple[str, ...]
    outputs: tuple[tuple[str, Compiled], ...] = ()


@dataclass(frozen=True)
class CompiledTable:
    id: str
    hit_policy: str
    aggregate: str | None
    rows: tuple[CompiledRow, ...]
    default: CompiledRow | None
    file: "CompiledRules" = field(repr=False, compare=False)
    fast: Any = field(default=None, repr=False, compare=False)  # engine.lang.codegen's function
    outcomes: tuple[str, ...] | None = None
    requires: tuple[str, ...] = ()  # the tables this one reads, directly or not, in dependency order
    result_types: Mapping[str, str] = field(default_factory=dict)  # their results' names and types

    @cached_property
    def seen_names(self) -> tuple[str, ...]:
        """What an explanation shows: the names the conditions read, every derived value of the
        file (a trimmed mean, a weighted score, a share), and the inputs those are worked out
        from, so a stored decision can be checked without recomputing anything."""
        names = {n for r in self.rows for c in r.conditions for n in c.names}
        derived = dict(self.file.derived)
        names |= set(derived)
        for name in reversed(list(derived)):  # later values read earlier ones: walk back once
            if name in names:
                names |= derived[name].names
        return tuple(sorted(names))

    def decide(self, values: Mapping[str, Any], version: str = "") -> Decision:
        if not self.requires:
            return self.decide_alone(values, version)
        values, steps = dict(values), []
        for table_id in self.requires:  # each once, before the tables that read it
            step = self.file.tables[table_id].decide_alone(values, version)
            values.update(step.results())
            steps.append(step.explanation())
        decision = self.decide_alone(values, version)
        decision.steps = tuple(steps)
        return decision

    def decide_alone(self, values: Mapping[str, Any], version: str = "") -> Decision:
        """The decision, with the results of the tables it reads already among `values`."""
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
                env = dict(zip(self.file.all_names + tuple(self.result_types), reported))
                matched = [row for row, hit in zip(self.rows, hits) if hit]
                return self._finish(matched[:1] if self.hit_policy == "FIRST" else matched, env, version)
        # the reference path: closures over the environment (any input missing or unusual)
        env = self.file.environment(values)
        env.update(typed(values, self.result_types))
        matched = []
        first = self.hit_policy == "FIRST"
        for row in self.rows:
            for condition in row.conditions:
                if condition.fn(env) is not True:  # unknown does not match
                    break
            else:
                matched.append(row)
                if first:
                    break
        return self._finish(matched, env, version)

    def _finish(self, matched: list, env: Mapping[str, Any], version: str) -> Decision:
        policy = self.hit_policy
        if policy == "UNIQUE" and len(matched) > 1:
            rows = ", ".join(r.id for r in matched)
            raise DecisionError("overlap", f"table '{self.id}' is UNIQUE but rows {rows} all match",
                                table=self.id, rows=rows)
        outputs = {r.id: {name: f.fn(env) for name, f in r.outputs} for r in matched} if self.outputs_declared else {}
        if policy == "ANY" and len(matched) > 1:
            given = {(r.outcome, tuple(sorted(outputs.get(r.id, {}).items(), key=str))) for r in matched}
            if len(given) > 1:
                rows = ", ".join(f"{r.id} ({r.outcome})" for r in matched)
                raise DecisionError("disagree", f"table '{self.id}' is ANY but rows {rows} give different results",
                                    table=self.id, rows=rows)
            matched = matched[:1]
        if self.outcomes is not None and policy in ("PRIORITY", "OUTPUT ORDER"):
            order = {o: i for i, o in enumerate(self.outcomes)}
            matched = sorted(matched, key=lambda r: order.get(r.outcome, len(order)))  # stable: row order on a tie
            if policy == "PRIORITY":
                matched = matched[:1]
        used = matched or ([self.default] if self.default else [])
        seen = {n: env.get(n) for n in self.seen_names}
        for r in used:
            for n in r.reason_names:
                if n not in seen:
                    seen[n] = env.get(n)
        reasons = [_fill(r.reason, r.reason_names, env) for r in used if r.reason is not None]
        if not matched and self.default is not None and self.outputs_declared:
            outputs[self.default.id] = {name: f.fn(env) for name, f in self.default.outputs}
        if policy in SINGLE_HIT or not matched:
            outcome = used[0].outcome if used else None
            reason = reasons[0] if reasons else None
            value = used[0].value.fn(env) if used and used[0].value is not None else None
            shown = outputs.get(used[0].id) if used and self.outputs_declared else None
        else:
            outcome, reason = [r.outcome for r in used], reasons
            value = None
            if policy == "COLLECT" and self.aggregate:
                value = self._aggregate([r.value.fn(env) for r in matched if r.value is not None], len(matched))
            shown = [outputs[r.id] for r in used] if self.outputs_declared else None
        return Decision(self.id, outcome, reason, value, tuple(r.id for r in matched), seen,
                        self.file.source, version, self.file.id, shown)

    @cached_property
    def outputs_declared(self) -> bool:
        return any(r.outputs for r in self.rows)

    def _aggregate(self, values: list, count: int) -> Any:
        values = [v for v in values if v is not None]
        if self.aggregate == "COUNT":
            return count
        if not values:
            return None
        return LIST_FUNCTIONS[self.aggregate.lower()](values)


def _fill(template: str, names: tuple[str, ...], env: Mapping[str, Any]) -> str:
    # By the parsed pieces, not str.format: {priority.matching} names another table's output,
    # it is not an attribute to look up.
    pieces = []
    for literal, name, _, _ in string.Formatter().parse(template):
        pieces.append(literal.replace("{{", "{").replace("}}", "}") if literal else "")
        if name:
            pieces.append(codegen.plain_text(env.get(name)))
    return "".join(pieces)


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
        """The inputs in their declared types (a WrongInputType names any that cannot be), then the
        derived values."""
        env = typed(values, self.input_types)
        for name, expression in self.derived:
            env[name] = expression.fn(env)
        return env
