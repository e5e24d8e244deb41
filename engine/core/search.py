"""Keyword search over records: what of a record is searched, and keeping the index in step with
every write (rebuilt whole by engine.core.reindex).

A record is found by its title and its written texts (the form's text and textarea fields),
never by personal data (private fields), which not everyone who may list the form may read.
"""
from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from engine.forms.compiled import CompiledForm
from engine.kernel.errors import InputError, Problem
from engine.kernel.words import searched_phrases, stored_terms
from engine.core.runtime import Runtime
from engine.store import search_index
from engine.store.tables import Record

MAX_QUERY_CHARS = 100


def record_terms(compiled: CompiledForm, title: str, document: Mapping[str, Any]) -> list[str]:
    return stored_terms(title or "", *(str(document.get(fid) or "") for fid in compiled.search_fields))


def index(session: Session, rows: list[tuple[int, list[str]]]) -> None:
    """Add new records to the index, in the transaction that stores them: (id, terms)."""
    search_index.add(session.connection(), rows)


def index_records(session: Session, rt: Runtime, records: list[Record]) -> None:
    """Add records stored through the ORM (flushed, so they have their ids)."""
    index(session, [(r.id, record_terms(rt.form(r.form_id), r.title, r.data)) for r in records if r.form_id in rt.forms])


def condition(rt: Runtime, query: str, field: str = "search") -> ColumnElement[bool]:
    """Records.id among the records holding every word of `query`. A query with nothing to
    search for (only punctuation) or too long is refused on `field`, not read as "everything"."""
    if len(query) > MAX_QUERY_CHARS:
        raise InputError({field: Problem("search_too_long", {"limit": MAX_QUERY_CHARS})})
    phrases = searched_phrases(query)
    if not phrases:
        raise InputError({field: Problem("nothing_to_search")})
    return search_index.contains(Record.id, rt.db.engine.dialect.name, phrases)
