"""The count of a differential ballot: both ballot methods, the three majority bases, quorum,
invalid ballots, ties at the last place with each tie-break, and each shortfall rule."""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine.profile.loader import load_profile
from engine.schema.votes import Majority
from engine.lang.vote_count import CountError, candidates_problem, count
from tests.conftest import CONFIG

SANGZHI = load_profile(CONFIG).votes["township_congress"]
A, B, C, D = "101", "102", "103", "104"


def rules(**changes):
    return SANGZHI.model_copy(update=changes)


def approve(*ids):
    return {c: "yes" for c in ids}


def test_candidate_list_rules():
    assert candidates_problem(SANGZHI, places=10, candidates=11) is None
    assert candidates_problem(SANGZHI, places=10, candidates=10) == {
        "code": "too_few_candidates", "needed": 11, "candidates": 10, "places": 10}
    ratio = rules(candidates=SANGZHI.candidates.model_copy(update={"ratio": Decimal("1.2"), "extra": None}))
    assert candidates_problem(ratio, places=10, candidates=11)["needed"] == 12  # 12 for 10, as in practice
    assert candidates_problem(ratio, places=12, candidates=15) is None  # 15 for 12
    both = rules(candidates=SANGZHI.candidates.model_copy(update={"ratio": Decimal("1.2"), "extra": 3}))
    assert candidates_problem(both, places=10, candidates=12)["needed"] == 13  # 13 for 10
    assert candidates_problem(SANGZHI, places=0, candidates=3) == {"code": "no_places"}


def test_approve_and_rank_more_than_half_of_all_members():
    # 9 deputies in the congress, 8 present and voting; 2 places among 3 candidates
    ballots = [approve(A, B)] * 4 + [approve(A, C)] * 3 + [approve(B)]
    result = count(SANGZHI, [A, B, C], places=2, members=9, present=8, ballots=ballots)
    assert result.base == 9 and result.threshold == Decimal("4.5")
    assert result.chosen == (A, B)
    lines = {line.candidate: line for line in result.lines}
    assert (lines[A].tally.yes, lines[A].rank, lines[A].passed) == (7, 1, True)
    assert lines[A].reason == "获得赞成票 7 票，超过全体代表 9 人的半数，排第 1 位，当选"
    assert lines[B].reason == "获得赞成票 5 票，超过全体代表 9 人的半数，排第 2 位，当选"
    assert lines[C].reason == "获得赞成票 3 票，未超过全体代表 9 人的半数，未当选"
    assert not result.notes and result.empty_places == 0


@pytest.mark.parametrize("base, expected_base, chosen", [
    ("all_members", 12, (A,)),        # B's 6 of 12 is not more than half
    ("present", 10, (A, B)),          # 6 of 10 present is
    ("valid_ballots", 9, (A, B)),     # one invalid ballot: 6 of 9 valid
])
def test_the_three_majority_bases(base, expected_base, chosen):
    ballots = [approve(A, B)] * 6 + [approve(A)] * 2 + [approve(C)] + [approve(A, B, C)]  # last: too many marks
    r = rules(majority=Majority(more_than="1/2", of=base), shortfall="leave_empty")
    result = count(r, [A, B, C], places=2, members=12, present=10, ballots=ballots)
    assert result.base == expected_base
    assert result.chosen == chosen
    assert result.invalid == {"too_many_marks": 1} and result.valid == 9


def test_quorum_not_met_refuses_to_count():
    with pytest.raises(CountError) as info:
        count(SANGZHI, [A, B], places=1, members=30, present=19, ballots=[])
    assert info.value.code == "no_quorum"
    assert count(SANGZHI, [A, B], places=1, members=30, present=20, ballots=[approve(A)] * 20).chosen == (A,)


