"""`column IN (a long list)` as one bound parameter.

SQLAlchemy binds each element of an IN list as its own parameter: a batch of 2,000 ids costs
2,000 parameter names to compile and bind, on every query. `any_of` binds the whole list once: on
PostgreSQL `column = ANY(:list)` (an array), on SQLite `column IN (SELECT value FROM
json_each(:list))` (a JSON array). Both use the column's index like a plain IN.
"""
from __future__ import annotations

from typing import Any, Iterable

import orjson
from sqlalchemy import Boolean, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator, UserDefinedType

from engine.store.base import NO_ROW


class _ListParameter(TypeDecorator):
    """A Python list bound as a PostgreSQL array, or as JSON text for SQLite's json_each."""
    impl = UserDefinedType
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return UserDefinedType()

    def process_bind_param(self, value, dialect):
        # the lists are of ids and keys: an id past 64 bits names no row (as BigIdType binds it)
        value = [NO_ROW if isinstance(v, int) and not -(2 ** 63) <= v < 2 ** 63 else v for v in value]
        if dialect.name == "sqlite":
            return orjson.dumps(value).decode()
        return value


class AnyOf(ColumnElement[bool]):
    inherit_cache = True
    type = Boolean()
    # A comparison, not a boolean column: without this SQLite gets `(id IN (...)) = 1`, which no
    # index serves (every query a full scan of the table)
    _is_implicitly_boolean = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("values", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any, values: Iterable[Any]):
        self.column = column
        self.values = bindparam(None, list(values), type_=_ListParameter(), unique=True)


def any_of(column: Any, values: Iterable[Any]) -> AnyOf:
    """`column` is one of `values`, with the list bound as one parameter."""
    return AnyOf(column, values)


@compiles(AnyOf)
def _any_of_postgresql(element: AnyOf, compiler, **kw) -> str:
    # The array cast to the column's own type: psycopg sends small ids as a smallint array, and
    # `bigint = ANY(smallint[])` is searched row by row instead of hashed (25x slower at 2,000 ids
    # when the planner scans the table, as it does before the table's first ANALYZE)
    of_type = compiler.dialect.type_compiler_instance.process(element.column.type)
    return (f"{compiler.process(element.column, **kw)} = "
            f"ANY(CAST({compiler.process(element.values, **kw)} AS {of_type}[]))")


@compiles(AnyOf, "sqlite")
def _any_of_sqlite(element: AnyOf, compiler, **kw) -> str:
    return (f"{compiler.process(element.column, **kw)} IN "
            f"(SELECT value FROM json_each({compiler.process(element.values, **kw)}))")
