"""A ballot round's setting up: created with its candidates and roster, attendance, opened."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Iterable, Sequence

from sqlalchemy import bindparam, func, select

from engine.store.audit import audit, now
from engine.store.db import connection_of
from engine.schema.votes import VoteRules
from engine.kernel.errors import MinshengError, NotFound
from engine.core.runtime import Runtime
from engine.core.actors import Actor, require, require_township
from engine.kernel.dates import as_utc
from engine.features.voting.sealing import MAX_WEIGHT, new_key_pair
from engine.core.sheets import current_sheets
from engine.core.workflow import MERGED_INTO
from engine.store.tables import (Record, RecordLink, VoteCandidate, VoteRound, VoteRoster)
from engine.lang.vote_count import candidates_problem, quorum_met



STATUSES = ("present", "leave", "absent")
# Rounds with a candidate list of their own, checked against the vote's rule (more candidates than
# places, each in a candidate state): a first ballot, and a later sitting's ballot for places a
# count left empty. Run-offs and further ballots take their candidates from the round before.
NEW_LISTS = ("first", "reserve")


class VoteRefused(MinshengError):
    """The step cannot be taken; ``code`` and ``params`` say why (the app words them)."""

    words = "vote."  # where the apps keep the words for each code

    def __init__(self, code: str, **params: Any):
        self.code, self.params = code, params
        super().__init__(f"{code}: {params}")


def vote_rules(rt: Runtime, vote_id: str) -> VoteRules:
    rules = rt.profile.votes.get(vote_id)
    if rules is None:
        raise NotFound(f"vote '{vote_id}'")
    return rules


# Built once: a ballot reads the round, its candidates and the roster, and building a statement
# costs more than running it.
_ROUND = select(VoteRound).where(VoteRound.id == bindparam("round_id"))
_ROUND_LOCKED = {"share": _ROUND.with_for_update(read=True), "update": _ROUND.with_for_update()}
_ROUND_ROW = select(VoteRound.__table__).where(VoteRound.__table__.c.id == bindparam("round_id"))
_ROUND_ROW_SHARED = _ROUND_ROW.with_for_update(read=True)
_CANDIDATES = (select(VoteCandidate.record_id).where(VoteCandidate.round_id == bindparam("round_id"))
               .order_by(VoteCandidate.position))


def round_row(session, round_id: int, lock: str | None = None, is_sqlite: bool = True,
              read_only: bool = False) -> VoteRound:
    """The round, locked as asked (PostgreSQL; SQLite's write transaction holds it already).
    `read_only`: a plain row, not an object to change (a ballot only reads the round, and
    loading an ORM object costs more than the rest of the ballot)."""
    if read_only:
        found = connection_of(session).execute(_ROUND_ROW_SHARED if lock and not is_sqlite else _ROUND_ROW,
                                             {"round_id": round_id}).first()
    else:
        found = session.scalars(_ROUND_LOCKED[lock] if lock and not is_sqlite else _ROUND,
                                {"round_id": round_id}).first()
    if found is None:
        raise NotFound("round")
    return found


def take_round(session, rt: Runtime, actor: Actor, round_id: int, who: str, lock: str,
               read_only: bool = False) -> tuple[VoteRound, VoteRules]:
    """The round, locked, with the rules it runs under, after checking the actor's role (`who`:
    presidium, tellers or voters) and, for staff, township. A draft follows the profile as it is
    now; from its opening a round keeps the rules of the version it opened with."""
    row = round_row(session, round_id, lock, rt.db.is_sqlite, read_only)
    rules = (rt if row.state == "draft" else rt.for_version(row.profile_version)).profile.votes.get(row.vote_id)
    if rules is None:
        raise NotFound(f"vote '{row.vote_id}'")
    require(actor, getattr(rules.roles, who), f"vote:{row.vote_id}")
    if who != "voters":
        require_township(actor, row.township)
    return row, rules


def create_round(rt: Runtime, actor: Actor, vote_id: str, township: str | None, title: str, places: int,
                 candidates: Sequence[int], roster: Iterable[tuple[str, str, str]],
                 closes_at: dt.datetime | None = None, kind: str = "first", parent_id: int | None = None,
                 budget: Decimal | None = None, session=None) -> int:
    """A draft round: the candidate list (checked against the profile's rule) and the roster of
    (deputy, name, status). Run-offs and further ballots are exempt from the candidate rule. A
    vote whose places are limited by money (`places_by: budget`) needs the round's budget.
    Within `session` when given (a count that calls a run-off writes it in its own transaction)."""
    rules = vote_rules(rt, vote_id)
    require(actor, rules.roles.presidium, f"vote:{vote_id}")
    if not township:  # a ballot is always a township congress's: its candidates and roster are that township's
        raise VoteRefused("no_township")
    require_township(actor, township)
    if rules.places_by == "budget" and (budget is None or not budget.is_finite() or budget < 0
                                        or budget != budget.quantize(Decimal("0.01"))):
        raise VoteRefused("no_budget")
    candidates = list(dict.fromkeys(candidates))
    if kind in NEW_LISTS and (problem := candidates_problem(rules, places, len(candidates))):
        raise VoteRefused(problem.pop("code"), **problem)
    roster = [tuple(entry) if len(entry) == 4 else (*entry, 1) for entry in roster]  # (deputy, name, status, weight)
    if any(status not in STATUSES for _, _, status, _ in roster):
        raise VoteRefused("bad_status", allowed=", ".join(STATUSES))
    if any(not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= MAX_WEIGHT for *_, weight in roster):
        raise VoteRefused("bad_weight")
    args = (rt, actor, vote_id, township, title, places, candidates, roster, closes_at, kind, parent_id, budget, rules)
    if session is not None:
        return _insert_round(session, *args)
    with rt.db.transaction() as session:
        return _insert_round(session, *args)


def _insert_round(session, rt: Runtime, actor: Actor, vote_id: str, township: str, title: str, places: int,
                  candidates: list[int], roster: list[tuple], closes_at: dt.datetime | None, kind: str,
                  parent_id: int | None, budget: Decimal | None, rules: VoteRules) -> int:
    """The round's rows and audit row, after create_round's checks, in the caller's transaction."""
    found = {r.id: r for r in session.scalars(select(Record).where(Record.id.in_(candidates)))}
    merged = set(session.scalars(select(RecordLink.record_id).where(
        RecordLink.record_id.in_(candidates), RecordLink.field_id == MERGED_INTO)))
    for record_id in candidates:
        record = found.get(record_id)
        if record is None or record.form_id != rules.form or (kind in NEW_LISTS and record.state not in rules.candidate_states):
            raise VoteRefused("not_a_candidate", record=record_id)
        if record_id in merged:  # a duplicate follows the project it was merged into
            raise VoteRefused("merged_duplicate", record=record_id)
        if record.township != township:
            raise VoteRefused("other_township", record=record_id)
    version = rt.ensure_version(session)
    row = VoteRound(vote_id=vote_id, township=township, title=title[:300], places=places, state="draft",
                    budget_fen=int(budget * 100) if rules.places_by == "budget" else None,
                    kind=kind, parent_id=parent_id, members=sum(w for *_, w in roster),  # votes, weighted or not
                    present=sum(w for _, _, s, w in roster if s == "present"), closes_at=closes_at,
                    profile_version=version, created_at=now(), created_by=actor.username)
    session.add(row)
    session.flush()
    for position, record_id in enumerate(candidates, start=1):
        session.add(VoteCandidate(round_id=row.id, record_id=record_id, position=position))
    for deputy, name, status, weight in roster:
        session.add(VoteRoster(round_id=row.id, deputy=deputy, name=name, status=status, weight=weight))
    audit(session, actor=actor.username, action="vote.round_created", entity="vote_round", entity_id=row.id,
          before=None, after={"vote": vote_id, "township": township, "places": places, "candidates": candidates,
                              "budget": None if row.budget_fen is None else str(round_budget(row)),
                              "members": row.members, "present": row.present, "kind": kind}, version=version)
    return row.id


def roster_from_records(rt: Runtime, vote_id: str, township: str) -> list[tuple[str, str, str, int]]:
    """The township congress's deputies (or the group a street votes through, `roster.votes_in`)
    from the roster form, all present until the presidium records who is on leave or absent, each
    with the votes their ballot carries (1 unless the roster names a weight field). A deputy
    without an account is listed by record number."""
    rules = vote_rules(rt, vote_id)
    spec = rules.roster
    # the deputies filed under the township, or those whose `votes_in` names it (a street's group)
    votes_here = Record.township == township if spec.votes_in is None else \
        Record.data[spec.votes_in].as_string() == township
    out, last_id = [], 0
    while True:  # read in pages: a congress is small, but nothing loads a whole table
        with rt.db.read() as session:
            rows = session.execute(select(Record.id, Record.data).where(
                Record.form_id == spec.form, votes_here, Record.id > last_id)
                .order_by(Record.id).limit(500)).all()
        if not rows:
            return out
        for record_id, data in rows:
            weight = data.get(spec.weight) if spec.weight else 1
            out.append((data.get(spec.account) or f"#{record_id}", str(data.get(spec.name) or record_id), "present",
                        int(weight) if weight else 1))
            last_id = record_id


def set_status(rt: Runtime, actor: Actor, round_id: int, deputy: str, status: str) -> None:
    """Record a deputy as present, on leave or absent, before the round opens."""
    if status not in STATUSES:
        raise VoteRefused("bad_status", allowed=", ".join(STATUSES))
    with rt.db.transaction() as session:
        row, _ = take_round(session, rt, actor, round_id, "presidium", "update")
        if row.state != "draft":
            raise VoteRefused("not_draft", state=row.state)
        entry = session.get(VoteRoster, (round_id, deputy))
        if entry is None:
            raise VoteRefused("not_on_roster")
        before, entry.status = entry.status, status
        session.flush()
        row.present = session.scalar(select(func.coalesce(func.sum(VoteRoster.weight), 0)).where(
            VoteRoster.round_id == round_id, VoteRoster.status == "present"))
        audit(session, actor=actor.username, action="vote.status", entity="vote_round", entity_id=round_id,
              before={"deputy": deputy, "status": before}, after={"deputy": deputy, "status": status},
              version=row.profile_version)


def open_round(rt: Runtime, actor: Actor, round_id: int) -> str:
    """Open the round if the quorum is present; returns its count key. From now on its rules are
    frozen: it is counted under the profile version it opened with.

    The count key opens the sealed ballots at the count (engine.features.voting.sealing). It is
    not stored anywhere: the presidium keeps it until the count, then destroys it."""
    with rt.db.transaction() as session:
        row, rules = take_round(session, rt, actor, round_id, "presidium", "update")
        if row.state != "draft":
            raise VoteRefused("not_draft", state=row.state)
        if not quorum_met(rules, row.members, row.present):
            raise VoteRefused("no_quorum", members=row.members, present=row.present)
        row.state, row.opened_at, row.profile_version = "open", now(), rt.ensure_version(session)
        row.ballot_key, count_key = new_key_pair()
        audit(session, actor=actor.username, action="vote.opened", entity="vote_round", entity_id=row.id,
              before={"state": "draft"}, after={"state": "open", "version": row.profile_version},
              version=row.profile_version)
    return count_key


def roster_of(rt: Runtime, round_id: int) -> list[tuple[str, str, str, int]]:
    with rt.db.read() as session:
        return [(r.deputy, r.name, r.status, r.weight) for r in session.scalars(
            select(VoteRoster).where(VoteRoster.round_id == round_id).order_by(VoteRoster.deputy))]


def check_open(row: VoteRound) -> None:
    if row.state != "open":
        raise VoteRefused("not_open", state=row.state)
    if row.closes_at is not None and now() >= as_utc(row.closes_at):
        raise VoteRefused("not_open", state="closed")


def round_budget(row: VoteRound) -> Decimal | None:
    return None if row.budget_fen is None else (Decimal(row.budget_fen) / 100).quantize(Decimal("0.01"))


def candidate_costs(session, rt: Runtime, rules: VoteRules, candidates: Sequence[str]) -> dict[str, Decimal | None]:
    """Each candidate's cost (places_by: budget): its record's `cost_field`, or that field of its
    latest `cost_sheet` that counts; a few queries whatever the number of candidates."""
    ids = [int(c) for c in candidates]
    if rules.cost_sheet is None:
        form = rt.form(rules.form)
        documents = dict(session.execute(select(Record.id, Record.data).where(Record.id.in_(ids))).all())
    else:
        form = rt.form(rules.cost_sheet)
        workflow = rt.profile.workflows.get(rt.profile.forms[rules.form].workflow or "")
        sheets = current_sheets(session, {i: workflow for i in ids}, forms=[rules.cost_sheet])
        documents = {i: rows[-1].data for i, rows in sheets.items() if rows}
    return {c: form.values_of(documents.get(int(c)) or {}).get(rules.cost_field) for c in candidates}


def candidates_of(session, round_id: int) -> list[str]:
    return [str(r) for r in connection_of(session).scalars(_CANDIDATES, {"round_id": round_id})]
