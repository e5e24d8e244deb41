"""Merging duplicate records into one, and splitting one record into several.

Merging keeps every duplicate: it moves to the workflow's merge state, is linked to the record it
was merged into, and from then on follows that record's state (see workflow._move_followers), so
each proposer of a duplicate hears the outcome. Splitting makes new records from the original's
fields with the parts' own titles and texts, linked back to it; the original goes to a final
state and its receipt code shows the parts.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from sqlalchemy import select

from engine.store.audit import audit, now
from engine.schema.workflow import Regroup
from engine.kernel.errors import InputError, NotFound, Problem
from engine.kernel.receipt import new_code
from engine.core.runtime import Runtime
from engine.core import policy, records, search
from engine.core.actors import ANONYMOUS, Actor, require
from engine.core.sheets import workflow_of
from engine.core.workflow import MERGED_INTO, SPLIT_FROM
from engine.store.tables import Record, RecordFacet, RecordLink


def _regroup(rt: Runtime, form_id: str, kind: str) -> Regroup:
    wf = workflow_of(rt, form_id)
    regroup = getattr(wf, kind) if wf else None
    if regroup is None:
        raise NotFound(kind)
    return regroup


def _check(rt: Runtime, actor: Actor, regroup: Regroup, record: Record | None, form_id: str, kind: str) -> Record:
    if record is None or record.form_id != form_id:
        raise InputError({"": Problem("no_such_record", {"value": getattr(record, "id", "?")})})
    policy.require_scope(rt, actor, record)
    if record.state not in regroup.from_:
        raise InputError({"": Problem(f"{kind}_wrong_state", {"value": record.id})})
    return record


def _start(rt: Runtime, session, actor: Actor, record_id: int, kind: str) -> tuple[Record, Runtime, Regroup]:
    """The record merged into (or split), locked, with its version's runtime and the workflow's
    rule for `kind`, after the role, township and state checks."""
    # a transition at the same moment waits, then sees the new state
    record = session.scalars(rt.db.for_update(select(Record).where(Record.id == record_id))).first()
    if record is None or record.form_id not in rt.forms:
        raise NotFound("record")
    vrt = rt.for_version(record.profile_version)
    regroup = _regroup(vrt, record.form_id, kind)
    require(actor, regroup.roles, f"{kind}:{record.form_id}")
    _check(rt, actor, regroup, record, record.form_id, kind)
    return record, vrt, regroup


def merge(rt: Runtime, actor: Actor, into_id: int, duplicate_ids: Sequence[int], note: str = "") -> list[int]:
    """Merge duplicates into one record; returns the ids merged. All or nothing."""
    duplicate_ids = [d for d in dict.fromkeys(duplicate_ids) if d != into_id]
    if not duplicate_ids:
        raise InputError({"": Problem("merge_nothing")})
    with rt.db.transaction() as session:
        target, _, regroup = _start(rt, session, actor, into_id, "merge")
        # Lock order by id, so two merges touching the same records cannot deadlock on PostgreSQL.
        query = select(Record).where(Record.id.in_(duplicate_ids)).order_by(Record.id)
        found = {r.id: r for r in session.scalars(rt.db.for_update(query))}
        # a record merged before (it follows its project's state, so it may be back in a state
        # merging starts from), or the target itself merged into another: refused in words
        merged = set(session.scalars(select(RecordLink.record_id).where(
            RecordLink.record_id.in_([*duplicate_ids, target.id]), RecordLink.field_id == MERGED_INTO)))
        if target.id in merged:
            raise InputError({"": Problem("merge_into_merged", {"value": target.id})})
        for dup_id in duplicate_ids:
            if dup_id in merged:
                raise InputError({"": Problem("already_merged", {"value": dup_id})})
            dup = _check(rt, actor, regroup, found.get(dup_id), target.form_id, "merge")
            before = dup.state
            dup.state = regroup.to
            session.add(RecordLink(record_id=dup.id, field_id=MERGED_INTO, target_id=target.id))
            audit(session, actor=actor.username, action="record.merge", entity="record", entity_id=dup.id,
                  before={"state": before}, after={"state": regroup.to, "merged_into": target.id, "note": note},
                  version=dup.profile_version)
        audit(session, actor=actor.username, action="record.merged_here", entity="record", entity_id=target.id,
              before=None, after={"merged": duplicate_ids, "note": note}, version=target.profile_version)
    return duplicate_ids


def split(rt: Runtime, actor: Actor, record_id: int, parts: Sequence[Mapping[str, Any]], note: str = "") -> list[records.RecordView]:
    """Split a record into parts; each part gives the fields that differ (title, content...).

    Every part is validated as a full submission of the form; if one is invalid nothing is
    stored and the error names the part (``part 2: title``)."""
    if len(parts) < 2:
        raise InputError({"": Problem("split_too_few")})
    with rt.db.transaction() as session:
        original, vrt, regroup = _start(rt, session, actor, record_id, "split")
        compiled = vrt.form(original.form_id)
        wf = workflow_of(vrt, original.form_id)
        submissions, problems = [], {}
        for n, part in enumerate(parts, start=1):
            raw = {**compiled.values_of(original.data), **part}
            try:
                submissions.append(compiled.validate(raw, roles=None))
            except InputError as exc:
                problems.update({f"{n}:{fid}": p for fid, p in exc.problems.items()})
        if problems:
            raise InputError(problems)
        version = vrt.ensure_version(session)
        made = []
        for submission in submissions:
            document = submission.document
            row = Record(form_id=original.form_id, state=wf.initial, title=records.make_title(vrt, compiled, document),
                         data=document, profile_version=version, created_at=now(), created_by=actor.username,
                         **records.promoted_columns(compiled, document))
            if compiled.form.receipt:
                row.receipt_code = new_code(vrt.profile.county.receipt_prefix, vrt.profile.county.year)
            session.add(row)
            session.flush()
            session.add(RecordLink(record_id=row.id, field_id=SPLIT_FROM, target_id=original.id))
            for facet in records.facet_rows(vrt, compiled, document):
                session.add(RecordFacet(record_id=row.id, **facet))
            search.index(session, [(row.id, search.record_terms(compiled, row.title, document))])
            audit(session, actor=actor.username, action="record.split_part", entity="record", entity_id=row.id,
                  before=None, after={"form": row.form_id, "receipt_code": row.receipt_code, "state": row.state,
                                      "split_from": original.id, "data": document}, version=version)
            made.append(row)
        before = original.state
        original.state = regroup.to
        audit(session, actor=actor.username, action="record.split", entity="record", entity_id=original.id,
              before={"state": before}, after={"state": regroup.to, "parts": [r.id for r in made], "note": note},
              version=original.profile_version)
        session.flush()
        return [policy.view(rt, actor, r) for r in made]


def related(rt: Runtime, record_id: int) -> dict[str, list[records.RecordView]]:
    """What a record was merged into or split from, and what was merged into or split from it.
    Public data only (titles, receipt codes, states): the lookup page shows it to the proposer."""
    with rt.db.read() as session:
        out: dict[str, list[records.RecordView]] = {}
        for key, field_id, mine, theirs in (
                ("merged_into", MERGED_INTO, RecordLink.record_id, RecordLink.target_id),
                ("merged_here", MERGED_INTO, RecordLink.target_id, RecordLink.record_id),
                ("split_from", SPLIT_FROM, RecordLink.record_id, RecordLink.target_id),
                ("parts", SPLIT_FROM, RecordLink.target_id, RecordLink.record_id)):
            rows = session.scalars(select(Record).join(RecordLink, theirs == Record.id)
                                   .where(mine == record_id, RecordLink.field_id == field_id).order_by(Record.id)).all()
            out[key] = [policy.view(rt, ANONYMOUS, r) for r in rows]
        return out

