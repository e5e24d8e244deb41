"""Vote rules the peers' suites test (OpenSlides' poll bases, CONSUL's budget ballots): a YN base,
cast ballots as the base, a minimum of marks, every mark counting against the maximum, winners
chosen within a money budget, and a count that refuses impossible numbers."""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine.lang.vote_count import CountError, count
from engine.profile.loader import load_profile
from engine.schema.votes import Majority, Reasons
from tests.conftest import CONFIG

SANGZHI = load_profile(CONFIG).votes["township_congress"]
A, B, C, D, E = "101", "102", "103", "104", "105"


def rules(**changes):
    return SANGZHI.model_copy(update=changes)


def yna(**marks):
    return {c: m for c, m in marks.items()}


def approve(*ids):
    return {c: "yes" for c in ids}


def test_a_yes_and_no_base_leaves_abstentions_out():
    r = rules(method="yes_no_abstain", majority=Majority(more_than="1/2", of="yes_and_no"), shortfall="leave_empty")
    # A: 3 yes, 2 no, 5 abstain: 3 of the 5 who took a side. B: 4 yes, 4 no: not more than half.
    ballots = [{A: "yes", B: "yes"}] * 3 + [{A: "no", B: "yes"}] * 1 + [{A: "no", B: "no"}] * 1 + \
        [{A: "abstain", B: "no"}] * 3 + [{A: "abstain"}] * 2
    result = count(r, [A, B, C], places=2, members=10, present=10, ballots=ballots)
    lines = {line.candidate: line for line in result.lines}
    assert (lines[A].tally.yes, lines[A].tally.no, lines[A].passed) == (3, 2, True)
    assert lines[A].reason.startswith("获得赞成票 3 票，超过yes_and_no 5 人的半数")
    assert (lines[B].tally.yes, lines[B].tally.no, lines[B].passed) == (4, 4, False)
    assert result.chosen == (A,)
    with_abstentions = count(rules(method="yes_no_abstain", majority=Majority(more_than="1/2", of="valid_ballots"),
                                   shortfall="leave_empty"), [A, B, C], places=2, members=10, present=10, ballots=ballots)
    assert with_abstentions.chosen == ()  # 3 of 10 valid ballots


def test_cast_ballots_count_the_invalid_ones_in_the_base():
    ballots = [approve(A)] * 5 + [approve(A, B, C)] * 4  # four void: too many marks for two places
    by_valid = count(rules(majority=Majority(more_than="1/2", of="valid_ballots")), [A, B, C], 2, 12, 10, ballots)
    by_cast = count(rules(majority=Majority(more_than="1/2", of="cast_ballots")), [A, B, C], 2, 12, 10, ballots)
    assert (by_valid.base, by_valid.chosen[:1]) == (5, (A,))
    assert (by_cast.base, by_cast.chosen) == (9, (A,))  # 5 of 9: still more than half
    assert by_cast.invalid == {"too_many_marks": 4}
    assert count(rules(majority=Majority(more_than="1/2", of="cast_ballots")), [A, B, C], 2, 12, 12,
                 ballots + [approve(A, B, C)] * 2).chosen == ()  # 5 of 11


def test_a_minimum_of_marks():
    ballots = [approve(A, B)] * 3 + [approve(A)] * 2 + [{}]
    result = count(rules(min_marks=2), [A, B, C], places=2, members=6, present=6, ballots=ballots)
    assert (result.valid, result.invalid) == (3, {"too_few_marks": 3})


def test_every_mark_given_can_count_against_the_maximum():
    ballot = {A: "yes", B: "abstain"}  # one place: a yes and an abstain
    only_yes = count(rules(method="yes_no_abstain"), [A, B], places=1, members=3, present=3, ballots=[ballot] * 3)
    every = count(rules(method="yes_no_abstain", marks_counted="any"), [A, B], places=1, members=3, present=3,
                  ballots=[ballot] * 3)
    assert (only_yes.valid, only_yes.chosen) == (3, (A,))
    assert (every.valid, every.invalid, every.chosen) == (0, {"too_many_marks": 3}, ())


