"""The differential vote's tables (imported, like every table, from engine.store.tables)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base, BigId

# -- the differential vote ----------------------------------------------------------------------
# Who voted and what was voted are kept apart, with nothing that links them: no timestamps, no
# deputy on a ballot, random ballot ids; SQLite stores both tables in key order (WITHOUT ROWID),
# and closing a round rewrites both in key order (see engine.features.voting.closing), so neither the
# order of rows nor a system column tells which ballot was cast when.

class VoteRound(Base):
    """One ballot of one congress session: a first ballot, a run-off or a further ballot, or a
    ballot at a later sitting for the places a count left empty (engine.features.voting.carried)."""

    __tablename__ = "vote_rounds"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    vote_id: Mapped[str] = mapped_column(String(64))  # the votes/*.yaml file
    township: Mapped[str | None] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(300))
    places: Mapped[int] = mapped_column(Integer)
    budget_fen: Mapped[int | None] = mapped_column(BigInteger)  # places_by: budget: the money the places may take
    state: Mapped[str] = mapped_column(String(16))  # draft, open, closed, counted
    kind: Mapped[str] = mapped_column(String(16))  # first, runoff, further, reserve
    # the round whose count called for this one; a round calls for one at most (a unique index:
    # two desks cannot both fill the places a count left empty)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("vote_rounds.id"))
    members: Mapped[int] = mapped_column(Integer)  # deputies of the congress, fixed when the round opens
    present: Mapped[int] = mapped_column(Integer)
    closes_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    profile_version: Mapped[str] = mapped_column(ForeignKey("profile_versions.version"))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ballot_key: Mapped[str | None] = mapped_column(String(64))  # public half: ballots are sealed to it
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ux_vote_rounds_parent", "parent_id", unique=True),)


class VoteCandidate(Base):
    __tablename__ = "vote_candidates"
    round_id: Mapped[int] = mapped_column(ForeignKey("vote_rounds.id"), primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class VoteRoster(Base):
    """The congress's deputies for one round, with their status at the session."""

    __tablename__ = "vote_roster"
    round_id: Mapped[int] = mapped_column(ForeignKey("vote_rounds.id"), primary_key=True)
    deputy: Mapped[str] = mapped_column(String(64), primary_key=True)  # username, or a roster code
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))  # present, leave, absent
    weight: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # votes the deputy's ballot carries
    __table_args__ = {"sqlite_with_rowid": False}


class VoteVoter(Base):
    """Who has voted in a round (at most once: the primary key), and how; never what."""

    __tablename__ = "vote_voters"
    round_id: Mapped[int] = mapped_column(ForeignKey("vote_rounds.id"), primary_key=True)
    deputy: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # electronic, paper
    __table_args__ = {"sqlite_with_rowid": False}


class Ballot(Base):
    """What was voted, by nobody in particular: a random id, the round, the marks."""

    __tablename__ = "ballots"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, so key order is no cast order
    round_id: Mapped[int] = mapped_column(ForeignKey("vote_rounds.id"), index=True)
    # candidate record id (text) -> yes / no / abstain; None while the ballot is still sealed
    marks: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sealed: Mapped[str | None] = mapped_column(Text)  # the marks sealed to the round's ballot key
    channel: Mapped[str] = mapped_column(String(16))
    weight: Mapped[int | None] = mapped_column(Integer)  # a weighted vote's votes (sealed with the marks until opened)
    __table_args__ = {"sqlite_with_rowid": False}


class PaperEntry(Base):
    """A paper ballot typed in by one teller, waiting for a second teller's check."""

    __tablename__ = "paper_entries"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("vote_rounds.id"), index=True)
    marks: Mapped[dict[str, Any]] = mapped_column(JSON)
    entered_by: Mapped[str] = mapped_column(String(64))
    __table_args__ = {"sqlite_with_rowid": False}
