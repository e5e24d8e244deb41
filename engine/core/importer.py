"""Bulk import of an outside export into a form, streamed in batches.

Each row is validated like a form submission (with the compiled checker, for speed). Good rows are
stored, bad rows are reported with their row number and reasons, and a row already imported
(same key columns) is skipped, so importing the same file twice adds nothing. Each batch is one
transaction with one audit row naming the records it added. The rows are read and shaped into
batches by engine.core.import_rows, for large files in a second process while this one writes.
A run a crash cut short is finished by importing the same file again, or closed.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy import func, select

from engine.core.actors import Actor, require
from engine.core.import_rows import (BATCH, RECORD_COLUMNS, Batch, batches_from_worker, check_headers,
                                     prepare_batches)
from engine.core.runtime import Runtime
from engine.core.tabular import open_rows
from engine.kernel.errors import InputError, NotFound, Problem
from engine.store import search_index
from engine.store.anyof import any_of
from engine.store.audit import audit, now
from engine.store.inserts import insert_driver_rows, to_driver
from engine.store.tables import ImportRejection, ImportRun, Record, RecordFacet

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


Progress = Callable[[float, ImportReport], None]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


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
        check_headers(mapping, header_check)  # before anything is written
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
    batches = (batches_from_worker(rt, mapping_id, path, actor, batch_size) if parallel
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


