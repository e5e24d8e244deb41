"""workflows/*.yaml: the states a record moves through and the transitions between them.

In the style of Frappe and OpenSlides, a transition is a row: from which states, by which action,
to which state, by whom, on what condition (an expression, or a decision table's outcome), with
what data (a form). Automatic transitions are taken by `minsheng tick` when their condition holds
or their date has come.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from engine.schema.base import ConfigModel, Identifier, Labelled


# `from: received` and `from: [received, pending]` both mean a tuple of states.
StateList = Annotated[tuple[Identifier, ...], BeforeValidator(lambda v: (v,) if isinstance(v, str) else v)]


class State(Labelled):
    id: Identifier
    """Short code of the state, e.g. received."""
    description: str | None = None
    """What the state means, shown to staff."""
    final: bool = False
    """True if nothing happens to a record after it reaches this state."""
    frozen: bool = False
    """True while rules must not change under a record, e.g. a vote that is open: a record in this
    state keeps its profile version, and `minsheng migrate` will not move it."""


class DecisionRef(ConfigModel):
    rules: Identifier
    """The rule file (in rules/) whose table decides."""
    table: Identifier
    """The table in that file."""
    outcome: str
    """The transition is taken when the table decides this outcome."""


class Transition(ConfigModel):
    label: str | None = None
    """The button people press, in Chinese; transitions sharing an action need it once."""
    label_en: str | None = None
    """The button in English."""
    action: Identifier
    """What people do, e.g. screen; several transitions may share an action, with different conditions."""
    from_: StateList = Field(alias="from")
    """The state, or list of states, the action starts from."""
    to: Identifier
    """The state the record is in afterwards."""
    roles: tuple[Identifier, ...] = ()
    """Roles allowed to take the action (automatic transitions need none)."""
    when: str | None = None
    """A condition on the record's fields that must hold, e.g. beneficiaries >= 100."""
    decision: DecisionRef | None = None
    """A decision table whose outcome must be the one named."""
    form: Identifier | None = None
    """A form whose data the action must collect (a screening score sheet, say)."""
    automatic: bool = False
    """Taken by the system, not a person: when `when` holds, or from `on_date` on."""
    on_date: dt.date | None = None
    """Automatic transitions: the date from which the transition is taken."""
    deadline: Identifier | None = None
    """Automatic transitions: taken when the record's deadline of this name passes."""

    model_config = ConfigModel.model_config | {"populate_by_name": True}


# What a reaction can do, one per reaction; engine.core.reactions.ACTIONS carries them out.
REACTION_ACTIONS = ("transition", "deadline", "notify", "task")


class ReactionDo(ConfigModel):
    """Exactly one thing to do (the registry is engine.core.reactions.ACTIONS)."""

    transition: Identifier | None = None
    """Take this action of the workflow (as the system)."""
    deadline: Identifier | None = None
    """Set a deadline of this name on the record, `days` from now."""
    days: int | None = None
    """With `deadline`: how many days from now."""
    notify: Identifier | None = None
    """Notify this role (written to the audit log for now)."""
    task: Identifier | None = None
    """Open a task of this name on the record, for `role` to do."""
    role: Identifier | None = None
    """With `task`: the role that must do it."""


class Reaction(ConfigModel):
    id: Identifier
    """Short code of the reaction, named in the audit log."""
    event: Literal["submitted", "transition", "deadline"]
    """The event: a form `submitted`, a `transition` taken, a `deadline` passed."""
    name: Identifier
    """Which one: the form id, the action, or the deadline name."""
    count: Annotated[int, Field(ge=1)] = 1
    """How many such events for the same record before it reacts (e.g. three delay reports)."""
    where: str | None = None
    """submitted events: a condition on the submitted form's fields; only events that meet it
    count (e.g. opinion != 'disagree': five agreeing opinions, none against)."""
    when: str | None = None
    """A condition on the record's fields that must hold too."""
    do: ReactionDo
    """What to do."""


