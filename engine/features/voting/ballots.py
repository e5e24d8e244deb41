"""Casting: a deputy's ballot in the app, or a paper ballot entered and confirmed by a second teller."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import bindparam, delete, func, insert, select

from engine.store.audit import audit
from engine.store.db import connection_of
from engine.kernel.errors import NotFound
from engine.core.runtime import Runtime
from engine.core.actors import Actor
from engine.store.tables import (Ballot, PaperEntry, VoteRoster, VoteVoter)
from engine.store.upsert import insert_ignoring
from engine.lang.vote_count import max_yes
from engine.lang.vote_methods import METHODS
from engine.features.voting.rounds import VoteRefused, check_open, take_round
from engine.features.voting.opened import opened_round
from engine.features.voting.sealing import seal


def cast(rt: Runtime, actor: Actor, round_id: int, marks: Mapping[str, str]) -> None:
    """A deputy's electronic ballot: once, while the round is open, only if on the roster and present.
    An electronic ballot that would be invalid is refused, so the deputy can correct it."""
    with rt.db.rows_transaction() as session:  # plain statements only: no ORM session needed
        row, rules = take_round(session, rt, actor, round_id, "voters", "share", read_only=True)
        check_open(row)
        opened = opened_round(session, row)
        weight = opened.present.get(actor.username)
        if weight is None:
            raise VoteRefused("not_on_roster")
        candidates = list(opened.candidates)
        marks = {str(k): v for k, v in marks.items()}
        why = METHODS[rules.method].invalid(marks, candidates, max_yes(rules, row.places), rules.min_marks,
                                            rules.marks_counted)
        if why:
            raise VoteRefused(why, **({"min_marks": rules.min_marks} if why == "too_few_marks" else
                                     {"places": max_yes(rules, row.places)}))
        _mark_voted(session, round_id, actor.username, "electronic")
        # sealed: the transaction that names the deputy writes nothing readable of the marks
        connection_of(session).execute(_INSERT_BALLOT, {
            "id": secrets.token_hex(16), "round_id": round_id, "marks": None, "channel": "electronic",
            "sealed": seal(row.ballot_key, marks, candidates, weight if rules.roster.weight else None)})
        audit(session, actor=actor.username, action="vote.cast", entity="vote_round", entity_id=round_id,
              before=None, after={"channel": "electronic"}, version=row.profile_version)


_ROSTER_LINE = select(VoteRoster.status, VoteRoster.weight).where(
    VoteRoster.round_id == bindparam("round_id"), VoteRoster.deputy == bindparam("deputy"))
_INSERT_BALLOT = insert(Ballot.__table__)


def _check_present(session, round_id: int, deputy: str) -> int:
    """The votes the deputy's ballot carries; refused unless on the roster and present."""
    found = connection_of(session).execute(_ROSTER_LINE, {"round_id": round_id, "deputy": deputy}).first()
    if found is None or found.status != "present":
        raise VoteRefused("not_on_roster")
    return found.weight


def _mark_voted(session, round_id: int, deputy: str, channel: str) -> None:
    """Record that the deputy has voted; refused if already (the primary key holds it once)."""
    if not insert_ignoring(session, VoteVoter.__table__, [{"round_id": round_id, "deputy": deputy, "channel": channel}],
                           ["round_id", "deputy"]):
        raise VoteRefused("already_voted")


def hand_out_paper(rt: Runtime, actor: Actor, round_id: int, deputy: str) -> None:
    """A teller records that a present deputy took a paper ballot: that deputy has now voted."""
    with rt.db.transaction() as session:
        row, rules = take_round(session, rt, actor, round_id, "tellers", "share")
        check_open(row)
        if rules.roster.weight:  # a paper ballot does not say whose it is, so not how many votes it carries
            raise VoteRefused("weighted_electronic_only")
        _check_present(session, round_id, deputy)
        _mark_voted(session, round_id, deputy, "paper")
        audit(session, actor=actor.username, action="vote.paper_handed_out", entity="vote_round", entity_id=round_id,
              before=None, after={"deputy": deputy}, version=row.profile_version)


