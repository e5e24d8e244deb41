"""The demo year's delivery: responsibility lists, milestones, progress reported on time, late or
not at all, supervision and follow-ups, acceptance and final payments.

Time is played forward: the reports dated before a milestone's date are filed, then `tick` runs
as of the day after it, so late milestones are flagged and escalations raised exactly as they
would have been that day; reports filed afterwards clear them. Nothing here decides a flag.
"""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import select

from engine.kernel import clock
from demo.schema import Demo
from engine.core.record_queries import not_merged
from engine.core.runtime import Runtime
from engine.features import delivery, funds
from engine.core import sheets
from demo.samples import own_date
from engine.core.actors import SYSTEM
from engine.jobs import tick
from engine.core.workflow import transition
from engine.store.tables import FundPoolYear, Record


def deliver(rt: Runtime, demo: Demo, rng: random.Random) -> str:
    spec = demo.delivery
    d = delivery.spec(rt, spec.delivery)
    year = rt.profile.county.year
    with rt.db.read() as session:
        projects = list(session.scalars(select(Record.id).where(
            Record.form_id == d.form, Record.state.in_(d.states), not_merged()).order_by(Record.id)))
        pool = session.scalar(select(FundPoolYear.id).where(FundPoolYear.fund_id == d.fund, FundPoolYear.year == year)
                              ) if d.fund else None
    if not projects:
        return "delivery: no chosen projects"
    allocation = {p: funds.balance(rt, SYSTEM, pool, p).allocated if pool else Decimal(0) for p in projects}
    due = [dt.date(year, int(m.due[:2]), int(m.due[3:])) for m in spec.milestones]
    order = projects[:]
    rng.shuffle(order)
    n_on = round(len(order) * spec.outcomes.on_time / 100)
    n_late = round(len(order) * spec.outcomes.late / 100)
    _one_behind_for_the_accounts(rt, demo, d, order, n_on + n_late)
    fate = {p: "on_time" if i < n_on else "late" if i < n_on + n_late else "behind" for i, p in enumerate(order)}

    events: list[tuple[dt.date, int, int, int]] = []  # (day, project, milestone index, kind 0 = report)
    start = demo.calendar.delivery if demo.calendar else None
    groups = [g.id for g in rt.profile.county.groups] or [""]
    for k, p in enumerate(projects):
        _plan(rt, spec, d, p, allocation[p], due, start, groups[k % len(groups)])
        late_ones = set(rng.sample(range(len(due)), rng.randint(1, 2))) if fate[p] == "late" else set()
        reached = 1 if fate[p] == "behind" else len(due)
        for i in range(reached):
            day = due[i] + dt.timedelta(days=rng.randint(10, 45)) if i in late_ones else due[i] - dt.timedelta(
                days=rng.randint(2, 20))
            events.append((day, p, i, 0))
    events += [(day + dt.timedelta(days=d.overdue.grace_days + 1), 0, i, 1) for i, day in enumerate(due)]
    events.sort(key=lambda e: (e[0], e[3], e[1]))

    completed = 0
    for day, p, i, kind in events:
        if kind == 1:
            tick(rt, dt.datetime.combine(day, dt.time(8), tzinfo=dt.timezone.utc))
            continue
        m = spec.milestones[i]
        with clock.at(day):
            sheets.file_sheet(rt, SYSTEM, p, d.progress.form, {**_filled(spec.report, milestone=m.name),
                                                              d.progress.date: day.isoformat(),
                                                              d.progress.percent: m.percent,
                                                              d.progress.milestone: m.name})
        if i == len(due) - 1:
            completed += 1
            accepted = day + dt.timedelta(days=5)
            with clock.at(accepted):
                transition(rt, SYSTEM, p, spec.complete_action, _filled(spec.acceptance, date=accepted.isoformat()))
                if pool:
                    money = funds.balance(rt, SYSTEM, pool, p)
                    rest = money.allocated - money.paid
                    if rest > 0:
                        funds.pay(rt, SYSTEM, pool, p, rest, accepted, demo.funds.payment.payee, spec.final_payment,
                                  demo.funds.payment.approver, demo.funds.payment.document_ref.format(n=p))
    return _finish(rt, spec, d, projects, fate, completed)


def _one_behind_for_the_accounts(rt: Runtime, demo: Demo, d, order: list[int], first_behind: int) -> None:
    """Put a project of the township of a demo account that reports progress (the unit) among
    those still under way (order[first_behind:]), so that account has a report to file."""
    wf = rt.profile.workflows[rt.profile.forms[d.form].workflow]
    sheet = wf.sheet(d.progress.form)
    towns = {a.township for a in demo.accounts if a.township and sheet and set(a.roles) & set(sheet.roles)}
    if not towns or first_behind >= len(order):
        return
    with rt.db.read() as session:
        township = dict(session.execute(select(Record.id, Record.township).where(Record.id.in_(order))).all())
    if any(township[p] in towns for p in order[first_behind:]):
        return
    mine = next((i for i, p in enumerate(order) if township[p] in towns), None)
    if mine is not None:  # swap it with the first project under way
        order[mine], order[first_behind] = order[first_behind], order[mine]


