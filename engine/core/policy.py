"""The one policy for records: who may read or act on which record, and what of it they see.

Every read and every write of records asks here, on pages, in the command line and in the
engine's own functions, so a list, a count, a start page and a record page cannot disagree:

- **role**: the form's `access` (view, list, personal_data) or the workflow's roles for a step
  (checked by the caller with `actors.require`, which knows the action);
- **scope**: staff tied to a township (and a liaison station) read and act on that township's
  (that station's) records only. A record belongs to a township by its township column: the
  form's township field, or for a sheet its subject's. A record of a form without such a field
  and without a township of its own (a county-wide record, or a sheet about one) is in every
  scope. `in_scope` decides for one record, `scope_sql` says the same as SQL conditions for
  lists and counts, and a test holds the two to the same answer;
- **private fields**: left out of what `view` returns unless the actor's role may read the
  form's personal data (the public never does, whatever a form's `view` says).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import or_

from engine.core.actors import SYSTEM, Actor, require
from engine.core.runtime import Runtime
from engine.kernel.errors import NotFound, PermissionDenied
from engine.profile.loader import Profile
from engine.schema.forms import Form
from engine.store.tables import Record

SCOPES = ("township", "station")  # the columns a record is scoped by, widest first


@dataclass(frozen=True)
class RecordView:
    """A record as one actor may see it (see `view`)."""

    id: int
    form_id: str
    receipt_code: str | None
    state: str | None
    title: str
    township: str | None
    station: str | None
    channel: str | None
    created_at: dt.datetime
    created_by: str
    profile_version: str
    data: Mapping[str, Any]
    group_id: str | None = None  # the county group it is assigned to, if any


def _own(actor: Actor, column: str) -> str | None:
    return None if actor is SYSTEM else getattr(actor, column)


def _has_field(rt: Runtime, form_id: str, column: str) -> bool:
    compiled = rt.forms.get(form_id)
    return bool(compiled and compiled.promoted.get(column))


def in_scope(rt: Runtime, actor: Actor, record: Any) -> bool:
    """Whether the record (anything with form_id, township and station: a row, an object, a view)
    is within the actor's township and station."""
    for column in SCOPES:
        own = _own(actor, column)
        if not own:
            continue
        value = getattr(record, column)
        if value != own and (value is not None or _has_field(rt, record.form_id, column)):
            return False
    return True


def scope_sql(rt: Runtime, actor: Actor, form_id: str, table: Any = Record) -> list:
    """`in_scope` as SQL conditions on the records of one form (the records table or an alias of
    it) for lists and counts: an index on the form and the column serves them."""
    conditions = []
    for column in SCOPES:
        own = _own(actor, column)
        if not own:
            continue
        col = table.c[column] if hasattr(table, "c") else getattr(table, column)
        conditions.append(col == own if _has_field(rt, form_id, column) else or_(col == own, col.is_(None)))
    return conditions


def _refusal(actor: Actor, record: Any) -> PermissionDenied:
    """Why the record is out of the actor's scope (its township, or within it its station)."""
    if actor.township and record.township != actor.township:
        return PermissionDenied(f"township:{record.township or ''}")
    return PermissionDenied(f"station:{record.station or ''}")


def require_scope(rt: Runtime, actor: Actor, record: Any) -> None:
    """Refuse unless the record is within the actor's township and station (reads and writes)."""
    if not in_scope(rt, actor, record):
        raise _refusal(actor, record)


def form_of(rt: Runtime, record: Any) -> Form:
    compiled = rt.forms.get(record.form_id)
    if compiled is None:
        raise NotFound("record")
    return compiled.form


def may_read(rt: Runtime, actor: Actor, record: Any) -> bool:
    """The role may view the record's form, and the record is in the actor's scope."""
    compiled = rt.forms.get(record.form_id)
    return (compiled is not None and (actor is SYSTEM or actor.may(compiled.form.access.view))
            and in_scope(rt, actor, record))


def require_read(rt: Runtime, actor: Actor, record: Any) -> None:
    """Refuse to show the record (role, then scope), on the server whatever the page offered."""
    require(actor, form_of(rt, record).access.view, f"view:{record.form_id}")
    require_scope(rt, actor, record)


def may_read_personal_data(actor: Actor, form: Form) -> bool:
    if actor is SYSTEM:
        return True
    if not actor.signed_in:
        return False
    readers = form.access.personal_data
    return actor.may(form.access.view if readers is None else readers)