class Sheet(ConfigModel):
    form: Identifier
    """The form of the sheet, e.g. a screening score sheet, a department's opinion, an answer."""
    states: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """The states a record must be in for a sheet to be filed on it."""
    roles: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """Roles allowed to file the sheet."""
    one_per: Identifier | None = None
    """A field of the sheet: a later sheet with the same value (the same member, the same
    department) replaces the earlier one in what the rules see; both stay in the history."""
    single: bool = False
    """True if a record has one such sheet: a later one replaces the earlier (a responsibility list)."""
    awaited: bool = False
    """True if every record in these states should get one: records without it are listed as
    waiting (e.g. suggestions not yet answered)."""
    assigns_group: Identifier | None = None
    """A field of the sheet that names one of the county's groups (`type: reference, to: groups`):
    filing the sheet assigns the record to that group (a later sheet assigns it anew)."""
    group_only: bool = False
    """True if, of the accounts that belong to groups, only members of the record's group may file
    this sheet (a supervision record); accounts in no group are not limited by it."""
    person_fields: tuple[Identifier, ...] = ()
    """In the batch grid of sheets, the fields entered once for each person and repeated on
    every record's row: a screening member's name and kind. By default `one_per` alone."""

    def fields_per_person(self) -> tuple[str, ...]:
        return self.person_fields or ((self.one_per,) if self.one_per else ())


class Gather(ConfigModel):
    form: Identifier
    """The sheets (or action forms) filed on the record to read."""
    field: Identifier
    """The field of those sheets whose values, one per sheet, make the list."""
    where: str | None = None
    """Only sheets meeting this condition on their fields, e.g. opinion != 'disagree'."""


class Count(ConfigModel):
    """How many other records, of the same township (or station, or county), are in some states,
    or what a number field of theirs adds up to: a name conditions and rules read, for quotas across
    records (at most 3 projects a township; at most 2 million yuan of projects a township)."""

    states: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """The states counted, e.g. [candidate, chosen]."""
    form: Identifier | None = None
    """The form whose records are counted; by default the record's own form."""
    per: Literal["township", "station", "county"] = "township"
    """Counted among the records of the record's own township, its station, or the whole county."""
    sum: Identifier | None = None
    """A number or money field of the counted records to add up instead of counting them, e.g.
    estimated_cost: the total of the other records' costs (0 when there are none)."""


class Regroup(ConfigModel):
    roles: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """Roles allowed to do it."""
    from_: StateList = Field(alias="from")
    """The state, or list of states, records must be in."""
    to: Identifier
    """The state the merged duplicates (or the split original) go to."""

    model_config = ConfigModel.model_config | {"populate_by_name": True}


class Workflow(Labelled):
    id: Identifier
    """Short code of the workflow; must match the file name."""
    states: Annotated[tuple[State, ...], Field(min_length=1)]
    """Every state a record can be in."""
    initial: Identifier
    """The state a new record starts in."""
    transitions: tuple[Transition, ...] = ()
    """How records move between states. A workflow without transitions only names its states."""
    reactions: tuple[Reaction, ...] = ()
    """What happens by itself when events about a record come together."""
    sheets: tuple[Sheet, ...] = ()
    """Forms filed on a record without moving it: score sheets, opinions, answers."""
    gather: dict[Identifier, Gather] = Field(default_factory=dict)
    """Lists the rules read from the sheets filed on a record: name -> which form and field.
    E.g. necessity: {form: screening_score, field: necessity} gives every member's necessity score."""
    counts: dict[Identifier, Count] = Field(default_factory=dict)
    """Numbers of other records the conditions and rules read: name -> which states, among which
    records. E.g. township_candidates: {states: [candidate], per: township}, then a transition's
    `when: township_candidates < 5` refuses a sixth candidate of a township; with `sum`, a total:
    township_cost: {states: [candidate, chosen], sum: estimated_cost}, then
    `when: township_cost + estimated_cost <= 2000000`. The record itself is never counted."""
    merge: Regroup | None = None
    """Merging duplicates into one record: the duplicates go to `to` and from then on follow the
    record they were merged into, so every proposer hears the outcome."""
    split: Regroup | None = None
    """Splitting a record into several new ones: the original goes to `to` (a final state)."""

    def state(self, state_id: str) -> State | None:
        return next((s for s in self.states if s.id == state_id), None)

    def sheet(self, form_id: str) -> Sheet | None:
        return next((s for s in self.sheets if s.form == form_id), None)

    def late_states(self) -> tuple[str, ...]:
        """States a record is put in because a deadline passed (an automatic transition with a
        `deadline`): a rectification overdue, say. Whoever can act on such a record is alerted."""
        return tuple(dict.fromkeys(t.to for t in self.transitions if t.automatic and t.deadline))

    def roles_acting_in(self, state: str) -> set[str]:
        """Roles that may take a transition from the state or file a sheet in it."""
        return ({r for t in self.transitions if state in t.from_ and not t.automatic for r in t.roles}
                | {r for s in self.sheets if state in s.states for r in s.roles})
