"""The vote's part of a user's start page: ballots open for this deputy, not yet cast."""
from __future__ import annotations

from sqlalchemy import func, select

from engine.core import events
from engine.core.worklist import WorkItem
from engine.store.tables import VoteRound, VoteRoster, VoteVoter


@events.work_items
def ballots_waiting(rt, session, actor) -> list[WorkItem]:
    if not any(actor.may(v.roles.voters) for v in rt.profile.votes.values()):
        return []
    voted = select(VoteVoter.round_id).where(VoteVoter.deputy == actor.username)
    count = session.scalar(select(func.count()).select_from(VoteRound).join(
        VoteRoster, VoteRoster.round_id == VoteRound.id).where(
        VoteRound.state == "open", VoteRoster.deputy == actor.username, VoteRoster.status == "present",
        VoteRound.id.not_in(voted))) or 0
    return [WorkItem("ballot", None, "ballot", count, page="ballot")]
