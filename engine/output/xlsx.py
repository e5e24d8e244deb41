"""Spreadsheets for download: one sheet, a heading row, then rows written one by one (openpyxl's
write-only mode, so a long list never sits in memory as a workbook)."""
from __future__ import annotations

from itertools import chain
from typing import Any, BinaryIO, Iterable

from openpyxl import Workbook


def write_sheet(out: str | BinaryIO, headings: list[str], rows: Iterable[list[Any]], title: str | None = None) -> int:
    """Write the sheet to `out` (a path or a binary file); returns the number of rows below the headings."""
    rows = iter(rows)
    # The first row is read before the workbook exists: a refusal (a permission, a missing pool)
    # comes out of the row source and must not leave a half-made workbook behind.
    first = next(rows, None)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] if title else None)
    sheet.append(headings)
    count = 0
    for row in chain([first] if first is not None else [], rows):
        sheet.append(row)
        count += 1
    book.save(out)
    return count
