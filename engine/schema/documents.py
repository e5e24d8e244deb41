"""documents/*.yaml: printable documents made from records (PDF, A4).

Three kinds: a `message` (plain text to copy into an SMS), a `letter` about one record (the written answer to a proposer), and a `notice` listing
the records of one township in given states (the admitted list for the notice board). The words
are the county's, with {placeholders} for a record's fields and the values listed in
PLACEHOLDERS below; every placeholder is checked when the profile loads.
"""
from __future__ import annotations

import string
from typing import Annotated, Literal

from pydantic import Field

from engine.schema.base import ConfigModel, Identifier, Labelled
from engine.schema.forms import Form


class Paragraph(ConfigModel):
    """A paragraph said only about records in some states: the answer to a suggestion put in the
    pending-research pool promises it will be studied again; the answer to a rejected one must not."""

    text: str
    """The paragraph, with {placeholders}."""
    states: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """The record's states in which it is said (some of the document's `states`)."""


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
    paragraphs: tuple[str | Paragraph, ...] = ()
    """The body, one paragraph each, with {placeholders}. letter, message: a paragraph given as
    {text: ..., states: [...]} is said only about a record in one of those states."""
    columns: tuple[Column, ...] = ()
    """notice: the table's columns."""
    objection_days: Annotated[int, Field(ge=0)] | None = None
    """notice: the days allowed for objections, from the date of the notice: {objection_until}."""
    closing: tuple[str, ...] = ()
    """Lines at the foot, right-aligned: the issuing body and {today}."""
    number: str | None = None
    """letter, result: the document number each one issued gets, printed under the letterhead:
    {year} (the profile's year) and {n} (the next number of this document's series that year),
    e.g. "Office letter ({year}) No. {n}". A document printed again keeps its number and its date."""
    seal: str | None = None
    """letter, notice, result: the words marking the space left for the issuing body's seal beside
    the closing lines (a dashed circle); without it, no seal space."""


    def paragraphs_for(self, state: str | None = None) -> list[str]:
        """The paragraphs said about a record in `state` (None: those for every record)."""
        return [p if isinstance(p, str) else p.text for p in self.paragraphs
                if isinstance(p, str) or (state is not None and state in p.states)]


# Placeholders every document may use, besides the fields of its form.
COMMON = {"county": "the county's name", "congress": "the congress's name", "today": "the date of the document",
          "year": "the profile's year", "document_number": "the document's number, for a document with `number`"}
# About one record: in letters, and in each row of a notice.
RECORD = {"receipt_code": "the record's receipt code", "reason": "the reason of its latest decision",
          "decided_on": "the date of its latest decision", "state": "its state", "received_on": "the day it came in",
          "number": "its row number in a notice"}
NOTICE = {"township_name": "the township the notice is for", "count": "how many records the notice lists",
          "objection_until": "the last day for objections (objection_days after today)"}
# The result of a ballot: the round, and in each row one candidate's line of the count.
ROUND = {"township_name": "the township", "places": "places to fill", "candidates_count": "candidates on the ballot", "members": "deputies of the congress",
         "present": "deputies present", "ballots": "ballots cast", "valid": "valid ballots",
         "invalid": "invalid ballots", "chosen_count": "projects chosen", "notes": "what the count adds (a shortfall)",
         "vote": "the vote's name"}
LINE = {"approvals": "the candidate's approvals", "against": "votes against", "abstentions": "abstentions",
        "rank": "its rank among those passing", "outcome": "the count's words for it"}
PLACEHOLDERS = {**COMMON, **RECORD, **NOTICE, **ROUND, **LINE}


def placeholders_in(text: str) -> list[str]:
    """The names in a template's {placeholders}; raises ValueError for a broken template."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def placeholder_names(form: Form, kind: str) -> set[str]:
    names = set(COMMON) | set(RECORD) | {f.id for f in form.fields}
    if kind == "result":
        return names | set(ROUND) | set(LINE)
    return names | set(NOTICE) if kind == "notice" else names
