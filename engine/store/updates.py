"""Change one column of many rows, each from the value it is known to have, in one statement."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Connection, Table


def change_column(connection: Connection, table: Table, column: Column, changes: list[tuple[int, Any, Any]]) -> int:
    """For each (id, before, after): set `column` to after where the row has that id and still
    holds before. Returns how many rows changed (a row that no longer holds its before is left).

    PostgreSQL takes the whole list as three arrays in one UPDATE (an executemany is a statement
    a row there); SQLite runs one executemany in its own process, which costs less than the
    arrays would. Values are plain: ids, and texts or numbers of the column's type."""
    if not changes:
        return 0
    name = column.name
    if connection.dialect.name == "postgresql":
        types = connection.dialect.type_compiler_instance
        id_type, of_type = types.process(table.c.id.type), types.process(column.type)
        ids, befores, afters = (list(values) for values in zip(*changes))
        result = connection.exec_driver_sql(
            f"UPDATE {table.name} AS t SET {name} = v.after FROM unnest(CAST(%s AS {id_type}[]), "
            f"CAST(%s AS {of_type}[]), CAST(%s AS {of_type}[])) AS v(id, before, after) "
            f"WHERE t.id = v.id AND t.{name} = v.before", (ids, befores, afters))
        return result.rowcount
    result = connection.exec_driver_sql(f"UPDATE {table.name} SET {name} = ? WHERE id = ? AND {name} = ?",
                                        [(after, row_id, before) for row_id, before, after in changes])
    return result.rowcount
