"""documents/*.yaml: printable documents made from records (PDF, A4).

Three kinds: a `message` (plain text to copy into an SMS), a `letter` about one record (the written answer to a proposer), and a `notice` listing
the records of one township in given states (the admitted list for the notice board). The words
are the county's, with {placeholders} for a record's fields and the values listed in
engine.output.documents.PLACEHOLDERS; every placeholder is checked when the profile loads.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from engine.schema.base import Identifier, Labelled


class Column(Labelled):
    value: str
    """What the column shows for each record: text with {placeholders}, e.g. {title}."""
    width: Annotated[int, Field(ge=1, le=100)] = 20
    """Its share of the page width, in percent."""


class Document(Labelled):
    id: Identifier
    """Short code of the document; must match the file name."""
    kind: Literal["letter", "notice", "message", "result"]
    """letter: one page about one record (PDF); notice: a table of one township's records (PDF);
    message: a short text about one record for staff to copy, e.g. into an SMS; result: the
    result of a counted ballot, a row per candidate (PDF, and the public results page)."""
    form: Identifier
    """The form of the records it is made from."""
    states: tuple[Identifier, ...] = ()
    """letter, message: the states in which it can be made; notice: the states of the records listed."""
    roles: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """Roles that may make it (`public`: anyone, e.g. a notice also shown on the public page)."""
    title: str
    """The heading, with {placeholders}."""
    salutation: str | None = None
    """letter: the first line, e.g. "Dear {proposer_name}," (in the county's words)."""
    paragraphs: tuple[str, ...] = ()
    """The body, one paragraph each, with {placeholders}."""
    columns: tuple[Column, ...] = ()
    """notice: the table's columns."""
    objection_days: Annotated[int, Field(ge=0)] | None = None
    """notice: the days allowed for objections, from the date of the notice: {objection_until}."""
    closing: tuple[str, ...] = ()
    """Lines at the foot, right-aligned: the issuing body and {today}."""
