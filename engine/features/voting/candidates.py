"""What a ballot tells about each candidate: enough for a deputy to choose, and the same the
desk confirms before opening (township, the list columns, description, cost, why it is there)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

from sqlalchemy import select

from engine.core.actors import SYSTEM, Actor, require
from engine.core.runtime import Runtime
from engine.core.workflow import last_decision
from engine.features.voting.rounds import candidate_costs, candidates_of, round_row
from engine.store.tables import Record, VoteRoster

# What of the list columns a deputy is told: kinds and figures (a category, beneficiaries), not
# where the suggestion came in (station, channel) or when
SHOWN_TYPES = ("choice", "multichoice", "integer", "money")


@dataclass(frozen=True)
class BallotCandidate:
    record_id: int
    title: str
    township: str | None
    shown: Mapping[str, Any]  # the form's list columns of SHOWN_TYPES (not personal data), by field id
    description: str | None  # the first text of several lines (a suggestion's content)
    cost: Decimal | None  # from the vote's cost_field, where the profile names one
    reason: str | None  # the words of the decision that put it on the list (the pre-review's)


def ballot_candidates(rt: Runtime, actor: Actor, round_id: int) -> list[BallotCandidate]:
    """The round's candidates in ballot order, for a deputy on its roster or the desk's staff."""
    with rt.db.read() as session:
        row = round_row(session, round_id)
        rules = (rt if row.state == "draft" else rt.for_version(row.profile_version)).profile.votes[row.vote_id]
        on_roster = actor is not SYSTEM and session.scalar(select(VoteRoster.deputy).where(
            VoteRoster.round_id == round_id, VoteRoster.deputy == actor.username)) is not None
        if not on_roster:
            require(actor, rules.roles.presidium + rules.roles.tellers, f"vote:{row.vote_id}")
        ids = candidates_of(session, round_id)
        created = row.created_at
        found = {r.id: r for r in session.execute(select(Record.id, Record.title, Record.township, Record.data)
                                                   .where(Record.id.in_([int(i) for i in ids])))}
        costs = candidate_costs(session, rt, rules, ids) if rules.cost_field else {}
    form = rt.form(rules.form).form
    shown_fields = [fid for fid in form.list_columns if form.field(fid).type in SHOWN_TYPES
                    and not form.field(fid).private]
    text_field = next((f.id for f in form.fields if f.type == "textarea" and not f.private), None)
    out = []
    for cid in ids:
        record = found[int(cid)]
        decision = last_decision(rt, record.id, before=created) or {}
        out.append(BallotCandidate(record.id, record.title, record.township,
                                   {fid: record.data.get(fid) for fid in shown_fields},
                                   record.data.get(text_field) if text_field else None,
                                   costs.get(cid), decision.get("reason")))
    return out
