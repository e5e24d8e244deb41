"""A rule file's decision tables as grids, the way people read a decision table: one line per rule
row (its conditions, its outcome, its reason, its outputs), the default last; and a grid's edited
cells back as the file's values, so `yamledit.with_values` rewrites only the characters changed.

A cell holds every single value under one key of a row: a list of conditions is shown separated
by "；" (a grid cell shows one line), and edited the same way. Adding or removing a condition
changes the file's shape, which is the text view's job: a cell whose number of parts changed is
refused, in words.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from engine.profile.yamledit import EditError, Leaf, Path, leaves, shown

ROW_ID = "id"
SEPARATOR = "；"  # between the values of one cell: conditions are ASCII expressions


@dataclass(frozen=True)
class Cell:
    paths: tuple[Path, ...]  # the file's values the cell holds, in order
    where: str  # the first value's place in the file's words
    text: str


@dataclass(frozen=True)
class Grid:
    """One decision table of a rule file."""

    table: str  # its id
    label: str
    hit_policy: str
    columns: tuple[str, ...]  # the rows' keys, the id first, in the order the file writes them
    rows: tuple[Mapping[str, Cell], ...]  # the rule rows, then the default row (if any)
    default: str | None  # the default row's id


def decision_grids(text: str) -> list[Grid]:
    """The decision tables of a rule file (none for any other file, or one that does not parse)."""
    by_table: dict[int, list[Leaf]] = {}
    for leaf in leaves(text):
        if len(leaf.path) > 2 and leaf.path[0] == "tables" and isinstance(leaf.path[1], int):
            by_table.setdefault(leaf.path[1], []).append(leaf)
    grids = []
    for index, found in sorted(by_table.items()):
        top = {leaf.path[2]: leaf.value for leaf in found if len(leaf.path) == 3}
        rows: dict[tuple, dict[str, list[Leaf]]] = {}
        for leaf in found:
            if leaf.path[2] == "rows" and len(leaf.path) > 4:
                rows.setdefault(leaf.path[:4], {}).setdefault(leaf.path[4], []).append(leaf)
            elif leaf.path[2] == "default" and len(leaf.path) > 3:
                rows.setdefault(leaf.path[:3], {}).setdefault(leaf.path[3], []).append(leaf)
        if not rows:
            continue
        columns: list[str] = [ROW_ID]
        for cells in rows.values():
            columns += [key for key in cells if key not in columns]
        default_key = ("tables", index, "default")
        grids.append(Grid(
            table=str(top.get("id", index)), label=str(top.get("label") or top.get("id") or ""),
            hit_policy=str(top.get("hit_policy", "")), columns=tuple(columns),
            rows=tuple({key: _cell(leaves_) for key, leaves_ in cells.items()} for cells in rows.values()),
            default=str(rows[default_key][ROW_ID][0].value) if ROW_ID in rows.get(default_key, {}) else None))
    return grids


def _cell(found: list[Leaf]) -> Cell:
    return Cell(tuple(leaf.path for leaf in found), found[0].where,
                SEPARATOR.join(shown(leaf.value) for leaf in found))


def grid_edits(grid: Grid, edited: Sequence[Mapping[str, Any]]) -> dict[Path, str]:
    """The file's values an edited grid changes (for `with_values`): each changed cell, part by part.
    A row's id, a cell the row does not have, and a changed number of parts are refused."""
    changes: dict[Path, str] = {}
    for row, typed in zip(grid.rows, edited):
        for column in grid.columns:
            if column not in typed:  # not offered for editing (the id)
                continue
            cell, value = row.get(column), typed.get(column)
            text = "" if value is None else str(value)
            if cell is None:
                if text.strip():
                    raise EditError(f"{row[ROW_ID].text} → {column}", "row_has_no_value")
                continue
            if text == cell.text:
                continue
            if column == ROW_ID:
                raise EditError(cell.where, "row_id")
            parts = [p.strip() for p in text.split(SEPARATOR)] if len(cell.paths) > 1 else [text]
            if len(parts) != len(cell.paths):
                raise EditError(cell.where, "part_count", parts=len(cell.paths))
            old = cell.text.split(SEPARATOR) if len(cell.paths) > 1 else [cell.text]
            changes.update((path, part) for path, part, was in zip(cell.paths, parts, old) if part != was)
    return changes
