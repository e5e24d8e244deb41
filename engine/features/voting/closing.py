"""Closing a round: no more ballots, both tables resealed in key order; rounds closed by `tick` at their time."""
from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter

from sqlalchemy import delete, func, insert, select, text

from engine.store.audit import audit, now
from engine.core import events
from engine.core.events import JobResult
from engine.core.runtime import Runtime
from engine.core.actors import SYSTEM, Actor
from engine.lang.vote_count import closing_early
from engine.store.tables import (Ballot, VoteRound, VoteVoter)
from engine.features.voting.rounds import VoteRefused, take_round


def close_round(rt: Runtime, actor: Actor, round_id: int, reason: str | None = None) -> None:
    """Close the round (the chair's action, or `tick` at the declared time) and reseal its box.

    Closing early (fewer voters than the quorum, or not most of those present) needs the chair's
    `reason`, kept in the audit row with the turnout; a round closed by `tick` closes at the time
    the chair declared when opening it, which is its reason."""
    reason = (reason or "").strip() or None
    with rt.db.transaction() as session:
        row, rules = take_round(session, rt, actor, round_id, "presidium", "update")
        if row.state != "open":
            raise VoteRefused("not_open", state=row.state)
        voted = session.scalar(select(func.count()).select_from(VoteVoter).where(VoteVoter.round_id == round_id)) or 0
        early = closing_early(rules, row.members, row.present, voted)
        if early and reason is None and actor is not SYSTEM:
            raise VoteRefused("close_needs_reason", voted=voted, present=row.present, members=row.members)
        row.state, row.closed_at = "closed", now()
        _reseal(session, round_id, rt.db.is_sqlite)
        audit(session, actor=actor.username, action="vote.closed", entity="vote_round", entity_id=round_id,
              before={"state": "open"},
              after={"state": "closed", "voted": voted, "present": row.present, "members": row.members,
                     "early": early, "reason": reason, "at_declared_time": actor is SYSTEM},
              version=row.profile_version)
    forget_old_rows(rt)


def _reseal(session, round_id: int, is_sqlite: bool) -> None:
    """Rewrite the round's voters and ballots in key order, with new random ballot ids."""
    if is_sqlite:
        session.execute(text("PRAGMA secure_delete = ON"))  # deleted rows are overwritten, not left in pages
    voters = session.execute(select(VoteVoter.deputy, VoteVoter.channel).where(VoteVoter.round_id == round_id)).all()
    ballots = session.execute(select(Ballot.marks, Ballot.sealed, Ballot.channel, Ballot.weight)
                              .where(Ballot.round_id == round_id)).all()
    session.execute(delete(VoteVoter).where(VoteVoter.round_id == round_id))
    session.execute(delete(Ballot).where(Ballot.round_id == round_id))
    if voters:  # each table in one statement, its rows in key order
        session.execute(insert(VoteVoter), [{"round_id": round_id, "deputy": deputy, "channel": channel}
                                            for deputy, channel in sorted(voters)])
    write_ballots(session, round_id, [tuple(b) for b in ballots])


def write_ballots(session, round_id: int, ballots: list[tuple]) -> None:
    """(marks, sealed, channel[, weight]) as rows of one INSERT, under new random ids, in the ids' order."""
    fresh = sorted(((secrets.token_hex(16), *b) if len(b) == 4 else (secrets.token_hex(16), *b, None) for b in ballots),
                   key=lambda b: b[0])
    if fresh:
        session.execute(insert(Ballot), [{"id": ballot_id, "round_id": round_id, "marks": marks, "sealed": sealed,
                                          "channel": channel, "weight": weight}
                                         for ballot_id, marks, sealed, channel, weight in fresh])


def forget_old_rows(rt: Runtime) -> None:
    """After a reseal, drop the old row versions the database may still keep."""
    if rt.db.is_sqlite:
        # Copies the WAL into the database file and empties it; if a reader holds it now, the next
        # checkpoint does (SQLite reuses the WAL from its start once a checkpoint completes). On the
        # driver's own connection: outside any transaction, which a checkpoint needs.
        raw = rt.db.engine.raw_connection()
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    else:
        with rt.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM vote_voters, ballots")


def close_due(rt: Runtime, at: dt.datetime | None = None) -> list[int]:
    """Close every open round whose declared closing time has come (run by `minsheng tick`)."""
    at = at or now()
    with rt.db.read() as session:
        due = session.scalars(select(VoteRound.id).where(VoteRound.state == "open", VoteRound.closes_at.is_not(None),
                                                         VoteRound.closes_at <= at)).all()
    closed = []
    for round_id in due:
        try:
            close_round(rt, SYSTEM, round_id)
            closed.append(round_id)
        except VoteRefused:
            pass  # closed by the chair meanwhile
    return closed


@events.tick_jobs
def _tick_close_rounds(rt: Runtime, at: dt.datetime) -> JobResult:
    closed = close_due(rt, at)
    return JobResult(Counter(rounds_closed=len(closed)), [f"ballot {i}: closed at its declared time" for i in closed])
