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
from engine.features.voting.rounds import (NEW_LISTS, VoteRefused, candidate_costs, candidates_of, create_round,
                                           round_budget, roster_of, round_row, take_round)
from engine.features.voting.sealing import WrongCountKey, marks_and_weight, open_sealed


BOXED = "box"  # every counted ballot's channel: how it came in is not kept (see count_round)


def recount(rt: Runtime, round_id: int, presidium_choice: Sequence[str] | None = None) -> Result:
    """The count from the stored ballots, writing nothing: anyone may check the result (once the
    box is opened by the count: sealed ballots cannot be counted)."""
    with rt.db.read() as session:
        row = round_row(session, round_id)
        if row.state not in ("closed", "counted"):
            raise VoteRefused("not_closed", state=row.state)
        rules = rt.for_version(row.profile_version).profile.votes[row.vote_id]
        _refuse_unchecked_paper(session, round_id)
        stored = session.execute(select(Ballot.marks, Ballot.sealed, Ballot.weight).where(Ballot.round_id == round_id)
                                 .order_by(Ballot.id)).all()
        if any(sealed is not None for _, sealed, _ in stored):
            raise VoteRefused("still_sealed")
        return _counted(session, rt, row, rules, [(marks, weight) for marks, _, weight in stored], presidium_choice)


def _refuse_unchecked_paper(session, round_id: int) -> None:
    if session.scalar(select(func.count()).select_from(PaperEntry).where(PaperEntry.round_id == round_id)):
        raise VoteRefused("paper_unchecked")


def _counted(session, rt: Runtime, row, rules, ballots: list[tuple[dict, int | None]],
             presidium_choice: Sequence[str] | None) -> Result:
    """The count of these ballots (marks, weight) under the round's rules, or why it cannot be made."""
    candidates = candidates_of(session, row.id)
    costs = candidate_costs(session, rt.for_version(row.profile_version), rules, candidates) \
        if rules.places_by == "budget" else None
    weights = [weight or 1 for _, weight in ballots] if rules.roster.weight else None
    try:
        return count(rules, candidates, row.places, row.members, row.present, [marks for marks, _ in ballots],
                     presidium_choice, budget=round_budget(row), costs=costs, weights=weights)
    except CountError as exc:
        raise VoteRefused(exc.code, **exc.params) from None


def count_round(rt: Runtime, actor: Actor, round_id: int, presidium_choice: Sequence[str] | None = None,
                count_key: str | None = None) -> Result:
    """Count a closed round and store the result with its explanation, with what it decides.

    One transaction, so nothing is opened or written unless the whole count goes through: the
    sealed ballots are opened in memory with the count key, counted with the plain ones, and only
    then is the box written back, every ballot under a new random id, in random order and with
    nothing that tells how it came in (app, paper or device: with one deputy voting by phone, a
    ballot labelled so would be theirs). A wrong key, unchecked paper ballots or a count the rules
    refuse leave the sealed box as it was. The projects' moves (or the run-off the count calls for)
    commit with it: a crash in between leaves the round closed, to be counted again."""
    roster = roster_of(rt, round_id)
    with rt.db.transaction() as session:
        row, rules = take_round(session, rt, actor, round_id, "presidium", "update")
        if row.state != "closed":
            raise VoteRefused("not_closed", state=row.state)
        _refuse_unchecked_paper(session, round_id)
        stored = session.execute(select(Ballot.marks, Ballot.sealed, Ballot.weight)
                                 .where(Ballot.round_id == round_id)).all()
        sealed = [box for _, box, _ in stored if box is not None]
        if sealed and not count_key:
            raise VoteRefused("still_sealed")
        try:
            opened = [marks_and_weight(b) for b in open_sealed(count_key, row.ballot_key, sealed)] if sealed else []
        except WrongCountKey:
            raise VoteRefused("wrong_count_key") from None
        ballots = [(marks, weight) for marks, box, weight in stored if box is None] + opened
        result = _counted(session, rt, row, rules, ballots, presidium_choice)
        session.execute(delete(Ballot).where(Ballot.round_id == round_id))
        write_ballots(session, round_id, [(marks, None, BOXED, weight if rules.roster.weight else None)
                                          for marks, weight in ballots])
        if sealed:
            audit(session, actor=actor.username, action="vote.box_opened", entity="vote_round", entity_id=round_id,
                  before=None, after={"ballots": len(opened)}, version=row.profile_version)
        stored_result = _plain(asdict(result))
        moved = session.execute(update(VoteRound).where(VoteRound.id == round_id, VoteRound.state == "closed")
                                .values(state="counted", result=stored_result)
                                .execution_options(synchronize_session=False))
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
    forget_old_rows(rt)
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
