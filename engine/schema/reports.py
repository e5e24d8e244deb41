"""reports/*.yaml: the yearly report to the county congress (XLSX and PDF, with charts).

A report is a list of sections, each one of: records counted by a field or by state (states may be
grouped under the county's own words), a vote's results per township, a fund pool's money per
township, or a delivery's scorecard per township. The words (title, paragraphs, section headings,
group labels) are the county's; the engine only counts.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from engine.schema.base import Identifier, KeyProblem, Labelled


class Group(Labelled):
    states: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """The states counted under this label."""


class Section(Labelled):
    count_by: Identifier | None = None
    """Count the year's records by this field (a choice or reference), or by `state`."""
    groups: tuple[Group, ...] = ()
    """With count_by: state: rows of states counted together, in this order."""
    merged: bool = True
    """With count_by: False leaves out duplicates merged into another record."""
    votes: Identifier | None = None
    """A vote (votes/*.yaml): per township, the candidates, places, ballots and projects chosen."""
    fund: Identifier | None = None
    """A fund pool (funds/*.yaml): per township, the money allocated and paid in the year."""
    delivery: Identifier | None = None
    """A delivery (delivery/*.yaml): per township, the projects, completed, milestones on time,
    rated satisfactory and under rectification."""

    @model_validator(mode="after")
    def _one_kind(self):
        kinds = [k for k in ("count_by", "votes", "fund", "delivery") if getattr(self, k)]
        if len(kinds) != 1:
            raise KeyProblem("label", "a section needs exactly one of count_by, votes, fund, delivery"
                             + (f"; it has {', '.join(kinds)}" if kinds else ""))
        if self.groups and self.count_by != "state":
            raise KeyProblem("groups", "groups go with count_by: state")
        return self


class Report(Labelled):
    id: Identifier
    """Short code of the report; must match the file name."""
    form: Identifier
    """The form of the records it counts (the suggestions)."""
    year_field: Identifier
    """The date field that puts a record in a year, e.g. the day a suggestion was made."""
    roles: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """Roles that may make it."""
    title: str
    """The heading, with {county}, {congress}, {year}."""
    paragraphs: tuple[str, ...] = ()
    """The opening, with {county}, {congress}, {year}, {total} (the year's records)."""
    sections: Annotated[tuple[Section, ...], Field(min_length=1)]
    """The sections, in order; each has a table and a bar chart."""
