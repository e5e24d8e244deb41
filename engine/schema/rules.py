"""rules/*.yaml: decision tables over a record's values, with DMN's hit policies.

A file declares its inputs (name and type), derived values (expressions over the inputs), and one
or more tables. A table's rows each have a condition (``when``) and what they decide: an outcome,
a reason a citizen can read (with {placeholders}), for COLLECT tables a value, and the table's
further output columns. A table may read another table's result by its id (a decision that feeds
a decision). engine.lang.tables type-checks and compiles them when the profile loads.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field as PydField

from engine.schema.base import ConfigModel, Identifier, Labelled

_SCALARS = ("number", "money", "date", "text", "bool")
TYPES = _SCALARS + tuple(f"list of {k}" for k in _SCALARS if k != "bool")
ValueType = Literal[TYPES]  # type: ignore[valid-type]
HitPolicy = Literal["UNIQUE", "FIRST", "ANY", "PRIORITY", "RULE ORDER", "OUTPUT ORDER", "COLLECT"]
SINGLE_HIT = ("UNIQUE", "FIRST", "ANY", "PRIORITY")
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
    outputs: dict[Identifier, str] = PydField(default_factory=dict)
    """The table's further output columns: name -> expression, one for each of the table's `outputs`."""


class Table(Labelled):
    id: Identifier
    """Short code of the table; other tables of the file read its result by this name."""
    hit_policy: HitPolicy = "UNIQUE"
    """UNIQUE: at most one row may match (two is an error). FIRST: the first matching row. ANY: rows
    may overlap but must then give the same result. PRIORITY: of the matching rows, the one whose
    outcome comes first in `outcomes`. RULE ORDER: every matching row, in row order. OUTPUT ORDER:
    every matching row, in the order of `outcomes`. COLLECT: every matching row, combined by aggregate."""
    aggregate: Aggregate | None = None
    """COLLECT tables: SUM, MIN or MAX of the rows' values, or COUNT of the matching rows."""
    outcomes: tuple[str, ...] | None = None
    """The outcomes the rows may give, the most important first (needed by PRIORITY and OUTPUT ORDER;
    when given, every row's outcome must be one of them)."""
    outputs: dict[Identifier, ValueType] = PydField(default_factory=dict)
    """Output columns beyond the outcome: name -> type (number, money, date, text, bool, ...); each
    row gives every one in its own `outputs`."""
    rows: Annotated[tuple[Row, ...], PydField(min_length=1)]
    """The rows, in order."""
    default: Row | None = None
    """What is decided when no row matches (its `when` is ignored; write true)."""


class RuleFile(Labelled):
    id: Identifier
    """Short code of the file; must match the file name."""
    inputs: Annotated[dict[Identifier, ValueType], PydField(min_length=1)]
    """Each value the tables read, with its type: number, money, date, text, bool, or list of ..."""
    derived: dict[Identifier, str] = PydField(default_factory=dict)
    """Values computed from the inputs, in order: name -> expression."""
    tables: Annotated[tuple[Table, ...], PydField(min_length=1)]
    """The decision tables."""
