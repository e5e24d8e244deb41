"""Stream rows out of CSV and XLSX files without loading them whole.

A row that cannot be read (a CSV line longer than MAX_LINE_CHARS, a broken quote)
comes out as an `UnreadableRow` in place of its cells, so the import rejects that row with its
number and goes on; a CSV line is never held in memory past MAX_LINE_CHARS. Cells longer than
MAX_CELL_CHARS (Excel's own limit for a cell) are refused by the importer, per row. A workbook
whose texts could not be held without holding the whole of a huge one is refused before reading.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
import zlib
from xml.parsers import expat as xml_expat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from engine.kernel.errors import InputError, Problem


MAX_CELL_CHARS = 32_767  # what an Excel cell can hold
MAX_LINE_CHARS = 1_000_000  # a CSV line longer than this is no row of an export
# The CSV reader's own limit per field (131,072 by default, an internal error past it): no field
# can be longer than its line, and cells past MAX_CELL_CHARS are refused per row anyway.
csv.field_size_limit(MAX_LINE_CHARS)


@dataclass(frozen=True)
class UnreadableRow:
    """Stands for a row's cells when the row could not be read; `code` says why."""

    code: str  # "row_too_long" or "row_unreadable"


@dataclass
class RowStream:
    headers: list[str]
    rows: Iterator[tuple[int, "list[Any] | UnreadableRow"]]  # (row number as a spreadsheet shows it, cells)
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
    too_long = [False]
    reader = csv.reader(_bounded_lines(text, too_long))
    try:
        headers = [h.strip() for h in next(reader)]
    except StopIteration:
        raw.close()
        raise InputError({"file": Problem("empty_file")}) from None
    except (csv.Error, UnicodeDecodeError):
        raw.close()
        raise InputError({"file": Problem("not_csv")}) from None

    def rows() -> Iterator[tuple[int, list[Any] | UnreadableRow]]:
        number = 1
        try:
            while True:
                number += 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error:  # a broken quote ...: the reader goes on at the next line
                    row = UnreadableRow("row_unreadable")
                except UnicodeDecodeError:
                    yield number, UnreadableRow("row_unreadable")
                    return  # the text cannot be decoded further
                if too_long[0]:
                    row, too_long[0] = UnreadableRow("row_too_long"), False
                yield number, row
        finally:
            raw.close()

    return RowStream(headers, rows(), lambda: min(counter.count / size, 1.0), raw.close)


def _bounded_lines(text: io.TextIOBase, too_long: list[bool]) -> Iterator[str]:
    """The file's lines, none longer than MAX_LINE_CHARS: the rest of a longer line is read in
    chunks and dropped, and an empty line stands for it (too_long says so)."""
    while line := text.readline(MAX_LINE_CHARS):
        if len(line) == MAX_LINE_CHARS and not line.endswith("\n"):
            while (rest := text.readline(MAX_LINE_CHARS)) and not rest.endswith("\n"):
                pass
            too_long[0] = True
            yield "\n"  # an empty row in its place; the reader of rows sees too_long
            continue
        yield line


MAX_TEXT_TABLE_BYTES = 512 * 1024 * 1024  # a workbook's table of texts, unpacked: openpyxl holds it whole


# What a damaged workbook can raise while its parts are unpacked and read: a broken zip, a broken
# deflate stream, a part cut short, an encrypted or unknown compression, XML that is not XML.
DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, ValueError, NotImplementedError,
           RuntimeError, IndexError, TypeError, AttributeError, xml_expat.ExpatError)
SPARE_TEXTS = 10_000  # texts a workbook may hold beyond its cells (a sheet's own, left-overs of edits)


