"""Stream rows out of CSV and XLSX files without loading them whole."""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from engine.kernel.errors import InputError, Problem


@dataclass
class RowStream:
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (row number as a spreadsheet shows it, cells)
    progress: Callable[[], float]  # 0.0 .. 1.0 of the file read so far
    close: Callable[[], None]  # release the file, whether or not the rows were read


class _CountingReader(io.RawIOBase):
    """Counts bytes read from the file so a progress bar can show how far the import got."""

    def __init__(self, raw):
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        self.count += n or 0
        return n


def _encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the file decodes as such, else GB18030 (Excel's Chinese CSV)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return "gb18030"
    return "utf-8-sig"


def open_rows(path: Path) -> RowStream:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(path)
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(path)
    raise InputError({"file": Problem("file_type", {"allowed": "csv, xlsx"})})


def _csv_rows(path: Path) -> RowStream:
    size = max(path.stat().st_size, 1)
    raw = path.open("rb", buffering=0)
    counter = _CountingReader(raw)
    text = io.TextIOWrapper(io.BufferedReader(counter, 1 << 16), encoding=_encoding(path), newline="")
    reader = csv.reader(text)
    try:
        headers = [h.strip() for h in next(reader)]
    except StopIteration:
        raw.close()
        raise InputError({"file": Problem("empty_file")}) from None
    except (csv.Error, UnicodeDecodeError):
        raw.close()
        raise InputError({"file": Problem("not_csv")}) from None

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, row in enumerate(reader, start=2):
                yield number, row
        finally:
            raw.close()

    return RowStream(headers, rows(), lambda: min(counter.count / size, 1.0), raw.close)


def _xlsx_rows(path: Path) -> RowStream:
    from openpyxl import load_workbook  # imported here: only XLSX imports pay for it
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a file that is not a workbook
        raise InputError({"file": Problem("not_xlsx")}) from None
    sheet = workbook.worksheets[0]
    total = max((sheet.max_row or 1) - 1, 1)
    iterator = sheet.iter_rows(values_only=True)
    try:
        headers = ["" if h is None else str(h).strip() for h in next(iterator)]
    except StopIteration:
        workbook.close()
        raise InputError({"file": Problem("empty_file")}) from None
    done = [0]

    def cell(value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))  # Excel keeps phone numbers and ids as floats
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, dt.datetime) and value.time() == dt.time():
            return value.date()
        return value

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, row in enumerate(iterator, start=2):
                done[0] = number - 1
                yield number, ["" if v is None else cell(v) for v in row]
        finally:
            workbook.close()

    return RowStream(headers, rows(), lambda: min(done[0] / total, 1.0), workbook.close)
