"""What waits for a user: the work a start page shows, read from the profile.

For every form with a workflow the user may list: each action the user may take, with how many
records of the user's township (and station) are in a state it starts from; and each sheet the
user may file, with how many such records lack one from this user (or, for a sheet every record
awaits, such as an answer to the proposer, lack one at all); a sheet for the record's group only
counts, for a member of groups, their groups' records. Features add their own items through
`events.work_items` (a ballot open for this deputy). An administrator's are the accounts to see
to: locked ones, and ones still on the demo's password. A few GROUP BY queries whatever the number of
records, so the page stays fast at a province's size.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select

from engine.core import events
from engine.core.groups import group_scope
from engine.core.accounts import accounts_needing_care
from engine.core.actors import Actor
from engine.core.policy import scope_sql
from engine.core.runtime import Runtime
from engine.core.sheets import SUBJECT
from engine.store.tables import Record, RecordLink


@dataclass(frozen=True)
class WorkItem:
    """One kind of work waiting, counted: take `action` on, or file `sheet` about, `count` records
    of `form_id` in `states`; or a feature's own (`kind` names it, `page` the page that does it)."""

    kind: str  # "action", "sheet", or a feature's kind (e.g. "ballot")
    form_id: str | None
    name: str  # the action, the sheet's form, or the feature's item
    count: int
    states: tuple[str, ...] = ()
    page: str = ""  # for a feature's item: the url path of its page


def work_for(rt: Runtime, actor: Actor) -> list[WorkItem]:
    """Everything waiting for this user, most first within each form; none for the public."""
    if not actor.signed_in:
        return []
    items: list[WorkItem] = []
    with rt.db.read() as session:
        for form_id, compiled in rt.forms.items():
            form = compiled.form
            wf = rt.profile.workflows.get(form.workflow) if form.workflow else None
            if wf is None or not actor.may(form.access.list):
                continue
            actions: dict[str, set[str]] = {}
            for t in wf.transitions:
                if not t.automatic and actor.may(t.roles):
                    actions.setdefault(t.action, set()).update(t.from_)
            sheets = [s for s in wf.sheets if actor.may(s.roles)]
            if not actions and not sheets:
                continue
            by_state = dict(session.execute(select(Record.state, func.count()).where(
                Record.form_id == form_id, *scope_sql(rt, actor, form_id)).group_by(Record.state)).all())
            found = [WorkItem("action", form_id, action, sum(by_state.get(s, 0) for s in states),
                              tuple(s.id for s in wf.states if s.id in states))
                     for action, states in actions.items()]
            for sheet in sheets:
                if not any(by_state.get(s) for s in sheet.states):
                    continue
                found.append(WorkItem("sheet", form_id, sheet.form, _lacking(session, rt, actor, form_id, sheet),
                                      tuple(sheet.states)))
            items.extend(sorted((i for i in found if i.count), key=lambda i: -i.count))
        if actor.may(rt.profile.roles_for("manage_users")):  # an administrator's: accounts to see to
            items.extend(WorkItem(f"accounts_{what}", None, what, count, page="accounts")
                         for what, count in accounts_needing_care(session).items() if count)
        for hook in events.work_items:
            items.extend(i for i in hook(rt, session, actor) if i.count)
    return items


def _lacking(session, rt: Runtime, actor: Actor, form_id: str, sheet) -> int:
    """Records in the sheet's states without such a sheet: from this user, or (awaited) at all."""
    linked = Record.__table__.alias("sheet")
    mine = [linked.c.created_by == actor.username] if not sheet.awaited else []
    has_sheet = exists().where(and_(RecordLink.target_id == Record.id, RecordLink.field_id == SUBJECT,
                                    RecordLink.record_id == linked.c.id, linked.c.form_id == sheet.form, *mine))
    in_groups = group_scope(actor) if sheet.group_only else []  # a member's: their groups' records only
    return session.scalar(select(func.count()).select_from(Record).where(
        Record.form_id == form_id, Record.state.in_(list(sheet.states)), ~has_sheet, *scope_sql(rt, actor, form_id), *in_groups)) or 0
