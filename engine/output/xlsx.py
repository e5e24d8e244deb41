"""Spreadsheets for download: one sheet, a heading row, then rows written one by one.

Written with XlsxWriter in its constant-memory mode: a row goes to disk as it is written, so a long
list never sits in memory as a workbook, and a cell costs a few microseconds (openpyxl's
write-only mode took about 50, which made an export of 46,000 suggestions take 20 s of writing
alone). Every text is written as a text cell, so a text that looks like a formula ("=1+1",
"@SUM(...)": see engine.output.cells) never runs as one; numbers as numbers, dates as dates.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import chain
from typing import Any, BinaryIO, Iterable

import xlsxwriter

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def write_sheet(out: str | BinaryIO, headings: list[str], rows: Iterable[list[Any]], title: str | None = None) -> int:
    """Write the sheet to `out` (a path or a binary file); returns the number of rows below the headings."""
    rows = iter(rows)
    # The first row is read before the workbook exists: a refusal (a permission, a missing pool)
    # comes out of the row source and must not leave a half-made workbook behind.
    first = next(rows, None)
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    try:
        sheet = book.add_worksheet(title[:31] if title else None)
        formats = {"date": book.add_format({"num_format": DATE_FORMAT}),
                   "datetime": book.add_format({"num_format": DATETIME_FORMAT})}
        _write_row(sheet, 0, headings, formats)
        count = 0
        for row in chain([first] if first is not None else [], rows):
            count += 1
            _write_row(sheet, count, row, formats)
    finally:
        book.close()
    return count


def _write_row(sheet, number: int, row: list[Any], formats: dict) -> None:
    for column, value in enumerate(row):
        if value is None or value == "":
            continue
        if isinstance(value, str):
            sheet.write_string(number, column, value)  # never a formula, whatever it starts with
        elif isinstance(value, bool):
            sheet.write_boolean(number, column, value)
        elif isinstance(value, (int, float, Decimal)):
            sheet.write_number(number, column, float(value))
        elif isinstance(value, dt.datetime):
            sheet.write_datetime(number, column, value.replace(tzinfo=None), formats["datetime"])
        elif isinstance(value, dt.date):
            sheet.write_datetime(number, column, value, formats["date"])
        else:
            sheet.write_string(number, column, str(value))
