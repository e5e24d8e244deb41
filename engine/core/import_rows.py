"""Reading an outside export's rows and shaping them into batches ready to write, in this
process or in a second one (engine.core.importer writes them).

Reading and validating rows is pure Python and as costly as writing them, so large files are
prepared in a second process while the importing one writes: on two cores that nearly doubles
the rate. A bounded queue between them keeps memory flat whatever the file's size. The second
process dies with the importing one, and the importing one does not wait for a second one that
died.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, Full
from typing import Any, Iterator

from engine.core.actors import Actor
from engine.core.records import facet_rows, make_title, promoted_columns, scope_problems, source_key
from engine.core.runtime import Runtime
from engine.core.search import record_terms
from engine.core.tabular import MAX_CELL_CHARS, MAX_LINE_CHARS, RowStream, UnreadableRow, open_rows
from engine.forms.compiled import is_empty
from engine.kernel.errors import InputError, Problem
from engine.kernel.receipt import new_code
from engine.schema.fieldtypes import CONTROL_CHARACTERS
from engine.schema.imports import ImportMapping
from engine.store import search_index
from engine.store.db import to_json_text

BATCH = 2000  # rows a batch: one transaction of the writer
# A prepared row's record columns, in this order (the writer adds the last three).
RECORD_COLUMNS = ("form_id", "receipt_code", "state", "title", "township", "station", "channel", "data",
                  "created_by", "source_key", "profile_version", "created_at", "import_run_id")


@dataclass
class Batch:
    """Rows ready to write: record columns (without the run id) and their facets, plus rejections."""

    index: int
    good: list[tuple[int, tuple, list[tuple[str, str, str]], str | None]]  # row number, record columns, facets, search terms (encoded)
    bad: list[tuple[int, dict[str, Problem]]]
    duplicates_in_file: int
    progress: float


@dataclass(frozen=True)
class Share:
    """Which of a file's batches a process prepares: the first `head` batches if `head_mine`, and
    after them those whose number modulo `of` is in `mine`. Several processes share one file
    this way, and the writer takes their batches in file order."""

    mine: frozenset[int] = frozenset({0})
    of: int = 1
    head: int = 0
    head_mine: bool = False

    def takes(self, k: int) -> bool:
        return self.head_mine if k < self.head else k % self.of in self.mine


EVERY_BATCH = Share()


def check_headers(mapping: ImportMapping, stream: RowStream) -> None:
    key_headers = list(mapping.key_columns or mapping.columns.values())
    missing = [h for h in list(mapping.columns.values()) + key_headers if h not in stream.headers]
    if missing:
        raise InputError({"file": Problem("missing_columns", {"columns": ", ".join(dict.fromkeys(missing))})})


def _blank(cells: list[Any]) -> bool:
    try:
        return not "".join(cells).strip()
    except TypeError:  # spreadsheet cells may be dates
        return all(is_empty(c) for c in cells)


def prepare_batches(rt: Runtime, mapping: ImportMapping, stream: RowStream, actor: Actor,
                    batch_size: int = BATCH, share: Share = EVERY_BATCH,
                    dialect: str | None = None) -> Iterator[Batch]:
    """The batches of `_batches`; the file is released however the reading ends. `dialect`: the
    database the batches are for (a preparing process has none of its own), by default rt's."""
    try:
        yield from _batches(rt, mapping, stream, actor, batch_size, share, dialect or rt.db.engine.dialect.name)
    finally:
        stream.close()


def _batches(rt: Runtime, mapping: ImportMapping, stream: RowStream, actor: Actor,
             batch_size: int, share: Share, dialect: str) -> Iterator[Batch]:
    """Read, validate and shape rows into insertable batches. Touches no database.

    Batch k holds the file's rows k*batch_size .. (k+1)*batch_size-1. Only the batches of
    `share` are prepared (the others are read and skipped).
    """
    compiled = rt.form(mapping.form)
    headers = stream.headers
    index = list({fid: headers.index(h) for fid, h in mapping.columns.items()}.items())
    fixed = dict(mapping.fixed)
    key_index = [headers.index(h) for h in (mapping.key_columns or mapping.columns.values())]
    workflow = rt.profile.workflows.get(compiled.form.workflow or "")
    county = rt.profile.county
    state = workflow.initial if workflow else None
    width = len(headers)
    scoped = actor.township is not None or actor.station is not None
    # Keys met in the current batch only (a set for the whole file would grow with it); the
    # writer finds repeats of earlier batches in the database.
    seen: set[str] = set()
    current = -1
    good: list = []
    bad: list = []
    duplicates = 0
    for ordinal, (number, cells) in enumerate(stream.rows):
        k = ordinal // batch_size
        if k != current:
            if current >= 0 and share.takes(current):
                yield Batch(current, good, bad, duplicates, stream.progress())
                good, bad, duplicates = [], [], 0
                seen = set()
            current = k
        if not share.takes(k):
            continue
        if isinstance(cells, UnreadableRow):
            bad.append((number, {"": Problem(cells.code, {"limit": MAX_LINE_CHARS})}))
            continue
        if _blank(cells):
            continue
        oversized = {fid: Problem("cell_too_large", {"limit": MAX_CELL_CHARS}) for fid, i in index
                     if i < len(cells) and isinstance(cells[i], str) and len(cells[i]) > MAX_CELL_CHARS}
        if oversized:
            bad.append((number, oversized))
            continue
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        raw = {fid: cells[i] for fid, i in index}
        raw.update(fixed)
        key_cells = [str(cells[i]).strip() for i in key_index]
        if broken := {headers[i]: Problem("control_characters") for i, c in zip(key_index, key_cells)
                      if CONTROL_CHARACTERS.search(c)}:
            bad.append((number, broken))  # a NUL in a work-order number: no key to find the row by again
            continue
        key = source_key(mapping.id, *key_cells)
        try:
            document = compiled.validate(raw, date_formats=mapping.date_formats, bulk=True).document
        except InputError as exc:
            bad.append((number, exc.problems))
            continue
        if key in seen:
            duplicates += 1
            continue
        promoted = promoted_columns(compiled, document)
        if scoped and (problems := scope_problems(rt, actor, compiled, document)):
            # staff of one township (station) import its rows only; the others are named, not added
            bad.append((number, problems))
            continue
        seen.add(key)
        title = make_title(rt, compiled, document)
        # A tuple in RECORD_COLUMNS order (the writer adds the last three): cheaper to send
        # between processes than a dict. JSON text is made here too, to spare the writer.
        good.append((number, (
            compiled.form.id,
            new_code(county.receipt_prefix, county.year) if compiled.form.receipt else None,
            state, title, promoted["township"], promoted["station"],
            promoted["channel"], to_json_text(document), actor.username, key,
        ), [(f["form_id"], f["field_id"], f["value"]) for f in facet_rows(rt, compiled, document)],
            search_index.encode(dialect, record_terms(compiled, title, document))))
    if share.takes(max(current, 0)):
        yield Batch(max(current, 0), good, bad, duplicates, 1.0)