def _xlsx_check(path: Path) -> None:
    """Before openpyxl reads a workbook: refuse one that is damaged, has no sheet, whose text
    table is larger than MAX_TEXT_TABLE_BYTES or holds far more texts than its sheets have cells
    (openpyxl holds every text of the table: 500 KB of tiny texts unpack to 12 million of them),
    or that holds a text longer than MAX_LINE_CHARS (no spreadsheet program writes one; Excel
    stops at 32,767). The XML is streamed, so the check itself holds little memory, and it stops
    reading the texts as soon as there are too many."""
    try:
        with zipfile.ZipFile(path) as book:
            infos = book.infolist()
            sheets = [i for i in infos if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")]
            if not sheets:
                raise InputError({"file": Problem("xlsx_no_sheet")})
            cells = 0
            for info in sheets:
                with book.open(info) as xml:
                    longest, found = _scan(xml, "c")
                if longest > MAX_LINE_CHARS:
                    raise InputError({"file": Problem("xlsx_cell_too_large", {"limit": MAX_CELL_CHARS})})
                cells += found
            for info in (i for i in infos if i.filename == "xl/sharedStrings.xml"):
                if info.file_size > MAX_TEXT_TABLE_BYTES:
                    raise InputError({"file": Problem("xlsx_too_large", {"limit": MAX_TEXT_TABLE_BYTES // 1024 // 1024})})
                with book.open(info) as xml:
                    longest, texts = _scan(xml, "si", most=cells + SPARE_TEXTS)
                if texts > cells + SPARE_TEXTS:
                    raise InputError({"file": Problem("xlsx_too_many_texts", {"cells": cells})})
                if longest > MAX_LINE_CHARS:
                    raise InputError({"file": Problem("xlsx_cell_too_large", {"limit": MAX_CELL_CHARS})})
    except DAMAGED:
        raise InputError({"file": Problem("not_xlsx")}) from None


def _scan(stream, element: str, most: int | None = None) -> tuple[int, int]:
    """The longest run of text in an XML stream and how many `element`s it holds, read in chunks
    (the text itself is not kept); stops early past `most` of them or a text past MAX_LINE_CHARS."""
    parser = xml_expat.ParserCreate()
    longest, run, count = [0], [0], [0]

    def text(data: str) -> None:
        run[0] += len(data)
        if run[0] > longest[0]:
            longest[0] = run[0]

    def start(name: str, _attributes) -> None:
        run[0] = 0
        if name == element:
            count[0] += 1

    def end(_name: str) -> None:
        run[0] = 0
    parser.CharacterDataHandler = text
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    while chunk := stream.read(1 << 16):
        parser.Parse(chunk, False)
        if longest[0] > MAX_LINE_CHARS or (most is not None and count[0] > most):
            return longest[0], count[0]
    parser.Parse(b"", True)
    return longest[0], count[0]


def _xlsx_rows(path: Path) -> RowStream:
    from openpyxl import load_workbook  # imported here: only XLSX imports pay for it
    _xlsx_check(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a file that is not a workbook
        raise InputError({"file": Problem("not_xlsx")}) from None
    if not workbook.worksheets:  # only chart sheets, say
        workbook.close()
        raise InputError({"file": Problem("xlsx_no_sheet")})
    sheet = workbook.worksheets[0]
    try:
        total = max((sheet.max_row or 1) - 1, 1)
        iterator = sheet.iter_rows(values_only=True)
        headers = ["" if h is None else str(h).strip() for h in next(iterator)]
    except StopIteration:
        workbook.close()
        raise InputError({"file": Problem("empty_file")}) from None
    except DAMAGED:
        workbook.close()
        raise InputError({"file": Problem("not_xlsx")}) from None
    done = [0]

    def cell(value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))  # Excel keeps phone numbers and ids as floats
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, dt.datetime) and value.time() == dt.time():
            return value.date()
        return value

    def rows() -> Iterator[tuple[int, list[Any] | UnreadableRow]]:
        number = 1
        try:
            while True:
                number += 1
                try:
                    row = next(iterator)
                except StopIteration:
                    return
                except DAMAGED:  # the sheet is damaged from here on: this row is named, the rest cannot be read
                    yield number, UnreadableRow("row_unreadable")
                    return
                done[0] = number - 1
                yield number, ["" if v is None else cell(v) for v in row]
        finally:
            workbook.close()

    return RowStream(headers, rows(), lambda: min(done[0] / total, 1.0), workbook.close)
