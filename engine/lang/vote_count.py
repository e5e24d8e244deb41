"""The count of one ballot round: who passed, who is chosen, and why, in the profile's words.

Pure: it takes the stored ballots and the numbers of the session and returns the result, so
anyone with access can recount from the stored ballots and get the same result. A candidate
passes with approvals strictly above (or at least, as the profile says) the share of the base;
passing candidates are ranked by approvals and fill the places; a tie straddling the last place
is left to a run-off or to the presidium; a shortfall is handled as the profile says.
"""
from __future__ import annotations

import math
import string
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Mapping, Sequence

from engine.schema.votes import Share, VoteRules
from engine.kernel.errors import MinshengError
from engine.lang.vote_methods import METHODS, Tally


class CountError(MinshengError):
    """The count cannot be made (no quorum, or a presidium decision that does not fit the tie)."""

    def __init__(self, code: str, **params):
        self.code, self.params = code, params
        super().__init__(f"{code}: {params}")


@dataclass(frozen=True)
class Line:
    candidate: str
    tally: Tally
    passed: bool
    rank: int | None  # among the passing candidates, 1 = most approvals; ties share a rank
    chosen: bool
    tied: bool
    reason: str


@dataclass(frozen=True)
class Result:
    places: int
    members: int
    present: int
    ballots: int
    valid: int
    invalid: dict[str, int]  # reason code -> ballots
    base: int
    threshold: Decimal  # approvals must be above (or at least) this
    lines: tuple[Line, ...]
    chosen: tuple[str, ...]
    runoff: tuple[str, ...] = ()  # candidates of the run-off the tie calls for
    runoff_places: int = 0
    further: tuple[str, ...] = ()  # candidates of a further ballot for places left empty
    further_places: int = 0
    empty_places: int = 0
    notes: tuple[str, ...] = field(default=())
    budget: Decimal | None = None  # places_by: budget: the money the places could take
    spent: Decimal | None = None  # of it, the chosen projects' costs
    passed_over: tuple[str, ...] = ()  # passed, but cost more than was left


def quorum_met(rules: VoteRules, members: int, present: int) -> bool:
    return _meets(rules.quorum, present, members)


def closing_early(rules: VoteRules, members: int, present: int, voted: int) -> bool:
    """Whether closing now would end the vote with fewer voters than the quorum asks of those
    present, or before most deputies present have voted: the chair must then say why."""
    return not quorum_met(rules, members, voted) or voted * 2 <= present


def _meets(share: Share, count: int, base: int) -> bool:
    if share.more_than is not None:
        return count > share.more_than * base  # Fractions: exact, e.g. 2/3 of 30 is 20
    return count >= share.at_least * base


def candidates_problem(rules: VoteRules, places: int, candidates: int) -> dict | None:
    """Why a list of `candidates` for `places` cannot go to the vote, or None. The params name the
    minimum, so the message can say how many are missing."""
    needed = places + 1  # a differential ballot always has more candidates than places
    if rules.candidates.ratio is not None:
        needed = max(needed, math.ceil(rules.candidates.ratio * places))
    if rules.candidates.extra is not None:
        needed = max(needed, places + rules.candidates.extra)
    if places < 1:
        return {"code": "no_places"}
    if candidates < needed:
        return {"code": "too_few_candidates", "needed": needed, "candidates": candidates, "places": places}
    return None


def max_yes(rules: VoteRules, places: int) -> int:
    return places if rules.max_marks == "places" else rules.max_marks


def sanity_problem(candidates: Sequence[str], places: int, members: int, present: int, ballots: int) -> dict | None:
    """Numbers no real session can have: the count refuses them rather than decide on them."""
    if members < 1 or present < 0:
        return {"code": "impossible_numbers", "members": members, "present": present}
    if present > members:
        return {"code": "present_over_members", "present": present, "members": members}
    if ballots > present:
        return {"code": "ballots_over_present", "ballots": ballots, "present": present}
    if places < 1:
        return {"code": "no_places"}
    if len(set(candidates)) != len(candidates):
        return {"code": "duplicate_candidate"}
    if places > len(candidates):
        return {"code": "places_over_candidates", "places": places, "candidates": len(candidates)}
    return None


