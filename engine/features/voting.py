"""Running a ballot round: set up, open, cast, close, count. Every step is one transaction,
checked against the vote's roles, and audited (who did what; never what a deputy voted).

Integrity: a deputy's vote is one row in `vote_voters` (primary key: round and deputy) and one
anonymous row in `ballots`, written in the same transaction, so a ballot is counted exactly once
or not at all. A cast takes the round's row with FOR SHARE on PostgreSQL and a close takes it
FOR UPDATE, so a close waits for the casts in flight and no cast is accepted after it (SQLite's
BEGIN IMMEDIATE serialises both). Secrecy: ballots carry no deputy and no time, their ids are
random, and `close_round` rewrites both tables of the round in key order (reseal) so neither
row order nor PostgreSQL's transaction ids tell which ballot came when.
"""
from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from dataclasses import asdict
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import delete, func, insert, select, text, update

from engine.store.audit import audit, now
from engine.schema.votes import VoteRules
from engine.kernel.errors import MinshengError, NotFound
from engine.core import events
from engine.core.events import JobResult
from engine.core.runtime import Runtime
from engine.core.actors import SYSTEM, Actor, require, require_township
from engine.core.bulk import act_on
from engine.core.sheets import aware
from engine.core.workflow import MERGED_INTO
from engine.store.tables import (Ballot, PaperEntry, Record, RecordLink, VoteCandidate, VoteRound, VoteRoster,
                                 VoteVoter)
from engine.store.upsert import insert_ignoring
from engine.lang.vote_count import CountError, Result, candidates_problem, count, max_yes, quorum_met
from engine.lang.vote_methods import METHODS

STATUSES = ("present", "leave", "absent")


class VoteRefused(MinshengError):
    """The step cannot be taken; ``code`` and ``params`` say why (the app words them)."""

    def __init__(self, code: str, **params: Any):
        self.code, self.params = code, params
        super().__init__(f"{code}: {params}")


def vote_rules(rt: Runtime, vote_id: str) -> VoteRules:
    rules = rt.profile.votes.get(vote_id)
    if rules is None:
        raise NotFound(f"vote '{vote_id}'")
    return rules


def _round(session, round_id: int, lock: str | None = None, is_sqlite: bool = True) -> VoteRound:
    query = select(VoteRound).where(VoteRound.id == round_id)
    if lock and not is_sqlite:
        query = query.with_for_update(read=(lock == "share"))
    found = session.scalars(query).first()
    if found is None:
        raise NotFound("round")
    return found


def _take(session, rt: Runtime, actor: Actor, round_id: int, who: str, lock: str) -> tuple[VoteRound, VoteRules]:
    """The round, locked, with the rules it runs under, after checking the actor's role (`who`:
    presidium, tellers or voters) and, for staff, township. A draft follows the profile as it is
    now; from its opening a round keeps the rules of the version it opened with."""
    row = _round(session, round_id, lock, rt.db.is_sqlite)
    rules = (rt if row.state == "draft" else rt.for_version(row.profile_version)).profile.votes.get(row.vote_id)
    if rules is None:
        raise NotFound(f"vote '{row.vote_id}'")
    require(actor, getattr(rules.roles, who), f"vote:{row.vote_id}")
    if who != "voters":
        require_township(actor, row.township)
    return row, rules