@pytest.mark.parametrize("numbers, code, params", [
    (dict(members=5, present=7), "present_over_members", {"present": 7, "members": 5}),
    (dict(members=9, present=4), "ballots_over_present", {"ballots": 6, "present": 4}),
    (dict(members=0, present=0), "impossible_numbers", {"members": 0, "present": 0}),
    (dict(members=9, present=8, places=0), "no_places", {}),
    (dict(members=9, present=8, places=4), "places_over_candidates", {"places": 4, "candidates": 3}),
])
def test_the_count_refuses_numbers_no_session_can_have(numbers, code, params):
    args = {"places": 2, "ballots": [approve(A)] * 6, **numbers}
    with pytest.raises(CountError) as info:
        count(SANGZHI, [A, B, C], **args)
    assert (info.value.code, info.value.params) == (code, params)


BUDGET_REASONS = Reasons(**{**SANGZHI.reasons.model_dump(), "over_budget": "，需 {cost} 元，超出剩余资金 {left} 元，未入选"})


def budget_rules(**changes):
    return rules(places_by="budget", cost_field="estimated_cost", reasons=BUDGET_REASONS, **changes)


COSTS = {A: Decimal("500000"), B: Decimal("400000"), C: Decimal("150000"), D: Decimal("120000"), E: Decimal("90000")}


def test_winners_by_rank_within_the_budget_pass_over_what_does_not_fit():
    # approvals A 9, B 8, C 7, D 6, E 5 of 10: all pass; 800,000 yuan for at most 4 places
    ballots = [approve(A, B, C, D)] * 5 + [approve(A, B, C, E)] * 2 + [approve(A, B, E, D)] * 1 + \
        [approve(A, E)] * 1 + [approve(E)] * 1
    result = count(budget_rules(), [A, B, C, D, E], places=4, members=10, present=10, ballots=ballots,
                   budget=Decimal("800000"), costs=COSTS)
    assert result.chosen == (A, C, D)  # B (400,000) does not fit after A (300,000 left); C and D, cheaper, do
    lines = {line.candidate: line for line in result.lines}
    assert lines[B].reason == "获得赞成票 8 票，超过全体代表 10 人的半数，排第 2 位，需 400,000.00 元，超出剩余资金 300,000.00 元，未入选"
    assert lines[E].reason == "获得赞成票 5 票，未超过全体代表 10 人的半数，未当选"
    assert lines[C].reason == "获得赞成票 7 票，超过全体代表 10 人的半数，排第 3 位，当选"
    assert (result.passed_over, result.spent) == ((B,), Decimal("770000"))


def test_a_tie_that_the_budget_cannot_take_whole_goes_to_the_tie_break():
    ballots = [approve(A, B, C)] * 6 + [approve(D)] * 4
    costs = {A: Decimal("300000"), B: Decimal("300000"), C: Decimal("300000"), D: Decimal("10")}
    result = count(budget_rules(), [A, B, C, D], places=3, members=10, present=10, ballots=ballots,
                   budget=Decimal("700000"), costs=costs)
    assert (result.chosen, result.runoff) == ((), (A, B, C))
    chosen = count(budget_rules(tie_break="presidium"), [A, B, C, D], places=3, members=10, present=10,
                   ballots=ballots, budget=Decimal("700000"), costs=costs, presidium_choice=[A, C])
    assert chosen.chosen == (A, C)
    with pytest.raises(CountError) as info:
        count(budget_rules(), [A, B, C, D], places=3, members=10, present=10, ballots=ballots, budget=None, costs=costs)
    assert info.value.code == "no_budget"


