"""Form records: submit, look up by receipt code, read, list with SQL-side pagination.

Every function takes the acting user and checks the form's `access` roles first: the pages hide
what a role may not do, but this is where it is enforced.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from engine.store.audit import audit, now
from engine.kernel.errors import InputError, NotFound, Problem
from engine.forms.compiled import PROMOTED, CompiledForm, is_empty
from engine.schema.fieldtypes import CONTROL_CHARACTERS
from engine.kernel.receipt import PATTERN as RECEIPT_PATTERN, new_code, normalise
from engine.core.runtime import Runtime
from engine.core import reactions, search as record_search
from engine.core.actors import ANONYMOUS, SYSTEM, Actor, require
from engine.core.policy import RecordView, may_read, require_read, scope_sql, view
from engine.core.windows import require_open
from engine.store.anyof import any_of
from engine.store.tables import Attachment, AuditEntry, Record, RecordFacet, RecordLink



@dataclass(frozen=True)
class Page:
    items: list[RecordView]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    action: str
    state: str | None
    actor: str
    step: str | None = None  # the workflow action taken, or the sheet's form filed


def promoted_columns(compiled: CompiledForm, document: Mapping[str, Any]) -> dict[str, Any]:
    """township/station/channel columns, from the form's first reference field to each list."""
    return {column: document.get(fid) if fid else None for column, fid in compiled.promoted.items()}


def scope_problems(rt: Runtime, actor: Actor, compiled: CompiledForm, document: Mapping[str, Any]) -> dict[str, Problem]:
    """Staff tied to a township (or a station) enter that township's (station's) records and
    sheets only: a record of another one, or of none, is refused on its field, and so is a
    station of another township."""
    problems: dict[str, Problem] = {}
    if actor is SYSTEM:
        return problems
    for column, own in (("township", actor.township), ("station", actor.station)):
        field_id = compiled.promoted.get(column)
        if own and field_id and document.get(field_id) != own:
            problems[field_id] = Problem(f"other_{column}", {column: rt.reference_label(f"{column}s", own)})
    # a station named (a joint recommendation's) is one of the actor's township's
    station_field = compiled.promoted.get("station")
    if actor.township and station_field and not problems and document.get(station_field):
        station = next((s for s in rt.profile.county.stations if s.id == document[station_field]), None)
        if station is not None and station.township != actor.township:
            problems[station_field] = Problem("other_township",
                                              {"township": rt.reference_label("townships", actor.township)})
    return problems


def check_township(rt: Runtime, actor: Actor, compiled: CompiledForm, document: Mapping[str, Any]) -> None:
    """The scope check of a submission, on the server whatever the page offered."""
    if problems := scope_problems(rt, actor, compiled, document):
        raise InputError(problems)


