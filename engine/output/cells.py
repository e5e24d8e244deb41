"""What a cell of an exported spreadsheet may hold.

Exports carry citizens' text (a suggestion's title, a payee) to the audit office and back into
Excel. A text that starts like a formula would run as one when the file is opened: OWASP's
CSV-injection guidance lists the first characters `=`, `+`, `-`, `@`, tab and carriage return.
Every XLSX the program writes stores such a text as a string cell (it keeps its exact words and
can never be evaluated); every CSV prefixes it with an apostrophe, which spreadsheet programs read
as "this is text".
"""
from __future__ import annotations

import csv
from typing import IO, Any, Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_value(value: Any) -> Any:
    """The value as a CSV cell that cannot run as a formula."""
    return "'" + value if looks_like_formula(value) else value


def write_csv(out: IO[str], headings: list[str], rows: Iterable[Iterable[Any]]) -> int:
    """Rows to an open text file as CSV, every cell made safe; returns the number of rows."""
    writer = csv.writer(out)
    writer.writerow([csv_value(h) for h in headings])
    count = 0
    for row in rows:
        writer.writerow([csv_value(v) for v in row])
        count += 1
    return count
