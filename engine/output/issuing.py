"""Issuing a document: the first print of a letter or a result takes the next number of its
document's series in the profile's year and the day, both kept; a later print shows the same.
The number is the profile's `number` pattern filled with {year} and {n}."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from engine.core.actors import Actor
from engine.core.runtime import Runtime
from engine.schema.documents import Document
from engine.store.audit import audit, now
from engine.store.tables import IssuedDocument


@dataclass(frozen=True)
class Issued:
    number: str  # the pattern filled in; "" for a document without one
    issued_on: dt.date


def issue(rt: Runtime, actor: Actor, doc: Document, subject: str, today: dt.date) -> Issued:
    """The document's number and date for this subject, taken now if it has none yet."""
    year = rt.profile.county.year
    with rt.db.transaction() as session:
        # Every process printing this series waits here for the one before it, so the next number
        # and "has this subject one already" are read with no other print in between.
        rt.db.hold(session, f"document-series:{doc.id}:{year}")
        found = session.scalars(select(IssuedDocument).where(
            IssuedDocument.document_id == doc.id, IssuedDocument.subject == subject)).first()
        if found is None:
            n = (session.scalar(select(func.max(IssuedDocument.number)).where(
                IssuedDocument.document_id == doc.id, IssuedDocument.year == year)) or 0) + 1
            found = IssuedDocument(document_id=doc.id, subject=subject, year=year, number=n, issued_on=today,
                                   issued_by=actor.username, created_at=now())
            session.add(found)
            session.flush()
            audit(session, actor=actor.username, action="document.issued", entity="document",
                  entity_id=f"{doc.id}:{subject}", before=None,
                  after={"number": _text(doc, year, n), "issued_on": today.isoformat()}, version=rt.version)
        return Issued(_text(doc, found.year, found.number), found.issued_on)


def _text(doc: Document, year: int, n: int) -> str:
    return doc.number.format(year=year, n=n) if doc.number else ""