def test_a_township_vote_within_its_allocation_from_setup_to_count(profile_dir, db_url, good_suggestion):
    """places_by: budget through the service: the round keeps its budget, the count reads each
    candidate's cost from its Party committee decision and passes over what does not fit."""
    from sqlalchemy import update

    from engine.core import records
    from engine.core.actors import ANONYMOUS, Actor
    from engine.core.runtime import Runtime
    from engine.features import voting
    from engine.features.voting import VoteRefused
    from engine.store.tables import Record, VoteRound

    path = profile_dir / "votes" / "township_congress.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("shortfall: further_ballot", (
        "shortfall: further_ballot\nplaces_by: budget"  # Sangzhi's ballots show the Party committee's cost already
    )).replace("  tie: ，与其他", "  over_budget: ，需 {cost} 元，超出剩余资金 {left} 元，未入选\n  tie: ，与其他"),
        encoding="utf-8")
    rt = Runtime.open(profile_dir, db_url)
    try:
        from engine.core.workflow import transition
        from tests.test_screening import PARTY_OK, PANEL, REQUIRED_DEPARTMENTS, opinions
        presidium = Actor("presidium", "主席团", frozenset({"congress_staff"}))
        ids = [records.submit(rt, ANONYMOUS, "suggestion", dict(good_suggestion, title=f"候选项目第{i}个")).id for i in range(4)]
        with rt.db.transaction() as session:
            session.execute(update(Record).where(Record.id.in_(ids)).values(state="reserve"))
        for record_id, cost in zip(ids, ("500000", "400000", "150000", "120000")):
            opinions(rt, record_id, {d: "agree" for d in REQUIRED_DEPARTMENTS})  # the real pre-review
            assert transition(rt, PANEL, record_id, "review", {**PARTY_OK, "estimated_cost": cost}).state == "candidate"
        roster = [(f"d{n}", f"代表{n}", "present") for n in range(10)]
        with pytest.raises(VoteRefused) as info:
            voting.create_round(rt, presidium, "township_congress", "t02", "票决", 3, ids, roster)
        assert info.value.code == "no_budget"
        round_id = voting.create_round(rt, presidium, "township_congress", "t02", "票决", 3, ids, roster,
                                       budget=Decimal("800000.00"))
        key = voting.open_round(rt, presidium, round_id)
        a, b, c, d = (str(i) for i in ids)
        for n in range(10):
            marks = {a: "yes", b: "yes", c: "yes"} if n < 8 else {a: "yes", d: "yes"}
            if n < 6:
                marks = {a: "yes", b: "yes", d: "yes"} if n < 3 else marks
            voting.cast(rt, Actor(f"d{n}", f"代表{n}", frozenset({"deputy"})), round_id, marks)
        voting.close_round(rt, presidium, round_id)
        result = voting.count_round(rt, presidium, round_id, count_key=key)
        # approvals: a 10, b 8, c 5, d 5; b (400,000) does not fit beside a (300,000 left); c and d
        # tie at 5 of 10, which is not more than half: neither passes
        lines = {line.candidate: line for line in result.lines}
        assert result.chosen == (a,)
        assert result.passed_over == (b,)
        assert lines[b].reason.endswith("需 400,000.00 元，超出剩余资金 300,000.00 元，未入选")
        with rt.db.read() as session:
            stored = session.get(VoteRound, round_id)
            assert stored.budget_fen == 80_000_000
            assert stored.result["budget"] == "800000.00" and stored.result["passed_over"] == [b]
    finally:
        rt.db.dispose()


def test_budget_vote_mistakes_are_config_errors(profile_dir, monkeypatch):
    from tests.test_config_errors import edit, line_of, problems
    vote = profile_dir / "votes/township_congress.yaml"
    at = "profile/votes/township_congress.yaml"
    import re
    vote.write_text(re.sub(r"^cost_(field|sheet): .*\n", "", vote.read_text(encoding="utf-8"), flags=re.M),
                    encoding="utf-8")  # a vote naming no cost, then limited by money
    edit(vote, "shortfall: further_ballot", "shortfall: further_ballot\nplaces_by: budget")
    assert problems(profile_dir, monkeypatch) == [
        f"{at}:{line_of(vote, 'id: township_congress')}: At VoteRules(id='township_congress') -> cost_field: "
        "places_by: budget needs `cost_field`, the candidates' field with their cost"]
    edit(vote, "places_by: budget", "places_by: budget\ncost_field: estimated_cst\ncost_sheet: party_decision")
    edit(vote, "  tie: ，与其他", "  over_budget: ，超出剩余资金 {lft} 元\n  tie: ，与其他")
    assert problems(profile_dir, monkeypatch) == [
        f"{at}:{line_of(vote, 'cost_field:')}: At VoteRules(id='township_congress') -> cost_field: form "
        "'party_decision' has no field 'estimated_cst' (did you mean 'estimated_cost'?)",
        f"{at}:{line_of(vote, '  over_budget:')}: At VoteRules(id='township_congress') -> reasons -> over_budget: "
        "unknown placeholder {lft} (did you mean 'left'?); known: approvals, base, base_label, budget, candidates, "
        "cost, left, places, rank, threshold, tied"]


