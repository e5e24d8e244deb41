"""A vote's rules stay as they are while one of its ballots is open or waits to be counted: an
edit published then would make the count differ from the rules the deputies voted under."""
from __future__ import annotations

from sqlalchemy import select

from engine.core import events
from engine.store.tables import VoteRound

UNCOUNTED = ("open", "closed")


@events.publish_guards
def open_votes_keep_their_rules(rt, session, proposed) -> list[tuple[str, dict]]:
    rows = session.execute(select(VoteRound.vote_id, VoteRound.title, VoteRound.state)
                           .where(VoteRound.state.in_(UNCOUNTED)).order_by(VoteRound.id)).all()
    refusals = []
    for vote_id, title, state in rows:
        if rt.profile.votes.get(vote_id) != proposed.votes.get(vote_id):
            refusals.append(("vote_open", {"file": f"votes/{vote_id}.yaml", "title": title, "state": state}))
    return refusals
