"""Spreadsheets for download: one sheet, a heading row, then rows written one by one (openpyxl's
write-only mode, so a long list never sits in memory as a workbook). A text that looks like a
formula is written as a string cell (see engine.output.cells)."""
from __future__ import annotations

from itertools import chain
from typing import Any, BinaryIO, Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet.worksheet import Worksheet

from engine.output.cells import looks_like_formula


def write_sheet(out: str | BinaryIO, headings: list[str], rows: Iterable[list[Any]], title: str | None = None) -> int:
    """Write the sheet to `out` (a path or a binary file); returns the number of rows below the headings."""
    rows = iter(rows)
    # The first row is read before the workbook exists: a refusal (a permission, a missing pool)
    # comes out of the row source and must not leave a half-made workbook behind.
    first = next(rows, None)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] if title else None)
    sheet.append(safe_row(sheet, headings))
    count = 0
    for row in chain([first] if first is not None else [], rows):
        sheet.append(safe_row(sheet, row))
        count += 1
    book.save(out)
    return count


def safe_row(sheet: Worksheet, row: list[Any]) -> list[Any]:
    """The row with every formula-like text made a string cell (the rest as it is)."""
    if not any(looks_like_formula(v) for v in row):
        return row
    return [text_cell(sheet, v) if looks_like_formula(v) else v for v in row]


def text_cell(sheet: Worksheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl would store a leading "=" as a formula
    return cell
