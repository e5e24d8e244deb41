"""The county's escalation rules, applied by every `tick` in batches: flags that start to hold are raised,
those that stop holding are cleared."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping

from sqlalchemy import select

from engine.store.audit import now
from engine.schema.delivery import Delivery
from engine.core.runtime import Runtime
from engine.core import events
from engine.core.actors import SYSTEM
from engine.core.events import JobResult
from engine.store.anyof import any_of
from engine.store.tables import Flag, Record

from engine.features.delivery.specs import project_batches
from engine.features.delivery.flags import NewFlag, clear_flag, raise_flags
from engine.features.delivery.status import keep_figures, kept_day_figures, statuses


@dataclass
class EscalationReport:
    raised: int = 0
    cleared: int = 0
    details: list[str] = field(default_factory=list)


def check_escalations(rt: Runtime, at: dt.datetime | None = None) -> EscalationReport:
    """Every escalation rule against every project under delivery: a flag when a rule starts to
    hold (its roles told once), cleared when it stops. Run by `minsheng tick`, as of `at`.

    Projects are read in batches, each with a few queries; the flags that change in a batch are
    written in one transaction (which looks at the open flags again, so two ticks at once still
    raise a flag once)."""
    at = at or now()
    today = at.date()
    report = EscalationReport()
    for d in rt.profile.delivery.values():
        if not d.escalations:
            continue
        for ids in project_batches(rt, d):
            raising: list[NewFlag] = []
            clearing = []
            with rt.db.read() as session:
                flagged = set(session.execute(select(Flag.record_id, Flag.rule).where(
                    any_of(Flag.record_id, ids), Flag.subject == "", Flag.cleared_at.is_(None))).all())
                projects = list(session.execute(select(Record.__table__).where(any_of(Record.id, ids))
                                                .order_by(Record.id)))
                groups: dict[int, tuple[Runtime, Delivery, list]] = {}  # one per version's delivery spec
                for record in projects:
                    vrt = rt.for_version(record.profile_version)
                    vd = vrt.profile.delivery.get(d.id)
                    if vd is not None:
                        groups.setdefault(id(vd), (vrt, vd, []))[2].append(record)
                for vrt, vd, group in groups.values():
                    figures = kept_day_figures(session, vd, group, today)
                    unkept = [r for r in group if r.id not in figures]  # none once `tick` has kept them
                    figures.update({r.id: s.figures for r, s in zip(unkept, statuses(rt, session, vd, unkept, today, SYSTEM))})
                    for record in group:
                        _escalate(vrt, vd, record, figures[record.id], flagged, raising, clearing)
            if not raising and not clearing:
                continue
            with rt.db.transaction() as session:
                for raised in raise_flags(session, raising, at):
                    report.raised += 1
                    report.details.append(f"record {raised.record_id}: {raised.rule}")
                for record_id, version, rule, figures in clearing:
                    if clear_flag(session, record_id, rule.id, "", _no_longer(rule.when, figures), version, at):
                        report.cleared += 1
    return report


@events.tick_jobs
def _tick_escalations(rt: Runtime, at: dt.datetime) -> JobResult:
    """Every tick: projects without kept figures (after an upgrade) get them, then the escalation rules."""
    for d in rt.profile.delivery.values():
        keep_figures(rt, d)
    report = check_escalations(rt, at)
    return JobResult(Counter(flags_raised=report.raised, flags_cleared=report.cleared), report.details)


def _escalate(vrt: Runtime, d: Delivery, record: Any, figures: Mapping[str, int], flagged: set,
              raising: list, clearing: list) -> None:
    """Which of the project's escalation flags must be raised or cleared now."""
    values = {k: Decimal(v) for k, v in figures.items()}
    for rule in d.escalations:
        holds = vrt.profile.conditions[("delivery", d.id, f"escalation:{rule.id}")](values)
        if holds and (record.id, rule.id) not in flagged:
            raising.append(NewFlag(record.id, d, rule.id, "", rule.watch_list, rule.notify,
                                   rule.reason.format(**figures), record.profile_version))
        elif not holds and (record.id, rule.id) in flagged:
            clearing.append((record.id, record.profile_version, rule, figures))


def _no_longer(when: str, figures: Mapping[str, int]) -> str:
    shown = ", ".join(f"{k} = {v}" for k, v in figures.items() if k in when)
    return f"no longer: {when} ({shown})"