def create_round(rt: Runtime, actor: Actor, vote_id: str, township: str | None, title: str, places: int,
                 candidates: Sequence[int], roster: Iterable[tuple[str, str, str]],
                 closes_at: dt.datetime | None = None, kind: str = "first", parent_id: int | None = None) -> int:
    """A draft round: the candidate list (checked against the profile's rule) and the roster of
    (deputy, name, status). Run-offs and further ballots are exempt from the candidate rule."""
    rules = vote_rules(rt, vote_id)
    require(actor, rules.roles.presidium, f"vote:{vote_id}")
    require_township(actor, township)
    candidates = list(dict.fromkeys(candidates))
    if kind == "first" and (problem := candidates_problem(rules, places, len(candidates))):
        raise VoteRefused(problem.pop("code"), **problem)
    roster = list(roster)
    if any(status not in STATUSES for _, _, status in roster):
        raise VoteRefused("bad_status", allowed=", ".join(STATUSES))
    with rt.db.transaction() as session:
        found = {r.id: r for r in session.scalars(select(Record).where(Record.id.in_(candidates)))}
        merged = set(session.scalars(select(RecordLink.record_id).where(
            RecordLink.record_id.in_(candidates), RecordLink.field_id == MERGED_INTO)))
        for record_id in candidates:
            record = found.get(record_id)
            if record is None or record.form_id != rules.form or (kind == "first" and record.state not in rules.candidate_states):
                raise VoteRefused("not_a_candidate", record=record_id)
            if record_id in merged:  # a duplicate follows the project it was merged into
                raise VoteRefused("merged_duplicate", record=record_id)
            if township and record.township != township:
                raise VoteRefused("other_township", record=record_id)
        version = rt.ensure_version(session)
        row = VoteRound(vote_id=vote_id, township=township, title=title[:300], places=places, state="draft",
                        kind=kind, parent_id=parent_id, members=len(roster),
                        present=sum(1 for *_, s in roster if s == "present"), closes_at=closes_at,
                        profile_version=version, created_at=now(), created_by=actor.username)
        session.add(row)
        session.flush()
        for position, record_id in enumerate(candidates, start=1):
            session.add(VoteCandidate(round_id=row.id, record_id=record_id, position=position))
        for deputy, name, status in roster:
            session.add(VoteRoster(round_id=row.id, deputy=deputy, name=name, status=status))
        audit(session, actor=actor.username, action="vote.round_created", entity="vote_round", entity_id=row.id,
              before=None, after={"vote": vote_id, "township": township, "places": places, "candidates": candidates,
                                  "members": row.members, "present": row.present, "kind": kind}, version=version)
        return row.id


def roster_from_records(rt: Runtime, vote_id: str, township: str) -> list[tuple[str, str, str]]:
    """The township congress's deputies from the roster form, all present until the presidium
    records who is on leave or absent. A deputy without an account is listed by record number."""
    rules = vote_rules(rt, vote_id)
    spec = rules.roster
    out, last_id = [], 0
    while True:  # read in pages: a congress is small, but nothing loads a whole table
        with rt.db.read() as session:
            rows = session.execute(select(Record.id, Record.data).where(
                Record.form_id == spec.form, Record.township == township, Record.id > last_id)
                .order_by(Record.id).limit(500)).all()
        if not rows:
            return out
        for record_id, data in rows:
            out.append((data.get(spec.account) or f"#{record_id}", str(data.get(spec.name) or record_id), "present"))
            last_id = record_id


def set_status(rt: Runtime, actor: Actor, round_id: int, deputy: str, status: str) -> None:
    """Record a deputy as present, on leave or absent, before the round opens."""
    if status not in STATUSES:
        raise VoteRefused("bad_status", allowed=", ".join(STATUSES))
    with rt.db.transaction() as session:
        row, _ = _take(session, rt, actor, round_id, "presidium", "update")
        if row.state != "draft":
            raise VoteRefused("not_draft", state=row.state)
        entry = session.get(VoteRoster, (round_id, deputy))
        if entry is None:
            raise VoteRefused("not_on_roster")
        before, entry.status = entry.status, status
        session.flush()
        row.present = session.scalar(select(func.count()).select_from(VoteRoster).where(
            VoteRoster.round_id == round_id, VoteRoster.status == "present"))
        audit(session, actor=actor.username, action="vote.status", entity="vote_round", entity_id=round_id,
              before={"deputy": deputy, "status": before}, after={"deputy": deputy, "status": status},
              version=row.profile_version)


def open_round(rt: Runtime, actor: Actor, round_id: int) -> None:
    """Open the round if the quorum is present. From now on its rules are frozen: it is counted
    under the profile version it opened with."""
    with rt.db.transaction() as session:
        row, rules = _take(session, rt, actor, round_id, "presidium", "update")
        if row.state != "draft":
            raise VoteRefused("not_draft", state=row.state)
        if not quorum_met(rules, row.members, row.present):
            raise VoteRefused("no_quorum", members=row.members, present=row.present)
        row.state, row.opened_at, row.profile_version = "open", now(), rt.ensure_version(session)
        audit(session, actor=actor.username, action="vote.opened", entity="vote_round", entity_id=row.id,
              before={"state": "draft"}, after={"state": "open", "version": row.profile_version},
              version=row.profile_version)


