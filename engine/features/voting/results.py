"""The count of a closed round, explained in words, and what it decides (the chosen projects move on)."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any, Sequence

from sqlalchemy import delete, func, select, update

from engine.store.audit import audit
from engine.core.runtime import Runtime
from engine.core.actors import SYSTEM, Actor
from engine.core import reactions
from engine.core.bulk import act_on_within
from engine.store.tables import (Ballot, PaperEntry, VoteRound)
from engine.lang.vote_count import CountError, Result, count
from engine.features.voting.closing import forget_old_rows, write_ballots
from engine.features.voting.rounds import (NEW_LISTS, VoteRefused, candidate_costs, candidates_of, create_round, round_budget,
                                           roster_of, round_row, take_round)
from engine.features.voting.sealing import WrongCountKey, marks_and_weight, open_sealed


def recount(rt: Runtime, round_id: int, presidium_choice: Sequence[str] | None = None) -> Result:
    """The count from the stored ballots, writing nothing: anyone may check the result (once the
    presidium has opened the box: sealed ballots cannot be counted)."""
    with rt.db.read() as session:
        row = round_row(session, round_id)
        if row.state not in ("closed", "counted"):
            raise VoteRefused("not_closed", state=row.state)
        rules = rt.for_version(row.profile_version).profile.votes[row.vote_id]
        if session.scalar(select(func.count()).select_from(PaperEntry).where(PaperEntry.round_id == round_id)):
            raise VoteRefused("paper_unchecked")
        if session.scalar(select(func.count()).select_from(Ballot).where(Ballot.round_id == round_id,
                                                                         Ballot.sealed.is_not(None))):
            raise VoteRefused("still_sealed")
        stored = session.execute(select(Ballot.marks, Ballot.weight).where(Ballot.round_id == round_id)
                                 .order_by(Ballot.id)).all()
        ballots = [marks for marks, _ in stored]
        weights = [weight or 1 for _, weight in stored] if rules.roster.weight else None
        candidates = candidates_of(session, round_id)
        members, present, places = row.members, row.present, row.places
        costs = candidate_costs(session, rt.for_version(row.profile_version), rules, candidates) \
            if rules.places_by == "budget" else None
    try:
        return count(rules, candidates, places, members, present, ballots, presidium_choice,
                     budget=round_budget(row), costs=costs, weights=weights)
    except CountError as exc:
        raise VoteRefused(exc.code, **exc.params) from None


def open_box(rt: Runtime, actor: Actor, round_id: int, count_key: str) -> int:
    """The presidium opens a closed round's sealed ballots with the count key: they are written
    back as plain ballots in random order, in one transaction that names no deputy, and the
    sealed rows go; returns how many were opened. Opening an opened box does nothing."""
    with rt.db.transaction() as session:
        row, rules = take_round(session, rt, actor, round_id, "presidium", "update")
        if row.state != "closed":
            raise VoteRefused("not_closed", state=row.state)
        rows = session.execute(select(Ballot.id, Ballot.sealed).where(Ballot.round_id == round_id,
                                                                      Ballot.sealed.is_not(None))).all()
        if not rows:
            return 0
        try:
            opened = open_sealed(count_key, row.ballot_key, [sealed for _, sealed in rows])
        except WrongCountKey:
            raise VoteRefused("wrong_count_key") from None
        session.execute(delete(Ballot).where(Ballot.id.in_([ballot_id for ballot_id, _ in rows])))
        plain = []
        for ballot in opened:
            marks, weight = marks_and_weight(ballot)
            plain.append((marks, None, "electronic", weight if rules.roster.weight else None))
        write_ballots(session, round_id, plain)
        audit(session, actor=actor.username, action="vote.box_opened", entity="vote_round", entity_id=round_id,
              before=None, after={"ballots": len(opened)}, version=row.profile_version)
    forget_old_rows(rt)
    return len(opened)


def count_round(rt: Runtime, actor: Actor, round_id: int, presidium_choice: Sequence[str] | None = None,
                count_key: str | None = None) -> Result:
    """Count a closed round and store the result with its explanation; with the count key, its
    sealed ballots are opened first (open_box)."""
    if count_key is not None:
        open_box(rt, actor, round_id, count_key)
    result = recount(rt, round_id, presidium_choice)
    roster = roster_of(rt, round_id)
    # The count, and what it decides (the projects' moves, or the run-off it calls for), commit
    # together: a crash in between leaves the round closed, to be counted again, never counted
    # with its projects still candidates.
    with rt.db.transaction() as session:
        row, rules = take_round(session, rt, actor, round_id, "presidium", "update")
        if row.state != "closed":
            raise VoteRefused("not_closed", state=row.state)
        stored = _plain(asdict(result))
        moved = session.execute(update(VoteRound).where(VoteRound.id == round_id, VoteRound.state == "closed")
                                .values(state="counted", result=stored).execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            raise VoteRefused("not_closed", state="counted")
        audit(session, actor=actor.username, action="vote.counted", entity="vote_round", entity_id=round_id,
              before={"state": "closed"}, after={"state": "counted", "chosen": list(result.chosen),
                                                 "presidium_choice": list(presidium_choice or [])},
              version=row.profile_version)
        waiting: list[int] = []
        if result.runoff or result.further:
            # A run-off among the tied, or a further ballot for the places left: a new round on the
            # same roster, set up as a draft for the presidium to open.
            kind, ids, places = ("runoff", result.runoff, result.runoff_places) if result.runoff else \
                ("further", result.further, result.further_places)
            left = None if result.budget is None else result.budget - result.spent  # a run-off shares what is left
            create_round(rt, actor, row.vote_id, row.township, row.title, places, [int(i) for i in ids], roster,
                         kind=kind, parent_id=round_id, budget=left, session=session)
        else:
            waiting = _apply(session, rt, row, result)
    reactions.drain(rt, waiting, raise_refusals=False)
    return result


def follow_up(rt: Runtime, round_id: int) -> int | None:
    """The run-off or further round a counted round called for, if any."""
    with rt.db.read() as session:
        return session.scalar(select(VoteRound.id).where(VoteRound.parent_id == round_id))


def _apply(session, rt: Runtime, counted: VoteRound, result: Result) -> list[int]:
    """The vote is decided: every project chosen in this round or the rounds before it takes the
    chosen action; the other candidates of the list they were put on (a first ballot, or a later
    sitting's for places left empty) take the not-chosen action. In the count's transaction;
    returns the records whose reactions wait for its commit."""
    chain = [counted]
    row = counted
    while row.kind not in NEW_LISTS and row.parent_id:  # a later sitting's ballot decides its own candidates only
        row = session.get(VoteRound, row.parent_id)
        if row is None:
            break
        chain.append(row)
    first = chain[-1]
    candidates = [int(c) for c in candidates_of(session, first.id)]
    chosen = {int(c) for c in result.chosen} | {int(c) for r in chain[1:] for c in (r.result or {}).get("chosen", [])}
    rules = rt.for_version(first.profile_version).profile.votes[first.vote_id]
    actions: dict[str, list[int]] = {}
    for record_id in candidates:
        action = rules.chosen_action if record_id in chosen else rules.not_chosen_action
        if action:
            actions.setdefault(action, []).append(record_id)
    return act_on_within(session, rt, SYSTEM, actions)[1]  # every candidate moves, or none


def chosen_in(rt: Runtime, round_id: int) -> list[int]:
    """The projects a vote chose, across its run-offs and further ballots."""
    with rt.db.read() as session:
        chosen, row = [], session.get(VoteRound, round_id)
        while row is not None:
            chosen += [int(c) for c in (row.result or {}).get("chosen", [])]
            row = session.scalar(select(VoteRound).where(VoteRound.parent_id == row.id))
        return chosen


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "as_integer_ratio") and not isinstance(value, (int, float, bool)):
        return str(value)
    return value