def _plan(rt: Runtime, spec, d, p: int, allocated: Decimal, due: list[dt.date], start: dt.date | None,
          group: str) -> None:
    """A project's responsibility list (naming its group, if the profile has groups), department
    duties, funding needs and milestones; started."""
    with clock.at(start):
        township = rt.reference_label("townships", _township(rt, p))
        sheets.file_sheet(rt, SYSTEM, p, d.responsibility.form, _filled(spec.listing, township=township, group=group))
        for duty in spec.duties:
            sheets.file_sheet(rt, SYSTEM, p, spec.duty_form, duty)
        if d.funding_needs is not None:
            for need in spec.needs:
                amount = (allocated * Decimal(str(need[d.funding_needs.amount])) / 100).quantize(Decimal(100))
                sheets.file_sheet(rt, SYSTEM, p, d.funding_needs.form,
                                  {**need, d.funding_needs.amount: str(max(amount, Decimal(100)))})
        for m, day in zip(spec.milestones, due):
            sheets.file_sheet(rt, SYSTEM, p, d.milestones.form, {d.milestones.name: m.name, d.milestones.due: day.isoformat()})
        transition(rt, SYSTEM, p, spec.start_action)


def _finish(rt: Runtime, spec, d, projects: list[int], fate: dict, completed: int) -> str:
    supervised = _supervise(rt, spec, d, projects)
    tick(rt)  # as of today: escalations for projects still behind and follow-ups overdue
    flags = delivery.open_flags(rt, SYSTEM, d.id, limit=10_000)
    watched = len({f.record_id for f, _, _ in flags if f.watch})
    behind = sum(1 for f in fate.values() if f == "behind")
    return (f"delivery: {len(projects)} projects started, {completed} completed "
            f"({sum(1 for f in fate.values() if f == 'late')} with late milestones), {behind} behind; "
            f"{supervised}; {len(flags)} open alerts, {watched} projects on the watch list")


def _supervise(rt: Runtime, spec, d, projects: list[int]) -> str:
    n = len(projects)
    for i, record in enumerate(spec.supervision):
        for j in range(3):
            with clock.at(own_date(record)):
                sheets.file_sheet(rt, SYSTEM, projects[(i * 7 + j * 11) % n], d.supervision[0], record)
    follow_ups = 0
    for i, action in enumerate(spec.follow_ups):
        due = own_date(action)
        for j in range(3):
            with clock.at(due and due - dt.timedelta(days=20)):
                made = sheets.file_sheet(rt, SYSTEM, projects[(i * 5 + j * 13 + 3) % n], d.follow_up.form, action)
            if follow_ups % 2 == 0:
                for step in spec.close_steps:
                    with clock.at(own_date(step.values) or (due and due - dt.timedelta(days=5))):
                        transition(rt, SYSTEM, made.id, step.action, step.values or None)
            follow_ups += 1
    return f"{len(spec.supervision) * 3} supervision records, {follow_ups} follow-up actions ({(follow_ups + 1) // 2} closed)"


def _township(rt: Runtime, record_id: int) -> str:
    with rt.db.read() as session:
        return session.get(Record, record_id).township or ""


def _filled(values: dict, **words: str) -> dict:
    return {k: v.format(**words) if isinstance(v, str) else v for k, v in values.items()}


def evaluate(rt: Runtime, demo: Demo, rng: random.Random) -> str:
    """The deputies rate every completed project; the profile's rules decide which pass. The poorly
    rated get a rectification order; some report it done and are rated again."""
    spec = demo.evaluation
    form = rt.profile.forms[demo.suggestion_form]
    wf = rt.profile.workflows[form.workflow]
    starts = {s for t in wf.transitions if t.action == spec.action for s in t.from_}
    with rt.db.read() as session:
        done = list(session.scalars(select(Record.id).where(
            Record.form_id == demo.suggestion_form, Record.state.in_(starts), not_merged()).order_by(Record.id)))
        raters = {a.township for a in demo.accounts if a.township and set(a.roles) & set(wf.sheet(spec.sheet).roles)}
        left = [r for r in reversed(done) if session.get(Record, r).township in raters][:spec.left_to_rate]
    done = [r for r in done if r not in left]  # left for the demo's own deputy to rate
    poor = set(rng.sample(done, min(spec.poorly_rated, len(done))))
    people = list(demo.people)

    def rate(record_id: int, pool: tuple[str, ...]) -> None:
        for n, name in enumerate(rng.sample(people, min(spec.raters, len(people)))):
            sheets.file_sheet(rt, SYSTEM, record_id, spec.sheet, {**spec.values[n % len(spec.values)],
                                                                  spec.rater_field: name,
                                                                  spec.rating_field: rng.choice(pool)})
        day = clock.now().date().isoformat()
        transition(rt, SYSTEM, record_id, spec.action, _filled(spec.action_values, date=day) or None)

    day = demo.calendar.evaluation if demo.calendar else None
    with clock.at(day):
        for record_id in done:
            rate(record_id, spec.poor if record_id in poor else spec.good)
    ordered_in = wf.sheet(spec.order.action).states  # the states a rectification order is filed in
    failed = sorted(r for r in done if _state(rt, r) in ordered_in)
    with clock.at(day and day + dt.timedelta(days=3)):
        for record_id in failed:
            sheets.file_sheet(rt, SYSTEM, record_id, spec.order.action, spec.order.values)
    rectified = failed[:spec.rectified]
    reported = own_date(spec.report.values)
    for record_id in rectified:
        with clock.at(reported):
            transition(rt, SYSTEM, record_id, spec.report.action, spec.report.values)
        with clock.at(reported and reported + dt.timedelta(days=7)):
            rate(record_id, spec.good)
    tick(rt)  # as of today: an order not reported in time is overdue
    return (f"evaluation: {len(done)} projects rated by {spec.raters} deputies each; {len(failed)} below the "
            f"threshold and ordered to rectify, {len(rectified)} rectified and rated again"
            + (f"; {len(left)} left for the demo accounts to rate" if left else ""))


def _state(rt: Runtime, record_id: int) -> str | None:
    with rt.db.read() as session:
        return session.get(Record, record_id).state