def visible_data(rt: Runtime, actor: Actor, form_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A record's values as the actor may read them: private fields left out unless the role
    may read the form's personal data; a form no longer in the profile shows nothing private."""
    compiled = rt.forms.get(form_id)
    if actor is SYSTEM or (compiled is not None and may_read_personal_data(actor, compiled.form)):
        return dict(data)
    form = compiled.form if compiled else None
    return {k: v for k, v in data.items() if form is not None and form.has_field(k) and not form.field(k).private}


def view(rt: Runtime, actor: Actor, record: Any) -> RecordView:
    """The record as this actor may see it (the one function every read returns records through)."""
    return RecordView(
        id=record.id, form_id=record.form_id, receipt_code=record.receipt_code, state=record.state,
        title=record.title, township=record.township, station=record.station, channel=record.channel,
        created_at=record.created_at, created_by=record.created_by, profile_version=record.profile_version,
        data=visible_data(rt, actor, record.form_id, record.data or {}), group_id=record.group_id,
    )


# -- who may do what, as a table (docs/security.md holds the default profile's; a test holds it to
# the profile, and the permission-matrix test holds every engine action to the table) -------------

OWN_RECORDS = "own township / station"
OWN_TOWNSHIP = "own township"
COUNTY_WIDE = "county-wide accounts only"
ANY = "—"


@dataclass(frozen=True)
class PolicyRow:
    """One thing someone may do: on `subject` (a code such as `form suggestion`), the `step`, by
    `roles` (`public`: anyone), within `scope`."""

    subject: str
    step: str
    roles: tuple[str, ...]
    scope: str


def policy_rows(profile: Profile) -> list[PolicyRow]:
    """Every role check the engine makes, read from the profile, in the profile's order."""
    rows: list[PolicyRow] = []
    for form in profile.forms.values():
        subject = f"form {form.id}"
        a = form.access
        rows += [PolicyRow(subject, step, roles, OWN_RECORDS) for step, roles in (
            ("submit", a.submit), ("list", a.list), ("view", a.view)) if roles]  # a sheet's form: filed as a sheet
        if any(f.private for f in form.fields):
            rows.append(PolicyRow(subject, "personal data", a.view if a.personal_data is None else a.personal_data,
                                  OWN_RECORDS))
    for wf in profile.workflows.values():
        for form in (f for f in profile.forms.values() if f.workflow == wf.id):
            seen: dict[str, set[str]] = {}
            for t in wf.transitions:
                if not t.automatic:
                    seen.setdefault(t.action, set()).update(t.roles)
            rows += [PolicyRow(f"workflow {form.id}", f"action {action}", tuple(sorted(roles)), OWN_RECORDS)
                     for action, roles in seen.items()]
            rows += [PolicyRow(f"workflow {form.id}", f"sheet {s.form}", s.roles,
                               OWN_RECORDS + (", own group" if s.group_only else "")) for s in wf.sheets]
            rows += [PolicyRow(f"workflow {form.id}", kind, getattr(wf, kind).roles, OWN_RECORDS)
                     for kind in ("merge", "split") if getattr(wf, kind, None) is not None]
    for vote in profile.votes.values():
        rows += [PolicyRow(f"vote {vote.id}", "presidium", vote.roles.presidium, OWN_TOWNSHIP),
                 PolicyRow(f"vote {vote.id}", "tellers", vote.roles.tellers, OWN_TOWNSHIP),
                 PolicyRow(f"vote {vote.id}", "voters", vote.roles.voters, "on the round's roster")]
    for pool in profile.funds.values():
        rows += [PolicyRow(f"fund {pool.id}", "contribute", pool.roles.contribute, COUNTY_WIDE),
                 PolicyRow(f"fund {pool.id}", "allocate", pool.roles.allocate, OWN_RECORDS),
                 PolicyRow(f"fund {pool.id}", "pay", pool.roles.pay, OWN_RECORDS),
                 PolicyRow(f"fund {pool.id}", "view", pool.roles.view, OWN_RECORDS)]
    rows += [PolicyRow(f"delivery {d.id}", "view", d.roles.view, OWN_RECORDS) for d in profile.delivery.values()]
    rows += [PolicyRow(f"import {m.id}", "import", m.roles, "rows of own township / station")
             for m in profile.imports.values()]
    rows += [PolicyRow(f"document {d.id}", "print", d.roles, OWN_RECORDS if d.kind in ("letter", "message") else ANY)
             for d in profile.documents.values()]
    rows += [PolicyRow(f"report {r.id}", "make", r.roles, ANY) for r in profile.reports.values()]
    rows += [PolicyRow("county", step, getattr(profile.county.permissions, step), ANY)
             for step in ("manage_users", "edit_profile")]
    return rows


def policy_markdown(profile: Profile) -> str:
    """The table of `policy_rows` as Markdown (`minsheng policy`; docs/security.md)."""
    lines = ["| subject | step | roles | scope |", "|---|---|---|---|"]
    for row in policy_rows(profile):
        lines.append(f"| `{row.subject}` | {row.step} | {', '.join(row.roles) or 'nobody'} | {row.scope} |")
    return "\n".join(lines) + "\n"