def facet_rows(rt: Runtime, compiled: CompiledForm, document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Filterable values that are not promoted columns, one row each (without record_id yet)."""
    rows = []
    for fid in compiled.facet_fields:
        value = document.get(fid)
        for v in value if isinstance(value, list) else ([] if value is None else [value]):
            rows.append({"form_id": compiled.form.id, "field_id": fid, "value": str(v)[:200]})
    return rows


def make_title(rt: Runtime, compiled: CompiledForm, document: Mapping[str, Any]) -> str:
    form = compiled.form
    shown = {name: rt.display_value(form, name, document.get(name)) for name in form.title_fields()}
    return form.title.format(**shown).strip()[:300]


def source_key(*parts: str) -> str:
    """The identity of an imported row: its key columns as written when short (outside exports
    number their rows in order, so new keys append to the index), else a hash of them."""
    text = "\x1f".join(parts)
    return text if len(text) <= 64 else "#" + hashlib.sha256(text.encode()).hexdigest()[:63]


def submit(rt: Runtime, actor: Actor, form_id: str, raw: Mapping[str, Any],
           uploads: Mapping[str, tuple[str, bytes]] | None = None) -> RecordView:
    """Validate and store one submission with its audit row, in one transaction."""
    compiled = rt.form(form_id)
    require(actor, compiled.form.access.submit, f"submit:{form_id}")
    require_open(rt.profile.county, compiled.form, actor)
    raw = dict(raw)
    with rt.db.transaction() as session:
        for field_id, (name, content) in (uploads or {}).items():
            raw[field_id] = store_upload(session, compiled, field_id, name, content)
        submission = compiled.validate(raw, roles=None if actor is SYSTEM else actor.roles)
        document = submission.document
        check_township(rt, actor, compiled, document)
        _check_record_references(session, compiled, document)
        version = rt.ensure_version(session)
        workflow = rt.profile.workflows.get(compiled.form.workflow) if compiled.form.workflow else None
        record = Record(
            form_id=form_id, state=workflow.initial if workflow else None,
            title=make_title(rt, compiled, document), data=document, profile_version=version,
            created_at=now(), created_by=actor.username, **promoted_columns(compiled, document),
        )
        for attempt in range(5):  # a receipt code collision is astronomically rare; retry anyway
            if compiled.form.receipt:
                record.receipt_code = new_code(rt.profile.county.receipt_prefix, rt.profile.county.year)
            try:
                with session.begin_nested():
                    session.add(record)
                    session.flush()
                break
            except IntegrityError:
                if attempt == 4 or not compiled.form.receipt:
                    raise
        for f in compiled.form.fields:
            if f.type == "reference" and f.to.startswith("form:") and f.id in document:
                session.add(RecordLink(record_id=record.id, field_id=f.id, target_id=document[f.id]))
        for row in facet_rows(rt, compiled, document):
            session.add(RecordFacet(record_id=record.id, **row))
        record_search.index(session, [(record.id, record_search.record_terms(compiled, record.title, document))])
        audit(session, actor=actor.username, action="record.submit", entity="record", entity_id=record.id,
              before=None, after={"form": form_id, "receipt_code": record.receipt_code,
                                  "state": record.state, "data": document}, version=version)
        # An event about the record the submission refers to (a review opinion -> its project), or itself.
        subject_id = next((document[f.id] for f in compiled.form.fields
                           if f.type == "reference" and f.to.startswith("form:") and f.id in document), record.id)
        subject = record if subject_id == record.id else session.get(Record, subject_id)
        waiting = subject is not None and reactions.enqueue(session, rt, subject, "submitted", form_id,
                                                            source=(form_id, document))
        shown = view(rt, actor, record)
    if waiting:
        reactions.drain(rt, [subject_id])
    return shown


def store_upload(session: Session, compiled: CompiledForm, field_id: str, name: str, content: bytes) -> dict:
    f = compiled.form.field(field_id)
    name = CONTROL_CHARACTERS.sub("", str(name)).strip()[:300] or "file"  # a NUL cannot be stored on PostgreSQL
    ending = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if f.accept and ending not in {a.lower() for a in f.accept}:
        raise InputError({field_id: Problem("file_type", {"allowed": ", ".join(f.accept)})})
    if f.max_size_kb and len(content) > f.max_size_kb * 1024:
        raise InputError({field_id: Problem("file_size", {"limit": f.max_size_kb})})
    digest = hashlib.sha256(content).hexdigest()
    attachment = Attachment(name=name, size=len(content), sha256=digest, content=content)
    session.add(attachment)
    session.flush()
    return {"name": attachment.name, "size": attachment.size, "sha256": digest, "attachment_id": attachment.id}


def _check_record_references(session: Session, compiled: CompiledForm, document: Mapping[str, Any]) -> None:
    problems = {}
    for f in compiled.form.fields:
        if f.type == "reference" and f.to.startswith("form:") and f.id in document:
            target = session.get(Record, document[f.id])
            if target is None or target.form_id != f.to.removeprefix("form:"):
                problems[f.id] = Problem("no_such_record", {"value": document[f.id]})
    if problems:
        raise InputError(problems)


def find_by_receipt(rt: Runtime, code: str) -> tuple[RecordView, list[HistoryEntry]]:
    """Public: what anyone holding the receipt code may see. Private fields are left out."""
    wanted = normalise(code)
    if not RECEIPT_PATTERN.match(wanted):  # not a code at all (a typo, a NUL byte): nothing to look up
        raise NotFound("receipt")
    with rt.db.read() as session:
        record = session.scalars(select(Record).where(Record.receipt_code == wanted)).first()
        if record is None or record.form_id not in rt.forms:
            raise NotFound("receipt")
        return view(rt, ANONYMOUS, record), _history(session, record.id)


def get(rt: Runtime, actor: Actor, record_id: int) -> tuple[RecordView, list[HistoryEntry]]:
    """One record and its history, for an actor whose role may view its form and whose township
    (station) it is in."""
    with rt.db.read() as session:
        record = session.get(Record, record_id)
        if record is None or record.form_id not in rt.forms:
            raise NotFound("record")
        require_read(rt, actor, record)
        return view(rt, actor, record), _history(session, record.id)


def _history(session: Session, record_id: int) -> list[HistoryEntry]:
    rows = session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "record", AuditEntry.entity_id == str(record_id))
        .order_by(AuditEntry.id)
    )
    return [HistoryEntry(at=r.at, action=r.action, state=(r.after or {}).get("state"), actor=r.actor,
                         step=(r.after or {}).get("action") or (r.after or {}).get("sheet")) for r in rows]


SORTS = ("newest", "oldest", "title", "state")  # every list's; a form's own columns come after


def sorts_for(compiled: CompiledForm) -> tuple[str, ...]:
    """The orders a form's list offers, each served by an index whatever the number of records:
    SORTS, then each list column kept in a promoted column (township, station, channel: an
    index on form, column, id) or as a facet that every record has (a required choice, such as a
    suggestion's category, or a required date, latest first: the facets' index on form, field,
    value, record)."""
    facets = {fid for fid in compiled.facet_fields
              if compiled.fields_by_id[fid].required and compiled.fields_by_id[fid].type != "multichoice"}
    promoted = set(compiled.promoted.values())
    own = [fid for fid in compiled.form.list_columns if fid not in SORTS and (fid in promoted or fid in facets)]
    return SORTS + tuple(own)


def _order(compiled: CompiledForm, sort: str, record_id) -> tuple:
    """ORDER BY of a list: by id (newest, oldest), or by a column then id. A facet's order is
    its join's (`_sorted_by_facet`)."""
    if sort in ("newest", "oldest"):
        return (record_id.desc() if sort == "newest" else record_id.asc(),)
    column = next((c for c, fid in compiled.promoted.items() if fid == sort), sort)
    return (getattr(Record, column), record_id)


def _sorted_by_facet(compiled: CompiledForm, ids, sort: str, record_id):
    """The list's ids joined to the facet it is sorted by, in that facet's index order (a date's
    backwards: the latest first)."""
    by = aliased(RecordFacet)
    ids = ids.join(by, (by.record_id == record_id) & (by.form_id == compiled.form.id) & (by.field_id == sort))
    if sort in compiled.sorted_dates:
        return ids.order_by(by.value.desc(), by.record_id.desc())
    return ids.order_by(by.value, by.record_id)


GROUP_FILTER = "group"  # a list's filter by county group, beside the form's own filters and "state"


def list_records(rt: Runtime, actor: Actor, form_id: str, filters: Mapping[str, str] | None = None,
                 page: int = 1, page_size: int = 25, search: str | None = None, sort: str = "newest") -> Page:
    """One page of a form's records, filtered, searched, sorted and counted in SQL (newest first
    unless `sort` says otherwise: one of sorts_for(the form)).

    A filter on a promoted column (township, station, channel, state) uses the records indexes; a
    filter on another field is driven from its facet index, which is ordered by record id too. A
    search (words of the title or the texts) goes through the search index.
    """
    ids, count = _list_query(rt, actor, form_id, filters, search, sort)
    page_size = max(1, min(page_size, 200))
    with rt.db.read() as session:
        total = session.scalar(count) or 0
        pages = max(1, math.ceil(total / page_size))
        page = max(1, min(page, pages))
        wanted = session.scalars(ids.limit(page_size).offset((page - 1) * page_size)).all()
        return Page(items=_views(rt, actor, session, wanted), total=total, page=page, page_size=page_size)


def list_all(rt: Runtime, actor: Actor, form_id: str, filters: Mapping[str, str] | None = None,
             search: str | None = None, sort: str = "newest", limit: int = 100_000,
             batch: int = 1_000) -> Iterator[RecordView]:
    """The whole list as `list_records` orders it (an export), at most `limit` records: the ids in
    one query, then the records a batch at a time (no count and no OFFSET per page)."""
    ids, _ = _list_query(rt, actor, form_id, filters, search, sort)
    with rt.db.read() as session:
        wanted = session.scalars(ids.limit(limit)).all()
    for start in range(0, len(wanted), batch):
        with rt.db.read() as session:
            yield from _views(rt, actor, session, wanted[start:start + batch])


def _views(rt: Runtime, actor: Actor, session, wanted: list[int]) -> list[RecordView]:
    found = {r.id: r for r in session.scalars(select(Record).where(any_of(Record.id, wanted)))} if wanted else {}
    return [view(rt, actor, found[i]) for i in wanted if i in found]


def _list_query(rt: Runtime, actor: Actor, form_id: str, filters: Mapping[str, str] | None, search: str | None,
                sort: str):
    """The statements of a list: its record ids in order, and their count (checked: the right to
    list, the sort, each filter; the user's township and station whatever the filters say)."""
    compiled = rt.form(form_id)
    require(actor, compiled.form.access.list, f"list:{form_id}")
    if sort not in sorts_for(compiled):
        raise InputError({"sort": Problem("not_sortable")})
    on_records = []
    if search and search.strip():
        on_records.append(record_search.condition(rt, search.strip()))
    facets: list[tuple[str, str]] = []
    for fid, value in (filters or {}).items():
        if is_empty(value):
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int)) or \
                CONTROL_CHARACTERS.search(value := str(value)) or len(value) > 200:
            raise InputError({str(fid)[:60]: Problem("enum")})  # a filter's value is one of its choices, as text
        if fid == "state":
            on_records.append(Record.state == value)
            continue
        if fid == GROUP_FILTER:  # the county group a record is assigned to (engine.core.groups)
            if value not in {g.id for g in rt.profile.county.groups}:
                raise InputError({fid: Problem("enum")})
            on_records.append(Record.group_id == value)
            continue
        if fid not in compiled.form.filters:
            raise InputError({fid: Problem("not_filterable")})
        column = PROMOTED.get(compiled.form.field(fid).to or "")
        if column and compiled.promoted[column] == fid:
            on_records.append(getattr(Record, column) == value)
        else:
            facets.append((fid, str(value)))
    # Staff of a township (and a station) list that township's records only, whatever they filter
    on_records.extend(scope_sql(rt, actor, form_id))
    if not facets:
        where = [Record.form_id == form_id, *on_records]
        count = select(func.count()).select_from(Record).where(*where)
        ids = select(Record.id).where(*where)
        ids = (_sorted_by_facet(compiled, ids, sort, Record.id) if sort in compiled.facet_fields
               else ids.order_by(*_order(compiled, sort, Record.id)))
        return ids, count
    first, *others = [aliased(RecordFacet) for _ in facets]
    ids = select(first.record_id.label("id")).where(
        first.form_id == form_id, first.field_id == facets[0][0], first.value == facets[0][1])
    for alias, (fid, value) in zip(others, facets[1:]):
        ids = ids.join(alias, (alias.record_id == first.record_id) & (alias.form_id == form_id)
                       & (alias.field_id == fid) & (alias.value == value))
    if on_records or sort not in ("newest", "oldest", *compiled.facet_fields):
        ids = ids.join(Record, Record.id == first.record_id).where(*on_records)
    count = select(func.count()).select_from(ids.subquery())
    ids = (_sorted_by_facet(compiled, ids, sort, first.record_id) if sort in compiled.facet_fields
           else ids.order_by(*_order(compiled, sort, first.record_id)))
    return ids, count


def linked_records(rt: Runtime, actor: Actor, target_id: int, page_size: int = 50) -> list[RecordView]:
    """Records whose reference fields point at this one (the suggestions raised at a session)."""
    with rt.db.read() as session:
        rows = session.scalars(
            select(Record).join(RecordLink, RecordLink.record_id == Record.id)
            .where(RecordLink.target_id == target_id).order_by(Record.id).limit(page_size)
        ).all()
        return [view(rt, actor, r) for r in rows if may_read(rt, actor, r)]


def links_from(rt: Runtime, record_id: int, field_id: str) -> list[int]:
    """The records this one points at through a link (a sheet's subject, say)."""
    with rt.db.read() as session:
        return list(session.scalars(select(RecordLink.target_id).where(RecordLink.record_id == record_id,
                                                                       RecordLink.field_id == field_id)))