def cast(rt: Runtime, actor: Actor, round_id: int, marks: Mapping[str, str]) -> None:
    """A deputy's electronic ballot: once, while the round is open, only if on the roster and present.
    An electronic ballot that would be invalid is refused, so the deputy can correct it."""
    with rt.db.transaction() as session:
        row, rules = _take(session, rt, actor, round_id, "voters", "share")
        _check_open(row)
        _check_present(session, round_id, actor.username)
        candidates = _candidates(session, round_id)
        marks = {str(k): v for k, v in marks.items()}
        why = METHODS[rules.method].invalid(marks, candidates, max_yes(rules, row.places))
        if why:
            raise VoteRefused(why, places=row.places)
        _mark_voted(session, round_id, actor.username, "electronic")
        session.execute(insert(Ballot).values(id=secrets.token_hex(16), round_id=round_id, marks=marks,
                                              channel="electronic"))
        audit(session, actor=actor.username, action="vote.cast", entity="vote_round", entity_id=round_id,
              before=None, after={"channel": "electronic"}, version=row.profile_version)


def _check_present(session, round_id: int, deputy: str) -> None:
    status = session.connection().scalar(select(VoteRoster.status).where(VoteRoster.round_id == round_id,
                                                                       VoteRoster.deputy == deputy))
    if status != "present":
        raise VoteRefused("not_on_roster")


def _mark_voted(session, round_id: int, deputy: str, channel: str) -> None:
    """Record that the deputy has voted; refused if already (the primary key holds it once)."""
    if not insert_ignoring(session, VoteVoter.__table__, [{"round_id": round_id, "deputy": deputy, "channel": channel}],
                           ["round_id", "deputy"]):
        raise VoteRefused("already_voted")


def _check_open(row: VoteRound) -> None:
    if row.state != "open":
        raise VoteRefused("not_open", state=row.state)
    if row.closes_at is not None and now() >= aware(row.closes_at):
        raise VoteRefused("not_open", state="closed")


def _candidates(session, round_id: int) -> list[str]:
    return [str(r) for r in session.connection().scalars(
        select(VoteCandidate.record_id).where(VoteCandidate.round_id == round_id).order_by(VoteCandidate.position))]


def hand_out_paper(rt: Runtime, actor: Actor, round_id: int, deputy: str) -> None:
    """A teller records that a present deputy took a paper ballot: that deputy has now voted."""
    with rt.db.transaction() as session:
        row, rules = _take(session, rt, actor, round_id, "tellers", "share")
        _check_open(row)
        _check_present(session, round_id, deputy)
        _mark_voted(session, round_id, deputy, "paper")
        audit(session, actor=actor.username, action="vote.paper_handed_out", entity="vote_round", entity_id=round_id,
              before=None, after={"deputy": deputy}, version=row.profile_version)


def enter_paper(rt: Runtime, actor: Actor, round_id: int, marks: Mapping[str, str]) -> str:
    """A teller types in one paper ballot after the round closed; it counts once a second teller
    has typed the same marks (confirm_paper). Paper ballots are taken as marked: an invalid one
    is kept and counted as invalid."""
    with rt.db.transaction() as session:
        row, rules = _take(session, rt, actor, round_id, "tellers", "update")
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
        row, rules = _take(session, rt, actor, entry.round_id, "tellers", "update")
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


def close_round(rt: Runtime, actor: Actor, round_id: int) -> None:
    """Close the round (the chair's action, or `tick` at the declared time) and reseal its box."""
    with rt.db.transaction() as session:
        row, rules = _take(session, rt, actor, round_id, "presidium", "update")
        if row.state != "open":
            raise VoteRefused("not_open", state=row.state)
        row.state, row.closed_at = "closed", now()
        _reseal(session, round_id, rt.db.is_sqlite)
        audit(session, actor=actor.username, action="vote.closed", entity="vote_round", entity_id=round_id,
              before={"state": "open"}, after={"state": "closed"}, version=row.profile_version)
    _forget_old_rows(rt)


def _reseal(session, round_id: int, is_sqlite: bool) -> None:
    """Rewrite the round's voters and ballots in key order, with new random ballot ids."""
    if is_sqlite:
        session.execute(text("PRAGMA secure_delete = ON"))  # deleted rows are overwritten, not left in pages
    voters = session.execute(select(VoteVoter.deputy, VoteVoter.channel).where(VoteVoter.round_id == round_id)).all()
    ballots = session.execute(select(Ballot.marks, Ballot.channel).where(Ballot.round_id == round_id)).all()
    session.execute(delete(VoteVoter).where(VoteVoter.round_id == round_id))
    session.execute(delete(Ballot).where(Ballot.round_id == round_id))
    if voters:  # each table in one statement, its rows in key order
        session.execute(insert(VoteVoter), [{"round_id": round_id, "deputy": deputy, "channel": channel}
                                            for deputy, channel in sorted(voters)])
    fresh = sorted((secrets.token_hex(16), marks, channel) for marks, channel in ballots)
    if fresh:
        session.execute(insert(Ballot), [{"id": ballot_id, "round_id": round_id, "marks": marks, "channel": channel}
                                         for ballot_id, marks, channel in fresh])