def count(rules: VoteRules, candidates: Sequence[str], places: int, members: int, present: int,
          ballots: Sequence[Mapping[str, str]], presidium_choice: Sequence[str] | None = None,
          budget: Decimal | None = None, costs: Mapping[str, Decimal] | None = None,
          weights: Sequence[int] | None = None) -> Result:
    """The count. With `places_by: budget`, `budget` is the money the places may take and `costs`
    each candidate's cost. With `weights` (a weighted vote), each ballot counts as that many
    votes, and `members` and `present` are votes too."""
    if weights is not None and (len(weights) != len(ballots) or any(w < 1 for w in weights)):
        raise CountError("bad_weight")
    weight_of = (lambda n: 1) if weights is None else (lambda n: weights[n])  # noqa: E731
    cast = sum(weight_of(n) for n in range(len(ballots)))
    if problem := sanity_problem(candidates, places, members, present, cast):
        raise CountError(problem.pop("code"), **problem)
    if not quorum_met(rules, members, present):
        raise CountError("no_quorum", members=members, present=present)
    by_budget = rules.places_by == "budget"
    if by_budget and (budget is None or costs is None or any(costs.get(c) is None for c in candidates)):
        missing = [c for c in candidates if costs is None or costs.get(c) is None]
        raise CountError("no_budget" if budget is None else "no_cost", candidates=", ".join(missing))
    method = METHODS[rules.method]
    allowed = max_yes(rules, places)
    invalid: dict[str, int] = {}
    valid_ballots, valid_weights = [], []
    for n, marks in enumerate(ballots):
        why = method.invalid(marks, candidates, allowed, rules.min_marks, rules.marks_counted)
        if why:
            invalid[why] = invalid.get(why, 0) + weight_of(n)
        else:
            valid_ballots.append(marks)
            valid_weights.append(weight_of(n))
    tallies = method.tally(valid_ballots, candidates, None if weights is None else valid_weights)
    valid = sum(valid_weights)
    fixed = {"all_members": members, "present": present, "valid_ballots": valid, "cast_ballots": cast}
    share = rules.majority.more_than if rules.majority.more_than is not None else rules.majority.at_least

    def base_of(c: str) -> int:  # yes_and_no: each candidate's own yes and no marks
        return fixed[rules.majority.of] if rules.majority.of in fixed else tallies[c].yes + tallies[c].no

    def threshold_of(base: int) -> Decimal:
        return Decimal(share.numerator * base) / Decimal(share.denominator)

    base = fixed.get(rules.majority.of, 0)
    threshold = threshold_of(base)
    passing = sorted((c for c in candidates if _meets(rules.majority, tallies[c].yes, base_of(c))),
                     key=lambda c: (-tallies[c].yes, candidates.index(c)))
    ranks = {c: 1 + sum(1 for o in passing if tallies[o].yes > tallies[c].yes) for c in passing}

    skipped: dict[str, Decimal] = {}
    left = budget
    if by_budget:
        chosen, tied, runoff, runoff_places, left, skipped = _choose_within_budget(
            rules, passing, tallies, places, budget, costs, presidium_choice)
    else:
        chosen, tied, runoff, runoff_places = _choose_by_count(rules, passing, tallies, places, presidium_choice)

    further, further_places, empty = (), 0, 0
    notes = []
    if len(passing) < places and not by_budget:
        missing = places - len(passing)
        if rules.shortfall == "further_ballot":
            further, further_places = tuple(c for c in candidates if c not in passing), missing
        else:
            empty = missing
        notes.append(_fill(rules.reasons.shortfall, {"places": places, "passed": len(passing), "missing": missing}))

    values = {"base_label": rules.base_labels.get(rules.majority.of, rules.majority.of),
              "places": places, "candidates": len(candidates), "tied": len(tied)}
    if by_budget:
        values.update(budget=_money(budget), left=_money(left))
    lines = []
    for c in candidates:
        t = tallies[c]
        here = dict(values, approvals=t.yes, rank=ranks.get(c, ""), base=base_of(c),
                    threshold=_plain(threshold_of(base_of(c))))
        if by_budget:
            here.update(cost=_money(costs[c]), left=_money(skipped.get(c, left)))
        ok = c in passing
        reason = _fill(rules.reasons.passed if ok else rules.reasons.failed, here)
        if ok and c in tied and c not in chosen:
            reason += _fill(rules.reasons.tie, here)
        elif ok and c in skipped:
            reason += _fill(rules.reasons.over_budget or "", here)
        elif ok:
            reason += _fill(rules.reasons.chosen if c in chosen else rules.reasons.not_chosen, here)
        lines.append(Line(c, t, ok, ranks.get(c), c in chosen, c in tied, reason))
    return Result(places=places, members=members, present=present, ballots=cast, valid=valid,
                  invalid=invalid, base=base, threshold=threshold, lines=tuple(lines), chosen=tuple(chosen),
                  runoff=runoff, runoff_places=runoff_places, further=further, further_places=further_places,
                  empty_places=empty, notes=tuple(notes), budget=budget,
                  spent=None if budget is None else budget - left, passed_over=tuple(skipped))  # in rank order


