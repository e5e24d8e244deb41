"""votes/*.yaml: how a congress votes on its candidate projects (the differential ballot).

One file per kind of vote (e.g. a township people's congress choosing its livelihood
projects). It declares the ballot method, the rule for how many candidates a ballot needs, the
majority and its base, the quorum, what makes a ballot invalid, and what happens on a tie at the
last place or when fewer projects pass than there are places. The words of the result come from
`reasons`, with {placeholders}, so a citizen reads the count in the county's language.
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer, PlainValidator, WithJsonSchema, model_validator

from engine.schema.base import ConfigModel, Identifier, KeyProblem, Labelled

Base = Literal["all_members", "present", "valid_ballots", "cast_ballots", "yes_and_no"]


class CandidateRule(ConfigModel):
    ratio: Annotated[Decimal, Field(gt=1)] | None = None
    """At least this many candidates per place, e.g. 1.2 (12 candidates for 10 places)."""
    extra: Annotated[int, Field(ge=1)] | None = None
    """At least this many candidates more than places, e.g. 2."""

    @model_validator(mode="after")
    def _one_at_least(self):
        if self.ratio is None and self.extra is None:
            raise KeyProblem("ratio", "give `ratio`, `extra`, or both (both must then hold)")
        return self


def _portion(value):
    """A share written as a fraction ("2/3"), a percentage ("50%") or a number (0.5), kept exact:
    two thirds of 30 deputies is 20, not 20.001."""
    if isinstance(value, Fraction):
        return value
    text = str(value).strip()
    try:
        share = Fraction(text[:-1]) / 100 if text.endswith("%") else Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"expected a share such as 1/2, 2/3, 50% or 0.5, got {value!r}") from None
    if not 0 <= share <= 1:
        raise ValueError(f"a share lies between 0 and 1, got {value!r}")
    return share


Portion = Annotated[Fraction, PlainValidator(_portion), PlainSerializer(str),
                    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
                                              {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(/\s*\d+|%)?\s*$"}]})]


class Share(ConfigModel):
    more_than: Portion | None = None
    """Strictly more than this share: 1/2 (more than half), 50%, or 0.5."""
    at_least: Portion | None = None
    """This share or more, e.g. 2/3 (two thirds)."""

    @model_validator(mode="after")
    def _exactly_one(self):
        if (self.more_than is None) == (self.at_least is None):
            raise KeyProblem("more_than", "give exactly one of `more_than` and `at_least`")
        return self


class Majority(Share):
    of: Base
    """The base the share is of: all_members (every deputy of the congress), present (deputies
    present at the session), valid_ballots (valid ballots cast), cast_ballots (every ballot cast,
    invalid ones included), or yes_and_no (for each candidate, its yes and no marks: abstentions
    left out)."""


class Quorum(Share):
    """Deputies present, as a share of all members of the congress."""


class Reasons(ConfigModel):
    """The words of the result, each with {placeholders}: {approvals}, {base}, {base_label},
    {threshold}, {rank}, {places}, {candidates}, {tied}; `shortfall` has {places}, {passed} and
    {missing}."""

    passed: str
    """A candidate approved by the majority, e.g. "{approvals} votes, more than half of the {base} {base_label}"."""
    failed: str
    """A candidate without the majority."""
    chosen: str
    """Added to `passed` for a candidate within the places."""
    not_chosen: str
    """Added to `passed` for a candidate beyond the places."""
    tie: str
    """Added for candidates tied at the last place."""
    shortfall: str
    """Said of the whole result when fewer candidates passed than there are places."""
    over_budget: str | None = None
    """Added for a passing candidate passed over because its cost is more than the money left
    (`places_by: budget`), with {cost}, {left} and {budget}."""


class VoteRoles(ConfigModel):
    presidium: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """Roles that set up a ballot, fix its candidates and roster, open, close and count it."""
    tellers: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """Roles that enter paper ballots (each checked by a second teller)."""
    voters: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """Roles that vote electronically (deputies on the round's roster, present)."""


class RosterSource(ConfigModel):
    form: Identifier
    """The form whose records list the deputies (one record per deputy, with a township field)."""
    account: Identifier
    """Its field holding the deputy's account, for voting in the app (may be empty: paper only)."""
    name: Identifier
    """Its field holding the deputy's name."""
    votes_in: Identifier | None = None
    """Its field (a township) naming the township whose ballots the deputy votes in, when that is
    not the township the record is filed under: a street without a congress of its own votes
    through a deputies' group or delegation fixed for it, whose members may be recorded elsewhere.
    Left out: the deputies filed under the ballot's township."""
    weight: Identifier | None = None
    """Its field holding how many votes the deputy's ballot carries (a weighted vote, e.g. a
    delegation voting with its size); without it every ballot carries one. With weights every
    count of the vote (members, present, ballots, approvals) counts votes, and the vote is
    electronic only."""


class VoteRules(Labelled):
    id: Identifier
    """Short code of the vote; must match the file name."""
    form: Identifier
    """The form of the records voted on (the suggestions that became candidates)."""
    candidate_states: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """States a record must be in to be put on the candidate list."""
    method: Identifier
    """The ballot method: approve_and_rank (approve at most `max_marks` candidates; ranked by
    approvals) or yes_no_abstain (yes, no or abstain per candidate)."""
    max_marks: Literal["places"] | Annotated[int, Field(ge=1)] = "places"
    """How many candidates a ballot may approve before it is invalid (too many marks): `places`
    (the number of places), or a number."""
    min_marks: Annotated[int, Field(ge=0)] = 0
    """How many candidates a ballot must mark at least, or it is invalid (too few marks); 0: none."""
    marks_counted: Literal["yes", "any"] = "yes"
    """Which marks count against max_marks and min_marks: yes (approvals only) or any (every
    candidate marked yes, no or abstain, so a yes and an abstain on a one-place ballot are too many)."""
    places_by: Literal["count", "budget"] = "count"
    """count: the places are a number of projects. budget: projects are chosen by rank while the
    round's budget lasts (a project that costs more than is left is passed over for cheaper ones
    below it), and never more than the places."""
    cost_field: Identifier | None = None
    """The field holding a candidate's estimated cost, of the candidate's own form or of
    `cost_sheet`: shown on each deputy's ballot, and with places_by: budget what the places are
    limited by."""
    cost_sheet: Identifier | None = None
    """The sheet form filed on a candidate that holds `cost_field` (e.g. the Party committee's
    decision with the estimated cost); its latest sheet that counts is read."""
    candidates: CandidateRule
    """How many candidates a ballot needs for its places (always more candidates than places)."""
    majority: Majority
    """What a candidate needs to pass, e.g. {more_than: 0.5, of: all_members}."""
    quorum: Quorum
    """How many deputies must be present for the vote to open."""
    tie_break: Literal["runoff", "presidium"]
    """A tie at the last place: a run-off ballot among the tied, or the presidium's decision recorded."""
    shortfall: Literal["leave_empty", "further_ballot", "from_reserve"]
    """Fewer passed than places: leave the places empty, vote again among the rest, or fill them
    from the reserve pool at the next session."""
    base_labels: dict[Base, str]
    """How each base is named in the result, in the county's words."""
    reasons: Reasons
    """The words of the result."""
    roles: VoteRoles
    """Who runs the ballot, who counts paper ballots, who votes."""
    roster: RosterSource
    """Where a ballot's roster comes from: the township congress's deputies."""
    chosen_action: Identifier
    """The workflow action taken (by the system) on each chosen project once the vote is decided."""
    not_chosen_action: Identifier | None = None
    """The action taken on each candidate not chosen (e.g. back to the reserve pool for next year)."""

    @model_validator(mode="after")
    def _budget_needs_its_parts(self):
        if self.places_by == "budget" and self.cost_field is None:
            raise KeyProblem("cost_field", "places_by: budget needs `cost_field`, the candidates' field with their cost")
        if self.places_by == "budget" and self.reasons.over_budget is None:
            raise KeyProblem("reasons", "places_by: budget needs `reasons.over_budget`, said of a project passed over for its cost")
        if self.max_marks != "places" and self.min_marks > self.max_marks:
            raise KeyProblem("min_marks", f"min_marks ({self.min_marks}) is more than max_marks ({self.max_marks})")
        return self