def _forget_old_rows(rt: Runtime) -> None:
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


def recount(rt: Runtime, round_id: int, presidium_choice: Sequence[str] | None = None) -> Result:
    """The count from the stored ballots, writing nothing: anyone may check the result."""
    with rt.db.read() as session:
        row = _round(session, round_id)
        if row.state not in ("closed", "counted"):
            raise VoteRefused("not_closed", state=row.state)
        rules = rt.for_version(row.profile_version).profile.votes[row.vote_id]
        if session.scalar(select(func.count()).select_from(PaperEntry).where(PaperEntry.round_id == round_id)):
            raise VoteRefused("paper_unchecked")
        ballots = [b for b in session.scalars(select(Ballot.marks).where(Ballot.round_id == round_id).order_by(Ballot.id))]
        candidates = _candidates(session, round_id)
        members, present, places = row.members, row.present, row.places
    try:
        return count(rules, candidates, places, members, present, ballots, presidium_choice)
    except CountError as exc:
        raise VoteRefused(exc.code, **exc.params) from None


def count_round(rt: Runtime, actor: Actor, round_id: int, presidium_choice: Sequence[str] | None = None) -> Result:
    """Count a closed round and store the result with its explanation."""
    result = recount(rt, round_id, presidium_choice)
    with rt.db.transaction() as session:
        row, rules = _take(session, rt, actor, round_id, "presidium", "update")
        if row.state != "closed":
            raise VoteRefused("not_closed", state=row.state)
        stored = _plain(asdict(result))
        moved = session.execute(update(VoteRound).where(VoteRound.id == round_id, VoteRound.state == "closed")
                                .values(state="counted", result=stored))
        if moved.rowcount != 1:
            raise VoteRefused("not_closed", state="counted")
        audit(session, actor=actor.username, action="vote.counted", entity="vote_round", entity_id=round_id,
              before={"state": "closed"}, after={"state": "counted", "chosen": list(result.chosen),
                                                 "presidium_choice": list(presidium_choice or [])},
              version=row.profile_version)
        vote_id, township, title = row.vote_id, row.township, row.title
    if result.runoff or result.further:
        # A run-off among the tied, or a further ballot for the places left: a new round on the
        # same roster, set up as a draft for the presidium to open.
        kind, ids, places = ("runoff", result.runoff, result.runoff_places) if result.runoff else \
            ("further", result.further, result.further_places)
        create_round(rt, actor, vote_id, township, title, places, [int(i) for i in ids], roster_of(rt, round_id),
                     kind=kind, parent_id=round_id)
    else:
        _apply(rt, round_id)
    return result


def roster_of(rt: Runtime, round_id: int) -> list[tuple[str, str, str]]:
    with rt.db.read() as session:
        return [(r.deputy, r.name, r.status) for r in session.scalars(
            select(VoteRoster).where(VoteRoster.round_id == round_id).order_by(VoteRoster.deputy))]


def follow_up(rt: Runtime, round_id: int) -> int | None:
    """The run-off or further round a counted round called for, if any."""
    with rt.db.read() as session:
        return session.scalar(select(VoteRound.id).where(VoteRound.parent_id == round_id))


def _apply(rt: Runtime, round_id: int) -> None:
    """The vote is decided: every project chosen in this round or the rounds before it takes the
    chosen action; the first round's other candidates take the not-chosen action."""
    with rt.db.read() as session:
        chain = []
        row = session.get(VoteRound, round_id)
        while row is not None:
            chain.append(row)
            row = session.get(VoteRound, row.parent_id) if row.parent_id else None
        first = chain[-1]
        candidates = [int(c) for c in _candidates(session, first.id)]
        chosen = {int(c) for r in chain for c in (r.result or {}).get("chosen", [])}
        rules = rt.for_version(first.profile_version).profile.votes[first.vote_id]
    actions: dict[str, list[int]] = {}
    for record_id in candidates:
        action = rules.chosen_action if record_id in chosen else rules.not_chosen_action
        if action:
            actions.setdefault(action, []).append(record_id)
    act_on(rt, SYSTEM, actions)  # every candidate moves, or none


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