def test_invalid_ballots_are_counted_apart():
    ballots = [approve(A), approve(A, B), {A: "maybe"}, {"999": "yes"}, approve(A)]
    result = count(SANGZHI, [A, B, C], places=1, members=5, present=5, ballots=ballots)
    assert result.invalid == {"too_many_marks": 1, "unknown_mark": 1, "unknown_candidate": 1}
    assert result.valid == 2 and result.ballots == 5


def test_yes_no_abstain_per_candidate():
    r = rules(method="yes_no_abstain", majority=Majority(more_than="1/2", of="present"))
    ballots = ([{A: "yes", B: "no", C: "yes"}] * 3 + [{A: "yes", B: "yes", C: "abstain"}] * 2
               + [{A: "no", B: "yes"}] + [{A: "yes", B: "yes", C: "yes"}])  # last: 3 yes for 2 places
    result = count(r, [A, B, C], places=2, members=7, present=7, ballots=ballots)
    tallies = {line.candidate: line.tally for line in result.lines}
    assert (tallies[A].yes, tallies[A].no, tallies[A].abstain) == (5, 1, 0)
    assert (tallies[B].yes, tallies[B].no) == (3, 3)
    assert (tallies[C].yes, tallies[C].abstain) == (3, 3)  # unmarked counts as abstaining
    assert result.invalid == {"too_many_marks": 1}
    assert result.chosen == (A,)  # 3 of 7 present is not more than half


def test_tie_at_the_last_place_goes_to_a_runoff():
    ballots = [approve(A, B)] * 4 + [approve(A, C)] * 4 + [approve(B, C)]  # A 8, B 5, C 5 of 9
    result = count(SANGZHI, [A, B, C], places=2, members=9, present=9, ballots=ballots)
    assert result.chosen == (A,)
    assert (result.runoff, result.runoff_places) == ((B, C), 1)
    line = next(x for x in result.lines if x.candidate == B)
    assert line.tied and not line.chosen
    assert line.reason.endswith("，与其他 2 个项目得票相同，需另行投票决定")
    # the run-off is a ballot of its own, counted the same way
    runoff = count(SANGZHI, [B, C], places=1, members=9, present=9, ballots=[approve(B)] * 6 + [approve(C)] * 3)
    assert runoff.chosen == (B,)


def test_tie_decided_by_the_presidium():
    r = rules(tie_break="presidium")
    ballots = [approve(A, B)] * 4 + [approve(A, C)] * 4 + [approve(B, C)]
    pending = count(r, [A, B, C], places=2, members=9, present=9, ballots=ballots)
    assert pending.chosen == (A,) and pending.runoff == (B, C)  # awaiting the presidium's decision
    decided = count(r, [A, B, C], places=2, members=9, present=9, ballots=ballots, presidium_choice=[C])
    assert decided.chosen == (A, C) and not decided.runoff
    with pytest.raises(CountError):
        count(r, [A, B, C], places=2, members=9, present=9, ballots=ballots, presidium_choice=[A])


@pytest.mark.parametrize("shortfall, further, empty", [
    ("leave_empty", ((), 0), 2),
    ("from_reserve", ((), 0), 2),
    ("further_ballot", ((B, C, D), 2), 0),
])
def test_each_shortfall_rule(shortfall, further, empty):
    ballots = [approve(A, B, C)] * 3 + [approve(A, D)] * 2 + [approve(B)]
    result = count(rules(shortfall=shortfall, max_marks=3), [A, B, C, D], places=3, members=9, present=9,
                   ballots=ballots)
    assert result.chosen == (A,)
    assert (result.further, result.further_places) == further
    assert result.empty_places == empty
    assert result.notes == ("应选 3 个项目，得票过半数的只有 1 个，尚缺 2 个",)


def test_recount_gives_the_same_result():
    ballots = [approve(A, B)] * 5 + [approve(C)] * 4
    first = count(SANGZHI, [A, B, C], places=2, members=9, present=9, ballots=ballots)
    again = count(SANGZHI, [A, B, C], places=2, members=9, present=9, ballots=list(reversed(ballots)))
    assert first == again