def _choose_by_count(rules: VoteRules, passing: list[str], tallies: Mapping[str, Tally], places: int,
                     presidium_choice: Sequence[str] | None) -> tuple[list, list, tuple, int]:
    chosen, tied, runoff, runoff_places = list(passing[:places]), [], (), 0
    if len(passing) > places and tallies[passing[places - 1]].yes == tallies[passing[places]].yes:
        last = tallies[passing[places - 1]].yes
        tied = [c for c in passing if tallies[c].yes == last]
        above = [c for c in passing if tallies[c].yes > last]
        open_places = places - len(above)
        if rules.tie_break == "presidium" and presidium_choice is not None:
            if len(presidium_choice) != open_places or any(c not in tied for c in presidium_choice):
                raise CountError("presidium_choice_bad", places=open_places, tied=tied)
            chosen = above + list(presidium_choice)
        else:  # a run-off among the tied (or the presidium has yet to decide)
            chosen = above
            runoff, runoff_places = tuple(tied), open_places
    return chosen, tied, runoff, runoff_places


def _choose_within_budget(rules: VoteRules, passing: list[str], tallies: Mapping[str, Tally], places: int,
                          budget: Decimal, costs: Mapping[str, Decimal], presidium_choice: Sequence[str] | None):
    """By rank while the money lasts (CONSUL's rule): a project costing more than is left is passed
    over, and a cheaper one below it may still be chosen. Candidates tied on approvals that cannot
    all be taken (money or places) go to the tie-break, among those each of which would fit."""
    chosen: list[str] = []
    skipped: dict[str, Decimal] = {}  # passed over, with the money that was left then
    tied: list[str] = []
    left = budget
    groups: list[list[str]] = []
    for c in passing:
        if groups and tallies[groups[-1][0]].yes == tallies[c].yes:
            groups[-1].append(c)
        else:
            groups.append([c])
    for group in groups:
        room = places - len(chosen)
        if room <= 0:
            break
        fits = [c for c in group if costs[c] <= left]
        skipped.update({c: left for c in group if c not in fits})
        if not fits:
            continue
        if len(fits) <= room and sum(costs[c] for c in fits) <= left:
            chosen.extend(fits)
            left -= sum(costs[c] for c in fits)
            continue
        tied = fits
        if rules.tie_break == "presidium" and presidium_choice is not None:
            if not presidium_choice or any(c not in fits for c in presidium_choice) or len(presidium_choice) > room \
                    or sum(costs[c] for c in presidium_choice) > left:
                raise CountError("presidium_choice_bad", places=room, tied=fits)
            chosen.extend(presidium_choice)
            left -= sum(costs[c] for c in presidium_choice)
            continue
        return chosen, tied, tuple(fits), room, left, skipped  # the rest waits for the run-off
    return chosen, tied, (), 0, left, skipped


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _plain(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return str(value.quantize(Decimal("0.01"))).rstrip("0").rstrip(".")


class _Blank(dict):
    def __missing__(self, key):
        return ""


def _fill(template: str, values: Mapping) -> str:
    return string.Formatter().vformat(template, (), _Blank({k: str(v) for k, v in values.items()}))