def test_weighted_ballots_count_their_votes_everywhere():
    """OpenSlides' delegate voting: a ballot carrying three votes counts three in the tally and
    in the base; members and present are votes too."""
    ballots = [approve(A)] * 1 + [approve(B)] * 2 + [approve(A, B, C)]  # the last: too many marks, void
    result = count(SANGZHI, [A, B, C], places=2, members=10, present=9, ballots=ballots, weights=[5, 1, 1, 2])
    lines = {line.candidate: line for line in result.lines}
    assert (lines[A].tally.yes, lines[B].tally.yes) == (5, 2)
    assert (result.ballots, result.valid, result.invalid) == (9, 7, {"too_many_marks": 2})
    assert result.chosen == ()  # 5 of 10 votes is not more than half; 6 would be
    assert count(SANGZHI, [A, B, C], 2, 10, 9, ballots, weights=[6, 1, 1, 1]).chosen == (A,)
    with pytest.raises(CountError) as info:  # 11 votes cast by 9 present
        count(SANGZHI, [A, B, C], 2, 10, 9, ballots, weights=[6, 2, 1, 2])
    assert info.value.code == "ballots_over_present"


def test_a_weighted_vote_from_roster_to_count(profile_dir, db_url, good_suggestion):
    """roster.weight: each deputy's votes come from the roster form, travel sealed with the ballot,
    and count at the count; paper ballots are refused, since a paper does not say whose it is."""
    from sqlalchemy import func, select, update

    from engine.core import records
    from engine.core.actors import Actor
    from engine.core.runtime import Runtime
    from engine.features import voting
    from engine.features.voting import VoteRefused
    from engine.store.tables import Ballot, Record

    form = profile_dir / "forms" / "deputy.yaml"
    form.write_text(form.read_text(encoding="utf-8") + "  - {id: votes, label: 票数, type: integer, min: 1}\n",
                    encoding="utf-8")
    vote = profile_dir / "votes" / "township_congress.yaml"
    text = vote.read_text(encoding="utf-8")
    assert "  account: username\n  name: name\n" in text
    vote.write_text(text.replace("  account: username\n  name: name\n", "  account: username\n  name: name\n  weight: votes\n"),
                    encoding="utf-8")
    rt = Runtime.open(profile_dir, db_url)
    try:
        staff = Actor("staff", "人大", frozenset({"congress_staff"}))
        for n, votes in enumerate((5, 2, 1, 1)):
            records.submit(rt, staff, "deputy", {"name": f"代表{n}", "township": "t02", "username": f"d{n}", "votes": str(votes)})
        roster = voting.roster_from_records(rt, "township_congress", "t02")
        assert [(d, w) for d, _, _, w in roster] == [("d0", 5), ("d1", 2), ("d2", 1), ("d3", 1)]
        ids = [records.submit(rt, staff, "suggestion", dict(good_suggestion, title=f"候选项目第{i}个")).id for i in range(3)]
        with rt.db.transaction() as session:
            session.execute(update(Record).where(Record.id.in_(ids)).values(state="candidate"))
        round_id = voting.create_round(rt, staff, "township_congress", "t02", "票决", 2, ids, roster)
        key = voting.open_round(rt, staff, round_id)
        with pytest.raises(VoteRefused) as info:
            voting.hand_out_paper(rt, staff, round_id, "d3")
        assert info.value.code == "weighted_electronic_only"
        a, b, c = (str(i) for i in ids)
        for n, marks in enumerate(({a: "yes"}, {b: "yes"}, {b: "yes"}, {c: "yes"})):
            voting.cast(rt, Actor(f"d{n}", f"代表{n}", frozenset({"deputy"})), round_id, marks)
        with rt.db.read() as session:  # while sealed, no weight in the open: it would tell who voted
            assert session.scalar(select(func.count()).select_from(Ballot).where(Ballot.weight.is_not(None))) == 0
            assert len({len(s) for s in session.scalars(select(Ballot.sealed))}) == 1
        voting.close_round(rt, staff, round_id, reason="（测试）提前结束")
        result = voting.count_round(rt, staff, round_id, count_key=key)
        lines = {line.candidate: line for line in result.lines}
        assert (result.members, result.present, result.ballots) == (9, 9, 9)
        assert (lines[a].tally.yes, lines[b].tally.yes, lines[c].tally.yes) == (5, 3, 1)
        assert result.chosen == (a,)  # 5 of 9 votes is more than half
    finally:
        rt.db.dispose()
