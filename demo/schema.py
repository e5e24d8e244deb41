"""demo.yaml: the size and accounts of the demo year that `minsheng demo` seeds."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field

from engine.profile.loader import Profile
from engine.schema.base import ConfigModel, Identifier


class DemoAccount(ConfigModel):
    username: Identifier
    """The name to sign in with."""
    display_name: str
    """The name shown in the app."""
    roles: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """Role ids from county.yaml."""
    township: Identifier | None = None
    """For staff of one township: its id."""
    groups: tuple[Identifier, ...] = ()
    """Groups of county.yaml the person belongs to (a supervision group's member)."""
    password: Annotated[str, Field(min_length=4)]
    """The demo password (change it before real use)."""


class DemoBand(ConfigModel):
    count: Annotated[int, Field(ge=0)]
    """How many suggestions get marks in these ranges."""
    marks: dict[Identifier, tuple[Decimal, Decimal]]
    """Score sheet field -> [lowest, highest] mark every member gives."""
    step: Annotated[Decimal, Field(gt=0)] = Decimal(1)
    """The smallest difference between two marks: 1 for whole marks, 0.5 for half marks (the
    sheet's fields must then be number fields, not scores)."""


class DemoAnswers(ConfigModel):
    sheet: Identifier
    """The sheet that records an answer (the workflow lists it as `awaited`)."""
    values: Annotated[tuple[dict[Identifier, Any], ...], Field(min_length=1)]
    """Field values of the answers, used in turn (a letter, a call with its note ...)."""


class DemoScreening(ConfigModel):
    action: Identifier
    """The workflow action that screens (taken for every suggestion, as `minsheng act` does)."""
    sheet: Identifier
    """The score sheet members file."""
    members: Annotated[tuple[dict[Identifier, Any], ...], Field(min_length=1)]
    """One score sheet per entry for every suggestion: its fixed values (the member's kind ...)."""
    bands: Annotated[tuple[DemoBand, ...], Field(min_length=1)]
    """Groups of suggestions and the marks they get; the rules decide what the marks mean."""
    duplicates: Annotated[int, Field(ge=0)] = 0
    """Suggestions entered as duplicates of ones in the first band, and merged into them."""
    answers: DemoAnswers | None = None
    """Answers to the proposers of every suggestion that needs one."""


class DemoReview(ConfigModel):
    sheet: Identifier
    """The opinion sheet of the review panel."""
    opinions: Annotated[tuple[dict[Identifier, Any], ...], Field(min_length=1)]
    """The opinions filed on every reviewed project (one per department, say)."""
    action: Identifier
    """The workflow action that records the decision."""
    values: dict[Identifier, Any]
    """The action form's values; {n} in a text is replaced by a running number."""
    cost_field: Identifier | None = None
    """A money field of the action form given a random amount ..."""
    cost_range: tuple[int, int] = (1, 1)
    """... between these amounts, in yuan."""


class DemoVote(ConfigModel):
    vote: Identifier
    """The vote (votes/*.yaml) each township congress holds."""
    deputies_per_township: Annotated[int, Field(ge=1)]
    """How many deputies each township congress has (entered in the roster form)."""
    present: Annotated[int, Field(ge=0, le=100)] = 90
    """Percent of deputies present at the session; the rest are on leave."""
    approval: Annotated[int, Field(ge=0, le=100)] = 85
    """Percent chance a present deputy approves each of this year's candidates."""
    carried_over: Annotated[int, Field(ge=0)] = 1
    """Projects per township left in the reserve pool from the previous year, reviewed again and
    put on this year's ballot (so every ballot has more candidates than places)."""
    accounts: dict[Identifier, Identifier] = {}
    """Demo accounts that sit on a township's roster: township id -> username."""
    ties: Annotated[int, Field(ge=0)] = 0
    """In this many townships (the first ones with at least two places), the deputies' votes are
    arranged so that two candidates tie at the last place, both passing: the vote's tie-break
    then decides (a run-off ballot, or the presidium's choice), as it would at a real session."""


class DemoContribution(ConfigModel):
    source: Identifier
    """The pool's source."""
    amount: Annotated[Decimal, Field(gt=0)]
    """Yuan."""


class DemoPayment(ConfigModel):
    payee: str
    """Who the demo payments go to."""
    purpose: str
    """What they pay for."""
    approver: str
    """Who approved them."""
    document_ref: str
    """The voucher reference; {n} is the project's record number."""


class DemoFunds(ConfigModel):
    fund: Identifier
    """The fund pool (funds/*.yaml)."""
    contributions: Annotated[tuple[DemoContribution, ...], Field(min_length=1)]
    """Money put into the year's pool; it is all allocated to the chosen projects, in proportion
    to their estimated costs."""
    cost_field: Identifier
    """The value of the review decision that holds a project's estimated cost."""
    paid: tuple[int, int] = (20, 60)
    """Each project has been paid between these percentages of its allocation so far."""
    payment: DemoPayment
    """The words of the demo's payments."""


class DemoMilestone(ConfigModel):
    name: str
    """The milestone's name."""
    due: Annotated[str, Field(pattern=r"^\d\d-\d\d$")]
    """Its planned date in the demo year, as MM-DD."""
    percent: Annotated[int, Field(ge=0, le=100)]
    """The progress reported when it is reached."""


class DemoOutcomes(ConfigModel):
    on_time: Annotated[int, Field(ge=0, le=100)]
    """Percent of projects reaching every milestone on time."""
    late: Annotated[int, Field(ge=0, le=100)]
    """Percent reaching them, some late (10 to 45 days)."""
    behind: Annotated[int, Field(ge=0, le=100)]
    """Percent still behind: only the first milestone reached."""


class DemoStep(ConfigModel):
    action: Identifier
    """A workflow action."""
    values: dict[Identifier, Any] = {}
    """Its form's values."""


class DemoDelivery(ConfigModel):
    delivery: Identifier
    """The delivery rules (delivery/*.yaml)."""
    listing: dict[Identifier, Any]
    """The responsibility list's values; {township} is the township's name, {group} the id of one of
    county.yaml's groups, each project the next group in turn."""
    duty_form: Identifier | None = None
    """The form of department responsibility entries ..."""
    duties: tuple[dict[Identifier, Any], ...] = ()
    """... filed on every project."""
    needs: tuple[dict[Identifier, Any], ...] = ()
    """Funding-needs items; an amount is a percentage of the project's allocation."""
    milestones: Annotated[tuple[DemoMilestone, ...], Field(min_length=1)]
    """The milestones every project gets."""
    outcomes: DemoOutcomes
    """How the projects fare."""
    report: dict[Identifier, Any]
    """Other values of progress reports; {milestone} in a text is the milestone reached."""
    acceptance: dict[Identifier, Any]
    """The acceptance form's values for completed projects; {date} in a text is the day."""
    complete_action: Identifier
    """The workflow action that records the acceptance."""
    start_action: Identifier
    """The workflow action that starts the works."""
    final_payment: str
    """The purpose of the final payment to completed projects (the rest of their allocation)."""
    supervision: tuple[dict[Identifier, Any], ...] = ()
    """Supervision records, filed on projects in turn."""
    follow_ups: tuple[dict[Identifier, Any], ...] = ()
    """Follow-up actions set by supervision; every other one is closed by `close_steps`, the rest
    are left open."""
    close_steps: tuple[DemoStep, ...] = ()
    """The follow-up workflow's actions that close one, in order."""


class DemoEvaluation(ConfigModel):
    sheet: Identifier
    """The rating form (a sheet on the projects)."""
    rater_field: Identifier
    """Its field naming the deputy (filled with names from `people`)."""
    rating_field: Identifier
    """Its field holding the rating."""
    raters: Annotated[int, Field(ge=1)]
    """How many deputies rate each project."""
    good: Annotated[tuple[str, ...], Field(min_length=1)]
    """Ratings a well-delivered project draws from."""
    poor: Annotated[tuple[str, ...], Field(min_length=1)]
    """Ratings a poorly delivered project draws from."""
    values: tuple[dict[Identifier, Any], ...] = ({},)
    """Other values of the ratings, taken in turn (the channel ...)."""
    poorly_rated: Annotated[int, Field(ge=0)]
    """How many completed projects are rated poorly."""
    action: Identifier
    """The workflow action that counts the ratings ..."""
    action_values: dict[Identifier, Any] = {}
    """... and its form's values, if it has a form ({date} in a text: the day)."""
    order: DemoStep
    """The sheet (action = its form) ordering the rectification, with its values."""
    rectified: Annotated[int, Field(ge=0)]
    """How many of the poorly rated projects report the rectification done and are rated again."""
    report: DemoStep
    """The action reporting the rectification done, with its form's values."""
    left_to_rate: Annotated[int, Field(ge=0)] = 0
    """Completed projects, of the township of a demo account that may rate, left unrated: the
    demo's own deputy finds them on the start page."""


class DemoCalendar(ConfigModel):
    """When each stage of the demo year happens: the records, audit rows and ballots carry these
    dates (suggestions and sessions carry their own)."""

    screening: dt.date
    """Screening (last year's carried-over suggestions are screened on their own day)."""
    answers: dt.date
    """Answers to the proposers not admitted."""
    review: dt.date
    """Pre-review."""
    vote: dt.date
    """The township congresses' ballots."""
    funds: dt.date
    """Money into the pool and allocated."""
    delivery: dt.date
    """Responsibility lists filed and works started (reports carry their own dates)."""
    evaluation: dt.date
    """The deputies' rating (rectification follows from it)."""


class Demo(ConfigModel):
    seed: int = 1
    """Everything random in the demo is drawn from this number: the same seed, the same demo."""
    offline_sessions: Annotated[int, Field(ge=0)]
    """How many offline sessions to record, spread over every station."""
    suggestions: Annotated[int, Field(ge=0)]
    """How many suggestions to enter, spread over every township."""
    session_form: Identifier
    """The form offline sessions are recorded with."""
    suggestion_form: Identifier
    """The form suggestions are entered with."""
    accounts: tuple[DemoAccount, ...] = ()
    """Accounts to create for trying the app."""
    suggestion_samples: Annotated[tuple[dict[Identifier, Any], ...], Field(min_length=1)]
    """Field values that demo suggestions are drawn from (title, content, category ...)."""
    session_samples: tuple[dict[Identifier, Any], ...] = ()
    """Field values that demo sessions are drawn from (place, notes ...)."""
    phone_template: str = "{:011d}"
    """How demo phone numbers are written: a Python format for an 8-digit number, e.g. 139{:08d}."""
    online_share: Annotated[int, Field(ge=0, le=100)] = 40
    """Percent of demo suggestions that come in online; the rest are raised at sessions."""
    people: Annotated[tuple[str, ...], Field(min_length=1)]
    """Names given to demo proposers and deputies."""
    screening: DemoScreening | None = None
    """Score, merge, screen and answer the demo suggestions."""
    review: DemoReview | None = None
    """Review every suggestion the screening admitted."""
    vote: DemoVote | None = None
    """Hold each township congress's differential ballot on its candidates."""
    funds: DemoFunds | None = None
    """Fund the chosen projects from the year's pool."""
    calendar: DemoCalendar | None = None
    """When each stage happens; without it everything is stamped with today."""
    delivery: DemoDelivery | None = None
    """Deliver and supervise the chosen projects."""
    evaluation: DemoEvaluation | None = None
    """The deputies rate the completed projects; some are rectified."""
    next_suggestions: Annotated[int, Field(ge=0)] = 0
    """Suggestions of the next year's intake, entered after the demo year in the township of the
    demo's screening account and left unscreened: that account (and its liaison staff) find them
    on the start page."""


DEMO_FILE_NAME = "demo.yaml"


def demo_of(profile: Profile) -> Demo | None:
    """The profile's demo year, if it has a demo.yaml."""
    return profile.extras.get(DEMO_FILE_NAME)