# -- the preparing process ---------------------------------------------------------------------
# Of every SHARES batches, the second process prepares all but LOCAL_SHARE, which this process
# prepares itself while it would otherwise wait: writing costs this process about as much as
# preparing costs the other, so 4 of 5 balances two cores best (measured: bench/import_bench.py).
# The first HEAD batches are this process's too: the second one takes about a second to start
# (Python, the engine, the profile), which this one spends preparing and writing them.
SHARES = 5
LOCAL_SHARE = frozenset({SHARES - 1})
HEAD = 6
_DONE = "done"
PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent dies


def _die_with(parent: int) -> None:
    """Killed with the importing process: Linux signals this process when its parent dies (a
    kill -9 of the import leaves no preparing process behind, blocked on a full queue for good)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: _handed_over's check of the parent still ends it
        pass
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(0)


def _handed_over(queue, item, parent: int) -> None:
    """Put the item in the queue, waiting while it is full, but not for a parent that is gone."""
    while True:
        try:
            queue.put(item, timeout=1.0)
            return
        except Full:
            if os.getppid() != parent:
                os._exit(0)


def _worker(config_root: str, mapping_id: str, path: str, actor: Actor, batch_size: int,
            share: Share, dialect: str, queue, parent: int) -> None:
    _die_with(parent)
    try:
        rt = Runtime.offline(config_root)
        mapping = rt.profile.imports[mapping_id]
        for batch in prepare_batches(rt, mapping, open_rows(Path(path)), actor, batch_size, share, dialect):
            _handed_over(queue, batch, parent)
        _handed_over(queue, _DONE, parent)
    except BaseException as exc:  # handed to the writing process, which raises it
        _handed_over(queue, exc, parent)


def _taken(queue, process) -> Any:
    """The next item from the preparing process; if it died without a word (killed, out of
    memory), an error instead of waiting for ever."""
    while True:
        try:
            return queue.get(timeout=1.0)
        except Empty:
            if not process.is_alive():
                try:
                    return queue.get(timeout=1.0)  # what it put just before it ended
                except Empty:
                    raise RuntimeError(f"the import's preparing process ended unexpectedly "
                                       f"(exit code {process.exitcode})") from None


def batches_from_worker(rt: Runtime, mapping_id: str, path: Path, actor: Actor, batch_size: int) -> Iterator[Batch]:
    """Batches in file order: most from the preparing process, the rest prepared here."""
    context = multiprocessing.get_context("spawn")  # no fork: the app process has threads
    queue = context.Queue(maxsize=3)  # bounded: memory stays flat whatever the file's size
    here = Share(LOCAL_SHARE, SHARES, HEAD, head_mine=True)
    there = Share(frozenset(range(SHARES)) - LOCAL_SHARE, SHARES, HEAD, head_mine=False)
    process = context.Process(target=_worker, daemon=True, args=(
        str(rt.profile.root), mapping_id, str(path), actor, batch_size, there, rt.db.engine.dialect.name, queue,
        os.getpid()))
    process.start()
    local_stream = open_rows(path)
    local = prepare_batches(rt, rt.profile.imports[mapping_id], local_stream, actor, batch_size, here)
    try:
        k = 0
        while True:
            if here.takes(k):
                batch = next(local, None)
            else:
                item = _taken(queue, process)
                if isinstance(item, BaseException):
                    raise item
                batch = None if item == _DONE else item
            if batch is None:  # batches are numbered without gaps: the first missing one ends it
                return
            yield batch
            k += 1
    finally:
        local.close()
        local_stream.close()  # a generator never started does not run its own finally
        if process.is_alive():
            process.terminate()
        process.join()
