"""The database tables. One generic `records` table holds every form's submissions.

Columns that lists filter and sort on (form, state, township, station, channel) are promoted out of
the JSON document so that list pages paginate with an index instead of scanning documents.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary,
                        String, false, func)
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base, BigId
# every table is imported from here: the vote's are kept in their own module
from engine.store.vote_tables import Ballot, PaperEntry, VoteCandidate, VoteRoster, VoteRound, VoteVoter  # noqa: F401


class ProfileVersion(Base):
    """Every profile version that ever wrote a record, so old records stay interpretable."""

    __tablename__ = "profile_versions"
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    county: Mapped[str] = mapped_column(String(64))
    first_used: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    files: Mapped[dict[str, Any]] = mapped_column(JSON)  # relative path -> file text


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[Any]] = mapped_column(JSON)
    township: Mapped[str | None] = mapped_column(String(64))
    station: Mapped[str | None] = mapped_column(String(64))  # staff of one liaison station
    groups: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")  # county.yaml groups
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # wrong passwords in a row, the last one, and the lock they led to (engine.core.accounts)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_failed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    locked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # made by `minsheng demo`


class SignInClient(Base):
    """Wrong passwords in a row from one client (its address), whatever account they named."""
    __tablename__ = "sign_in_clients"
    client: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Record(Base):
    __tablename__ = "records"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    form_id: Mapped[str] = mapped_column(String(64))
    receipt_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    state: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    township: Mapped[str | None] = mapped_column(String(64))
    station: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(64))
    group_id: Mapped[str | None] = mapped_column(String(64))  # the group it is assigned to (a sheet's assigns_group)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    profile_version: Mapped[str] = mapped_column(ForeignKey("profile_versions.version"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))  # username, or "public"
    source_key: Mapped[str | None] = mapped_column(String(64), unique=True)  # import de-duplication
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))

    __table_args__ = (
        Index("ix_records_form_id", "form_id", "id"),
        Index("ix_records_form_township", "form_id", "township", "id"),
        Index("ix_records_form_station", "form_id", "station", "id"),
        Index("ix_records_form_channel", "form_id", "channel", "id"),
        Index("ix_records_form_group", "form_id", "group_id", "id"),
        Index("ix_records_form_state", "form_id", "state", "id"),
        # what the scorecard groups: projects found by state, counted by township without reading their rows
        Index("ix_records_form_state_township", "form_id", "state", "township", "id"),
        Index("ix_records_form_title", "form_id", "title", "id"),  # lists sorted by title
    )


class RecordLink(Base):
    """A reference field pointing at another record (a suggestion -> the session it came from)."""

    __tablename__ = "record_links"
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), primary_key=True)
    field_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)


class RecordFacet(Base):
    """A filterable field value that is not a promoted column (a suggestion's category, say).

    One row per record and value, so a list filtered on it uses an index, not a document scan.
    """

    __tablename__ = "record_facets"
    form_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    field_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), primary_key=True)


class Attachment(Base):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ImportRun(Base):
    __tablename__ = "import_runs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    mapping_id: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))
    profile_version: Mapped[str] = mapped_column(ForeignKey("profile_versions.version"))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_added: Mapped[int] = mapped_column(Integer, default=0)
    rows_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)


class ImportRejection(Base):
    __tablename__ = "import_rejections"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    problems: Mapped[dict[str, Any]] = mapped_column(JSON)  # field id -> {code, params}


class AuditEntry(Base):
    """Append-only: database triggers refuse UPDATE and DELETE (see the first migration)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    profile_version: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id", "id"),)


class Deadline(Base):
    """Something due at a time: fired once by `minsheng tick`, whichever process gets there first."""

    __tablename__ = "deadlines"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    fired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_deadlines_due", "fired_at", "due_at"),)


class Task(Base):
    """Something a role must do about a record, opened by a reaction and closed by a person."""

    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(64), index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    done_by: Mapped[str | None] = mapped_column(String(64))


# -- the fund pool --------------------------------------------------------------------------------
# A ledger: every contribution, allocation and payment is an entry, never changed or deleted
# (database triggers refuse it); a correction is a reversing entry. Amounts are whole fen, so sums
# are exact on every database.

class FundPoolYear(Base):
    """One pool for one year; its row is locked while an entry is checked and written."""

    __tablename__ = "fund_pools"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    fund_id: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("ix_fund_pools_fund_year", "fund_id", "year", unique=True),)


