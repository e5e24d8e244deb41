"""Ballot methods: what a ballot holds, when it is invalid, and what it gives each candidate.

A method is a `BallotMethod`; the built-ins register in METHODS as an add-on would, and the
profile names one by its key. A ballot's `marks` map candidate ids to a mark: approve_and_rank
knows only "yes" (approved); yes_no_abstain knows "yes", "no" and "abstain". A candidate left
unmarked counts as an abstention.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Protocol, Sequence

YES, NO, ABSTAIN = "yes", "no", "abstain"


@dataclass(frozen=True)
class Tally:
    yes: int = 0
    no: int = 0
    abstain: int = 0


class BallotMethod(Protocol):
    name: str
    marks: tuple[str, ...]  # the marks a ballot may carry

    def invalid(self, marks: Mapping[str, str], candidates: Sequence[str], max_yes: int,
                min_marks: int = 0, counted: str = "yes") -> str | None:
        """Why the ballot is invalid (a code), or None if it counts. `counted` says which marks
        count against max_yes and min_marks: yes (approvals) or any (every mark given)."""

    def tally(self, ballots: Sequence[Mapping[str, str]], candidates: Sequence[str],
              weights: Sequence[int] | None = None) -> dict[str, Tally]:
        """Each candidate's yes, no and abstain over the valid ballots (each ballot counting its
        weight, 1 unless the vote is weighted)."""


def _common_problems(marks: Mapping[str, str], candidates: Sequence[str], allowed: tuple[str, ...],
                     max_yes: int, min_marks: int, counted: str) -> str | None:
    if any(c not in candidates for c in marks):
        return "unknown_candidate"
    if any(m not in allowed for m in marks.values()):
        return "unknown_mark"
    given = len(marks) if counted == "any" else sum(1 for m in marks.values() if m == YES)
    if given > max_yes:
        return "too_many_marks"  # more marks than allowed: the whole ballot is void
    if given < min_marks:
        return "too_few_marks"
    return None


def _tally(ballots: Sequence[Mapping[str, str]], candidates: Sequence[str],
           weights: Sequence[int] | None = None) -> dict[str, Tally]:
    counts = {c: [0, 0, 0] for c in candidates}
    for n, marks in enumerate(ballots):
        weight = 1 if weights is None else weights[n]
        for c in candidates:
            mark = marks.get(c, ABSTAIN)
            counts[c][0 if mark == YES else 1 if mark == NO else 2] += weight
    return {c: Tally(*v) for c, v in counts.items()}


@dataclass(frozen=True)
class ApproveAndRank:
    """Approve at most N candidates; candidates are ranked by their approvals."""

    name: str = "approve_and_rank"
    marks: tuple[str, ...] = (YES,)

    def invalid(self, marks, candidates, max_yes, min_marks=0, counted="yes"):
        return _common_problems(marks, candidates, self.marks, max_yes, min_marks, counted)

    def tally(self, ballots, candidates, weights=None):
        return _tally(ballots, candidates, weights)


@dataclass(frozen=True)
class YesNoAbstain:
    """Yes, no or abstain for each candidate; more yes marks than allowed voids the ballot."""

    name: str = "yes_no_abstain"
    marks: tuple[str, ...] = (YES, NO, ABSTAIN)

    def invalid(self, marks, candidates, max_yes, min_marks=0, counted="yes"):
        return _common_problems(marks, candidates, self.marks, max_yes, min_marks, counted)

    def tally(self, ballots, candidates, weights=None):
        return _tally(ballots, candidates, weights)


METHODS: dict[str, BallotMethod] = {m.name: m for m in (ApproveAndRank(), YesNoAbstain())}
