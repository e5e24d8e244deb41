"""Bulk import of an outside export into a form, streamed in batches.

Each row is validated like a form submission (with the compiled checker, for speed). Good rows are
stored, bad rows are reported with their row number and reasons, and a row already imported
(same key columns) is skipped, so importing the same file twice adds nothing. Each batch is one
transaction with one audit row naming the records it added.

Reading and validating rows is pure Python and as costly as writing them, so large files are
prepared in a second process while this one writes: on two cores that nearly doubles the rate.
A bounded queue between them keeps memory flat whatever the file's size.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import multiprocessing
import os
import signal
import time
from queue import Empty, Full
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from sqlalchemy import func, select

from engine.store.audit import audit, now
from engine.schema.fieldtypes import CONTROL_CHARACTERS
from engine.schema.imports import ImportMapping
from engine.kernel.errors import InputError, NotFound, Problem
from engine.forms.compiled import is_empty
from engine.kernel.receipt import new_code
from engine.core.runtime import Runtime
from engine.core.actors import Actor, require
from engine.core.records import facet_rows, make_title, promoted_columns, scope_problems, source_key
from engine.core.search import record_terms
from engine.core.tabular import MAX_CELL_CHARS, MAX_LINE_CHARS, RowStream, UnreadableRow, open_rows
from engine.store import search_index
from engine.store.anyof import any_of
from engine.store.db import to_json_text
from engine.store.inserts import insert_driver_rows, to_driver
from engine.store.tables import ImportRejection, ImportRun, Record, RecordFacet

BATCH = 2000
KEEP_REJECTIONS = 200  # kept in the report; every one is in the import_rejections table
PARALLEL_FROM_BYTES = 2 << 20  # smaller files are done in-process: a second process costs ~1 s


@dataclass
class ImportReport:
    run_id: int
    rows_read: int = 0
    rows_added: int = 0
    rows_duplicate: int = 0
    rows_rejected: int = 0
    rejections: list[tuple[int, dict[str, Problem]]] = field(default_factory=list)  # the first ones
    seconds_writing: float = 0.0  # time spent in database writes (the rest is waiting for rows)


@dataclass
class Batch:
    """Rows ready to write: record columns (without the run id) and their facets, plus rejections."""

    index: int
    good: list[tuple[int, tuple, list[tuple[str, str, str]], str | None]]  # row number, record columns, facets, search terms (encoded)
    bad: list[tuple[int, dict[str, Problem]]]
    duplicates_in_file: int
    progress: float


Progress = Callable[[float, ImportReport], None]


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


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _check_headers(mapping: ImportMapping, stream: RowStream) -> None:
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


def import_file(rt: Runtime, actor: Actor, mapping_id: str, path: str | Path,
                progress: Progress | None = None, batch_size: int = BATCH,
                parallel: bool | None = None) -> ImportReport:
    mapping = rt.profile.imports.get(mapping_id)
    if mapping is None:
        raise NotFound(f"import {mapping_id}")
    require(actor, mapping.roles, f"import:{mapping_id}")
    path = Path(path)
    if not path.is_file():
        raise InputError({"file": Problem("no_file", {"value": str(path)})})
    header_check = open_rows(path)
    try:
        _check_headers(mapping, header_check)  # before anything is written
    finally:
        header_check.close()

    with rt.db.transaction() as session:
        version = rt.ensure_version(session)
        run = ImportRun(mapping_id=mapping_id, filename=path.name[:300], sha256=file_sha256(path),
                        actor=actor.username, profile_version=version, started_at=now(),
                        rows_read=0, rows_added=0, rows_duplicate=0, rows_rejected=0)
        session.add(run)
        session.flush()
        audit(session, actor=actor.username, action="import.start", entity="import_run", entity_id=run.id,
              before=None, after={"mapping": mapping_id, "file": run.filename, "sha256": run.sha256},
              version=version)
    report = ImportReport(run_id=run.id)

    if parallel is None:
        parallel = path.stat().st_size >= PARALLEL_FROM_BYTES
    batches = (_batches_from_worker(rt, mapping_id, path, actor, batch_size) if parallel
               else prepare_batches(rt, mapping, open_rows(path), actor, batch_size))
    for batch in batches:
        started = time.perf_counter()
        _write(rt, actor, run.id, version, batch, report)
        report.seconds_writing += time.perf_counter() - started
        if progress:
            progress(batch.progress, report)

    with rt.db.transaction() as session:
        session.get(ImportRun, run.id).finished_at = now()
        audit(session, actor=actor.username, action="import.finish", entity="import_run", entity_id=run.id,
              before=None, after={"read": report.rows_read, "added": report.rows_added,
                                  "duplicate": report.rows_duplicate, "rejected": report.rows_rejected},
              version=version)
        # The same file imported again after a run was cut short (a crash, a kill): this run took
        # up its rows (those already added were found again), so that run is finished by this one.
        for earlier in session.scalars(select(ImportRun).where(
                ImportRun.mapping_id == mapping_id, ImportRun.sha256 == run.sha256, ImportRun.id != run.id,
                ImportRun.finished_at.is_(None))):
            _close(session, actor, earlier, resumed_by=run.id)
    return report


def unfinished_runs(rt: Runtime, actor: Actor) -> list[ImportRun]:
    """Import runs that never finished (the process was killed or crashed), oldest first."""
    require(actor, tuple(r for m in rt.profile.imports.values() for r in m.roles), "import")
    with rt.db.read() as session:
        rows = session.scalars(select(ImportRun).where(ImportRun.finished_at.is_(None)).order_by(ImportRun.id)).all()
        session.expunge_all()
        return list(rows)


def close_run(rt: Runtime, actor: Actor, run_id: int) -> ImportRun:
    """Close a run that never finished, keeping what it added (each batch was whole); to add the
    rest, import the same file again: what is already there is skipped."""
    with rt.db.transaction() as session:
        run = session.get(ImportRun, run_id)
        if run is None:
            raise NotFound("import run")
        mapping = rt.profile.imports.get(run.mapping_id)
        require(actor, mapping.roles if mapping else (), f"import:{run.mapping_id}")
        if run.finished_at is not None:
            raise InputError({"run": Problem("run_finished", {"value": run_id})})
        _close(session, actor, run, resumed_by=None)
        session.flush()
        session.expunge(run)
        return run


def _close(session, actor: Actor, run: ImportRun, resumed_by: int | None) -> None:
    run.finished_at = now()
    audit(session, actor=actor.username, action="import.resumed" if resumed_by else "import.closed",
          entity="import_run", entity_id=run.id, before=None,
          after={"read": run.rows_read, "added": run.rows_added, "rejected": run.rows_rejected,
                 "resumed_by": resumed_by}, version=run.profile_version)


RECORD_COLUMNS = ("form_id", "receipt_code", "state", "title", "township", "station", "channel", "data",
                  "created_by", "source_key", "profile_version", "created_at", "import_run_id")
KEY = RECORD_COLUMNS.index("source_key")


def _write(rt: Runtime, actor: Actor, run_id: int, version: str, batch: Batch, report: ImportReport) -> None:
    """One batch, one transaction: new records, their facets, rejections, counters, audit."""
    if not batch.good and not batch.bad and not batch.duplicates_in_file:
        return
    records = Record.__table__
    with rt.db.transaction() as session:
        connection = session.connection()
        keys = [row[KEY] for _, row, _, _ in batch.good]
        existing = set(connection.execute(select(records.c.source_key).where(any_of(records.c.source_key, keys))).scalars()) if keys else set()
        fresh = [good for good in batch.good if good[1][KEY] not in existing]
        ids: list[int] = []
        if fresh:
            stamp = to_driver(connection, records.c.created_at)(now())
            before = connection.execute(select(func.max(records.c.id))).scalar() or 0
            insert_driver_rows(connection, records, RECORD_COLUMNS, [row + (version, stamp, run_id) for _, row, _, _ in fresh])
            after = connection.execute(select(func.max(records.c.id))).scalar() if connection.dialect.name == "sqlite" else None
            if after == before + len(fresh):
                # We hold SQLite's write lock (BEGIN IMMEDIATE), so the new rows took the next ids
                # in order (checked just above): no need to read them back.
                ids = list(range(before + 1, after + 1))
                id_of = {row[KEY]: i for (_, row, _, _), i in zip(fresh, ids)}
            else:  # a sequence may interleave with other writers: ask
                id_of = dict(connection.execute(select(records.c.source_key, records.c.id).where(
                    any_of(records.c.source_key, [row[KEY] for _, row, _, _ in fresh]))).all())
                ids = sorted(id_of.values())
            facet_values = [(id_of[row[KEY]], *facet) for _, row, facets, _ in fresh for facet in facets]
            search_index.add_encoded(connection, [(id_of[row[KEY]], terms) for _, row, _, terms in fresh])
            if facet_values:
                insert_driver_rows(connection, RecordFacet.__table__, ("record_id", "form_id", "field_id", "value"),
                                   facet_values)
        if batch.bad:
            rejections = ImportRejection.__table__
            as_json = to_driver(connection, rejections.c.problems)
            insert_driver_rows(connection, rejections, ("run_id", "row_number", "problems"), [
                (run_id, n, as_json({k: {"code": p.code, "params": p.params} for k, p in problems.items()}))
                for n, problems in batch.bad])
        duplicates = len(batch.good) - len(fresh) + batch.duplicates_in_file
        read = len(batch.good) + len(batch.bad) + batch.duplicates_in_file
        run = session.get(ImportRun, run_id)
        run.rows_read += read
        run.rows_added += len(fresh)
        run.rows_duplicate += duplicates
        run.rows_rejected += len(batch.bad)
        numbers = [n for n, _, _, _ in batch.good] + [n for n, _ in batch.bad]
        audit(session, actor=actor.username, action="import.batch", entity="import_run", entity_id=run_id,
              before=None, after={"rows": [min(numbers), max(numbers)] if numbers else [],
                                  "added": len(fresh), "record_ids": [ids[0], ids[-1]] if ids else [],
                                  "duplicate": duplicates, "rejected": len(batch.bad)},
              version=version)
    report.rows_read += read
    report.rows_added += len(fresh)
    report.rows_duplicate += duplicates
    report.rows_rejected += len(batch.bad)
    room = KEEP_REJECTIONS - len(report.rejections)
    if room > 0:
        report.rejections.extend(batch.bad[:room])


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


def _batches_from_worker(rt: Runtime, mapping_id: str, path: Path, actor: Actor, batch_size: int) -> Iterator[Batch]:
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
