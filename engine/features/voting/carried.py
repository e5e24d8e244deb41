"""Places a vote left empty under `shortfall: from_reserve`, filled at the next sitting.

When fewer candidates pass than there are places and the vote's rule says `from_reserve`, the
count leaves those places empty and the result says so. At the next sitting the presidium puts
reserve projects reviewed into candidates on a new ballot for exactly those places: a round of
kind `reserve` whose parent is the round that left them empty, checked like a first ballot (more
candidates than places, each in a candidate state). Once such a round exists the places are
no longer open, so they are never filled twice, from two desks or two processes.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Sequence

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from engine.core.actors import Actor, require, require_township
from engine.core.runtime import Runtime
from engine.features.voting.rounds import VoteRefused, create_round, vote_rules
from engine.store.tables import VoteRound

RESERVE = "reserve"  # the kind of a round that fills places carried from an earlier count


@dataclass(frozen=True)
class CarriedPlaces:
    round_id: int  # the counted round that left them empty
    title: str
    places: int


def carried_places(rt: Runtime, vote_id: str, township: str | None) -> CarriedPlaces | None:
    """The places a counted round of this vote and township left empty to be filled from the
    reserve pool, while no later sitting has taken them up; None when there are none."""
    later = aliased(VoteRound)
    with rt.db.read() as session:
        rows = session.execute(select(VoteRound.id, VoteRound.title, VoteRound.result, VoteRound.profile_version).where(
            VoteRound.vote_id == vote_id, VoteRound.township == township, VoteRound.state == "counted",
            ~exists().where(later.parent_id == VoteRound.id)).order_by(VoteRound.id.desc())).all()
    for round_id, title, result, version in rows:
        empty = int((result or {}).get("empty_places") or 0)
        rules = rt.for_version(version).profile.votes.get(vote_id)
        if empty and rules is not None and rules.shortfall == "from_reserve":
            return CarriedPlaces(round_id, title, empty)
    return None


def fill_from_reserve(rt: Runtime, actor: Actor, vote_id: str, township: str | None, title: str,
                      candidates: Sequence[int], roster: Iterable[tuple], closes_at: dt.datetime | None = None,
                      budget: Decimal | None = None) -> int:
    """A draft round for the places an earlier count carried, with reserve projects as candidates."""
    rules = vote_rules(rt, vote_id)  # an unknown vote is NotFound before anything else
    require(actor, rules.roles.presidium, f"vote:{vote_id}")  # role and township before anything is read
    require_township(actor, township)
    carried = carried_places(rt, vote_id, township)
    if carried is None:
        raise VoteRefused("nothing_carried")
    try:  # create_round checks the roles and the candidates
        return create_round(rt, actor, vote_id, township, title, carried.places, candidates, roster,
                            closes_at=closes_at, kind=RESERVE, parent_id=carried.round_id, budget=budget)
    except IntegrityError:  # another desk took these places up a moment ago (one round per parent)
        raise VoteRefused("nothing_carried") from None
