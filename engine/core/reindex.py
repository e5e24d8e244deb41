"""`minsheng db reindex`: the indexes made from a record's document, built again from every
stored record: the keyword search, and the facets that filter and sort lists (a suggestion's
category, its date). Needed after an upgrade that adds one, or a profile edit that adds a filter
or a sortable column: the app and the importer keep both up to date for what they write.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy import delete, insert, select

from engine.core import search
from engine.core.records import facet_rows
from engine.core.runtime import Runtime
from engine.store import search_index
from engine.store.tables import Record, RecordFacet

BATCH = 5_000


def rebuild(rt: Runtime, progress: Callable[[int], None] | None = None) -> int:
    """Index every record again, a batch per transaction (memory stays flat). Returns how many
    records were read. Searches meanwhile find the records indexed so far."""
    done, last = 0, 0
    with rt.db.transaction() as session:
        search_index.clear(session.connection())
    while True:
        with rt.db.transaction() as session:
            rows = session.execute(select(Record.id, Record.form_id, Record.title, Record.data)
                                   .where(Record.id > last).order_by(Record.id).limit(BATCH)).all()
            if not rows:
                return done
            known = [r for r in rows if r.form_id in rt.forms]  # a form the profile no longer has: left as is
            search.index(session, [(r.id, search.record_terms(rt.form(r.form_id), r.title, r.data)) for r in known])
            ids = [r.id for r in known]
            if ids:
                session.execute(delete(RecordFacet).where(RecordFacet.record_id.in_(ids)))
                facets = [{"record_id": r.id, **f} for r in known for f in facet_rows(rt, rt.form(r.form_id), r.data)]
                if facets:
                    session.connection().execute(insert(RecordFacet.__table__), facets)
        done += len(rows)
        last = rows[-1].id
        if progress:
            progress(done)
