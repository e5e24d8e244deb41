"""delivery/*.yaml: how chosen projects are delivered and supervised.

The profile names the forms that carry each part (the responsibility list, milestones, progress
reports, supervision records, follow-up actions, funding needs) and which of their fields mean
what, so the engine can tell a milestone that is late, a follow-up action that is overdue, and a
project that should go on the congress's watch list. Escalation rules are expressions over a
project's delivery figures (see `FIGURES`), checked at load like every other expression.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from engine.schema.base import ConfigModel, Identifier, KeyProblem, Labelled

# The figures of one project that escalation rules may name (all numbers), with their meaning.
FIGURES = {
    "milestones": "how many milestones the project has",
    "milestones_behind": "milestones past their planned date that are not reported reached",
    "milestones_late": "milestones reported reached after their planned date",
    "percent": "the project's progress in per cent, from its latest progress report (0 without one)",
    "follow_ups_open": "follow-up actions of supervision not yet closed",
    "follow_up_days_overdue": "days the most overdue open follow-up action is past its due date (0 if none)",
    "days_past_deadline": "days past the completion deadline of a project not yet done (0 if none)",
}


class DefaultDate(ConfigModel):
    """A date filled in when the form is opened (and when it is filed without one)."""

    end_of_year: bool = False
    """The last day of the year the project was chosen in."""
    days_after_start: Annotated[int, Field(ge=0)] | None = None
    """This many days after the project entered delivery (was chosen), e.g. 30."""

    @model_validator(mode="after")
    def _one(self):
        if self.end_of_year == (self.days_after_start is not None):
            raise KeyProblem("end_of_year", "give exactly one of end_of_year: true or days_after_start")
        return self


class ResponsibilitySpec(ConfigModel):
    form: Identifier
    """The responsibility list's form, filed once on each project (a sheet with `single: true`)."""
    deadline: Identifier
    """Its date field: the completion deadline."""
    unit: Identifier
    """Its field naming the implementing unit (shown on the dashboard)."""
    defaults: dict[Identifier, DefaultDate] = Field(default_factory=dict)
    """Date fields filled in by default, e.g. deadline: {end_of_year: true}."""
    columns: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """The fields printed in the official table (XLSX and PDF), in order."""


class MilestoneSpec(ConfigModel):
    form: Identifier
    """The milestone's form, a sheet filed on the project with `one_per` its name."""
    name: Identifier
    """Its field naming the milestone."""
    due: Identifier
    """Its date field: the planned date."""


class ProgressSpec(ConfigModel):
    form: Identifier
    """The progress report's form, a sheet filed on the project."""
    percent: Identifier
    """Its integer field: the project's progress in per cent."""
    date: Identifier
    """Its date field: the day the report speaks for."""
    milestone: Identifier
    """Its field naming the milestone the report says is reached (may be empty)."""


class AmountSpec(ConfigModel):
    form: Identifier
    """The form of the funding-needs items, a sheet filed on the project."""
    amount: Identifier
    """Its money field: the item's amount."""


class FollowUpSpec(ConfigModel):
    form: Identifier
    """The follow-up action's form: a sheet with a workflow of its own; it is open until that
    workflow reaches a final state."""
    due: Identifier
    """Its date field: when the action must be done."""


class Overdue(ConfigModel):
    grace_days: Annotated[int, Field(ge=0)] = 0
    """Days after a milestone's planned date before it counts as late."""
    notify: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """Roles told when a milestone is late (the supervising role)."""
    reason: str
    """The words of the flag, with {milestone} and {due}."""


class Escalation(Labelled):
    id: Identifier
    """Short code of the rule, named in the audit log."""
    when: str
    """A condition on the project's figures, e.g. milestones_behind >= 2."""
    watch_list: bool = False
    """True: while the condition holds, the project is on the congress's watch list."""
    notify: tuple[Identifier, ...] = ()
    """Roles told when the condition starts to hold."""
    reason: str
    """Words a citizen can read, with the figures as {placeholders}."""

    @model_validator(mode="after")
    def _does_something(self):
        if not self.watch_list and not self.notify:
            raise KeyProblem("notify", "an escalation needs watch_list: true or roles to notify")
        return self


class DeliveryRoles(ConfigModel):
    view: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """Roles that see the supervision dashboard, the scorecard and the exports."""


class Delivery(Labelled):
    id: Identifier
    """Short code; must match the file name."""
    form: Identifier
    """The projects' form."""
    states: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """States of projects being delivered (chosen, under way); milestones count in these."""
    done_states: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """States of projects delivered (completed, evaluated ...)."""
    rated_states: tuple[Identifier, ...] = ()
    """States of projects the deputies rated satisfactory (the scorecard counts them)."""
    rectification_states: tuple[Identifier, ...] = ()
    """States of projects being rectified after a failed rating (the scorecard counts them)."""
    fund: Identifier | None = None
    """The fund pool whose allocations and payments the dashboard shows."""
    responsibility: ResponsibilitySpec
    """The responsibility list."""
    milestones: MilestoneSpec
    """Milestones with planned dates."""
    progress: ProgressSpec
    """Progress reports against the milestones."""
    funding_needs: AmountSpec | None = None
    """The funding-needs list, whose total the dashboard sets beside the allocation."""
    supervision: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """The forms of supervision records (sheets on the project), shown on the dashboard."""
    follow_up: FollowUpSpec
    """Follow-up actions set by supervision, tracked to closure."""
    overdue: Overdue
    """What happens when a milestone passes its planned date unreported."""
    escalations: tuple[Escalation, ...] = ()
    """Rules checked every `minsheng tick`: a project meeting one goes on the watch list or its
    roles are told, once, until it no longer meets it."""
    roles: DeliveryRoles
    """Who sees what."""
    public: bool = False
    """True: anyone, without signing in, sees the public projects page: every project of the
    year by township with its unit, money, progress and rating, each opening its whole chain."""