class FundEntry(Base):
    __tablename__ = "fund_entries"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("fund_pools.id"))
    kind: Mapped[str] = mapped_column(String(16))  # contribution, allocation, payment
    source: Mapped[str | None] = mapped_column(String(64))  # contributions: where the money came from
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"), index=True)  # the project
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # negative in a reversing entry
    on_date: Mapped[dt.date] = mapped_column(Date)
    payee: Mapped[str | None] = mapped_column(String(200))
    purpose: Mapped[str | None] = mapped_column(String(500))
    approver: Mapped[str | None] = mapped_column(String(100))
    document_ref: Mapped[str | None] = mapped_column(String(100))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("fund_entries.id"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    __table_args__ = (Index("ix_fund_entries_pool_kind", "pool_id", "kind", "record_id"),)


# -- delivery and supervision --------------------------------------------------------------------
class Flag(Base):
    """Something wrong with a project's delivery: a late milestone, or an escalation rule that
    holds (on the watch list, the standing committee told). Raised once, cleared when it no longer
    holds; the roles in `notify` are told when it is raised."""

    __tablename__ = "flags"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    delivery_id: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(64))  # "overdue", or the escalation's id
    subject: Mapped[str] = mapped_column(String(200))  # the milestone's name; "" for escalations
    watch: Mapped[bool] = mapped_column(Boolean)  # puts the project on the watch list
    notify: Mapped[list[Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(1000))
    version: Mapped[str] = mapped_column(String(64))
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    cleared_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    cleared_reason: Mapped[str | None] = mapped_column(String(1000))
    # At most one open flag per project, rule and milestone, even if two ticks run at once.
    __table_args__ = (Index("ix_flags_open", "record_id", "rule", "subject", unique=True,
                            sqlite_where=cleared_at.is_(None), postgresql_where=cleared_at.is_(None)),)


class ProjectFigures(Base):
    """What a project's sheets say about its delivery, kept so the townships' scorecard is one
    GROUP BY: rewritten from the sheets in the transaction that files a sheet on the project,
    moves it, or moves one of its follow-up actions (the sheets stay the source of truth; figures
    that depend on the day, such as milestones behind, are worked out in the query)."""

    __tablename__ = "project_figures"
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    deadline: Mapped[dt.date | None] = mapped_column(Date)  # from the responsibility list
    deadline_year: Mapped[int | None] = mapped_column(Integer)
    percent: Mapped[int | None] = mapped_column(Integer)  # the latest progress report's; none without a report
    follow_ups_open: Mapped[int] = mapped_column(Integer)
    follow_up_due: Mapped[dt.date | None] = mapped_column(Date)  # the earliest due date of the open follow-ups


class ProjectMilestone(Base):
    """One of a project's milestones as its current sheets say: when due, when reported reached."""

    __tablename__ = "project_milestones"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    delivery_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    due: Mapped[dt.date | None] = mapped_column(Date)
    reached_on: Mapped[dt.date | None] = mapped_column(Date)
    sheet_id: Mapped[int] = mapped_column(BigId)  # the milestone sheet that planned it
    __table_args__ = (Index("ix_project_milestones_record", "record_id", "delivery_id"),)


# -- reactions ------------------------------------------------------------------------------------
# A reaction's partial count lives here, not in a process: every event about a record that some
# reaction listens to is written to `reaction_events` in the transaction of the change it reports
# (an outbox), and is then posted to durable-rules in a transaction of its own that also stores
# what durable-rules still holds for that record (`reaction_state`) and does what the reactions it
# completed ask for. A crash between the two leaves the event waiting; the next `tick` finishes it.

class ReactionEvent(Base):
    """An event about a record, waiting to be posted to the reactions (done_at empty) or posted."""

    __tablename__ = "reaction_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    event: Mapped[str] = mapped_column(String(16))  # submitted, transition, deadline
    name: Mapped[str] = mapped_column(String(64))
    streams: Mapped[list[Any]] = mapped_column(JSON)  # the streams it counts in (`where` met or not)
    profile_version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(1000))  # what came of it: reactions fired, or why none could

    __table_args__ = (Index("ix_reaction_events_waiting", "record_id", "id",
                            sqlite_where=done_at.is_(None), postgresql_where=done_at.is_(None)),)


class ReactionState(Base):
    """What durable-rules holds for one record and one set of reactions between two events: the
    events that count towards a reaction not yet complete."""

    __tablename__ = "reaction_state"
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), primary_key=True)
    ruleset: Mapped[str] = mapped_column(String(100), primary_key=True)
    pending: Mapped[list[Any]] = mapped_column(JSON)


class IssuedDocument(Base):
    """A document issued with its number (an official document number): one per document and
    subject (a record, a ballot), numbered in its document's series per year; printed again, it
    keeps its number and its date."""

    __tablename__ = "issued_documents"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64))  # "record:12", "round:3"
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    issued_on: Mapped[dt.date] = mapped_column(Date)
    issued_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_issued_documents_subject", "document_id", "subject", unique=True),
                      Index("ix_issued_documents_number", "document_id", "year", "number", unique=True))
