"""funds/*.yaml: the fund pool that pays for the chosen projects ("money follows the project").

A pool per year: its sources (the county's budget, township matching funds ...), the range its
total must stay within, an optional cap or floor per project, and who may put money in, allocate
it to projects and pay against the allocations. The engine keeps these rules in the database
transaction of every entry; entries are never changed or deleted, only reversed.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, model_validator

from engine.schema.base import ConfigModel, Identifier, KeyProblem, Labelled
from engine.schema.delivery import AmountSpec

Yuan = Annotated[Decimal, Field(ge=0, decimal_places=2)]


class Range(ConfigModel):
    min: Yuan | None = None
    """The least, in yuan."""
    max: Yuan | None = None
    """The most, in yuan."""

    @model_validator(mode="after")
    def _ordered(self):
        if self.min is not None and self.max is not None and self.min > self.max:
            raise KeyProblem("min", f"min ({self.min}) is more than max ({self.max})")
        return self


class FundSource(Labelled):
    id: Identifier
    """Short code of the source, e.g. county."""
    range: Range | None = None
    """What this source may put in over the year, in yuan."""


class Share(ConfigModel):
    """The part of each project's money the pool pays, the rest coming from elsewhere (township
    matching funds): e.g. {needs: {form: funding_need, amount: amount}, most: 0.7} allocates a
    project at most 70% of its funding needs."""

    needs: AmountSpec
    """The project's funding-needs sheets, whose amounts (the ones that count) add up to its needs."""
    most: Annotated[Decimal, Field(gt=0, le=1)]
    """The largest part of the needs the pool may allocate, as a fraction: 0.7 for 70%."""


class FundRoles(ConfigModel):
    contribute: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """Roles that record money put into the pool."""
    allocate: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """Roles that allocate money from the pool to projects."""
    pay: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """Roles that record payments against an allocation."""
    view: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """Roles that see the pool's accounts (finance, audit)."""


class FundPool(Labelled):
    id: Identifier
    """Short code of the pool; must match the file name."""
    form: Identifier
    """The form of the projects the pool pays for."""
    project_states: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """States a project must be in to receive an allocation (e.g. chosen by the vote)."""
    total: Range
    """The range the pool's total for a year must stay within; allocations wait until it reaches `min`."""
    sources: Annotated[tuple[FundSource, ...], Field(min_length=1)]
    """Where the money comes from."""
    per_project: Range | None = None
    """A cap (and floor) on what one project may be allocated."""
    share: Share | None = None
    """The part of a project's funding needs the pool pays at most (the rest is matched by others)."""
    roles: FundRoles
    """Who may do what."""