def enter_paper(rt: Runtime, actor: Actor, round_id: int, marks: Mapping[str, str]) -> str:
    """A teller types in one paper ballot after the round closed; it counts once a second teller
    has typed the same marks (confirm_paper). Paper ballots are taken as marked: an invalid one
    is kept and counted as invalid."""
    with rt.db.transaction() as session:
        row, rules = take_round(session, rt, actor, round_id, "tellers", "update")
        if row.state != "closed":
            raise VoteRefused("paper_after_close", state=row.state)
        handed = session.scalar(select(func.count()).select_from(VoteVoter).where(
            VoteVoter.round_id == round_id, VoteVoter.channel == "paper")) or 0
        entered = (session.scalar(select(func.count()).select_from(Ballot).where(
            Ballot.round_id == round_id, Ballot.channel == "paper")) or 0) + (session.scalar(
            select(func.count()).select_from(PaperEntry).where(PaperEntry.round_id == round_id)) or 0)
        if entered >= handed:
            raise VoteRefused("more_paper_than_handed_out", handed=handed)
        entry_id = secrets.token_hex(16)
        session.execute(insert(PaperEntry).values(id=entry_id, round_id=round_id, marks={str(k): v for k, v in marks.items()},
                                                  entered_by=actor.username))
        audit(session, actor=actor.username, action="vote.paper_entered", entity="vote_round", entity_id=round_id,
              before=None, after={"entry": entry_id}, version=row.profile_version)
        return entry_id


def confirm_paper(rt: Runtime, actor: Actor, entry_id: str, marks: Mapping[str, str]) -> None:
    """The second teller types the same ballot; if it matches, it becomes a counted ballot."""
    with rt.db.transaction() as session:
        entry = session.get(PaperEntry, entry_id)
        if entry is None:
            raise NotFound("paper entry")
        row, rules = take_round(session, rt, actor, entry.round_id, "tellers", "update")
        if actor.username == entry.entered_by:
            raise VoteRefused("same_teller")
        if row.state != "closed":
            raise VoteRefused("paper_after_close", state=row.state)
        if {str(k): v for k, v in marks.items()} != entry.marks:
            raise VoteRefused("paper_mismatch")
        session.execute(delete(PaperEntry).where(PaperEntry.id == entry_id))
        session.execute(insert(Ballot).values(id=secrets.token_hex(16), round_id=row.id, marks=entry.marks,
                                              channel="paper"))
        audit(session, actor=actor.username, action="vote.paper_confirmed", entity="vote_round", entity_id=row.id,
              before=None, after={"entered_by": entry.entered_by}, version=row.profile_version)


@dataclass(frozen=True)
class BoxContents:
    """What a closed round's box holds, by how it came in (before the count; the count keeps none
    of this), as the desk states it before anyone confirms the count."""

    app: int  # ballots cast in the app, sealed until the count
    devices: int  # ballots imported from a voting device
    paper_handed_out: int
    paper_unchecked: int  # typed in by one teller, waiting for the second
    paper_checked: int
    present: int

    @property
    def countable(self) -> int:
        return self.app + self.devices + self.paper_checked


def box_contents(rt: Runtime, actor: Actor, round_id: int) -> BoxContents:
    """Counts only, for the presidium and the tellers of the round's township."""
    with rt.db.read() as session:
        row, _ = take_round(session, rt, actor, round_id, "presidium", None)
        by_channel = dict(session.execute(select(Ballot.channel, func.count()).where(Ballot.round_id == round_id)
                                          .group_by(Ballot.channel)).all())
        handed = session.scalar(select(func.count()).select_from(VoteVoter).where(
            VoteVoter.round_id == round_id, VoteVoter.channel == "paper")) or 0
        unchecked = session.scalar(select(func.count()).select_from(PaperEntry).where(
            PaperEntry.round_id == round_id)) or 0
        return BoxContents(app=by_channel.get("electronic", 0), devices=by_channel.get("device", 0),
                           paper_handed_out=handed, paper_unchecked=unchecked,
                           paper_checked=by_channel.get("paper", 0), present=row.present)
