"""The demo year after intake: score sheets, duplicates merged, screening, answers, pre-review.

Nothing here decides an outcome: the demo only files the sheets demo.yaml describes and takes
the workflow's actions; the profile's own rules decide, exactly as they would for staff.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal
from typing import Any

from demo.samples import date_in, raw_values_for
from demo.schema import Demo
from engine.kernel.errors import InputError, MinshengError
from engine.core.runtime import Runtime
from engine.kernel import clock
from engine.core import records, regroup, sheets
from engine.core.actors import SYSTEM
from engine.core.bulk import bulk_action
from engine.core.workflow import MERGED_INTO, transition
from engine.store.tables import RecordLink
from sqlalchemy import func
from demo.delivery import deliver
from demo.delivery import evaluate
from engine.core.actors import Actor
from engine.core.workflow import last_decision
from engine.features import funds
from engine.features import voting
from engine.output import documents
from engine.store.tables import Record
from engine.store.tables import VoteCandidate, VoteRoster, VoteRound
from sqlalchemy import select


def seed_stages(rt: Runtime, demo: Demo, rng: random.Random, made: list[tuple[int, dict[str, Any]]],
                phone: str) -> list[str]:
    """`made`: the demo suggestions (id, raw values) in the order they were entered."""
    screening = demo.screening
    if screening is None:
        return []
    lines = []
    order = list(range(len(made)))
    rng.shuffle(order)
    # One suggestion of every township first, so the first band (the admitted) reaches every
    # township and each township congress has a ballot to hold.
    first_of: dict = {}
    for i in order:
        first_of.setdefault(made[i][1].get("township"), i)
    leading = set(first_of.values())
    order = list(first_of.values()) + [i for i in order if i not in leading]
    bands: list[list[int]] = []
    start = 0
    for band in screening.bands:
        bands.append([made[i][0] for i in order[start:start + band.count]])
        start += band.count

    cal = demo.calendar
    if demo.vote is not None and demo.vote.carried_over:
        lines.append(_carry_over(rt, demo, rng, phone))

    # Duplicates: the same request from another proposer, in the same township; merged.
    firsts = [made[i] for i in order[:screening.bands[0].count]]
    for n in range(screening.duplicates):
        target_id, raw = firsts[n * 7 % len(firsts)]
        copy = dict(raw, proposer_name=rng.choice(list(demo.people)), phone=phone.format(rng.randrange(10 ** 8)))
        try:
            with clock.at(cal and cal.screening - dt.timedelta(days=3)):
                dup = records.submit(rt, SYSTEM, demo.suggestion_form, copy)
                regroup.merge(rt, SYSTEM, target_id, [dup.id], "demo: the same request")
        except InputError as exc:
            raise MinshengError(f"demo.yaml makes an invalid duplicate: {exc}") from None
    if screening.duplicates:
        lines.append(f"duplicates: {screening.duplicates} merged into admitted suggestions")

    # Every member scores every suggestion, within its band's marks.
    with clock.at(cal and cal.screening):
        for band, ids in zip(screening.bands, bands):
            for record_id in ids:
                _score(rt, demo, rng, record_id, band)
        report = bulk_action(rt, SYSTEM, demo.suggestion_form, screening.action)
    moved = ", ".join(f"{rt.state_label(demo.suggestion_form, s)} {n}" for s, n in report.moved.most_common())
    lines.append(f"screening: {report.considered} screened ({moved})")
    if report.refused:
        raise MinshengError(f"demo screening refused: {dict(report.refused)}")

    if screening.answers is not None:
        lines.append(_answer(rt, demo, rng, cal))
    with clock.at(cal and cal.review):
        if demo.review is not None:
            lines.append(_review(rt, demo, rng, bands[0]))
    with clock.at(cal and cal.vote):
        if demo.vote is not None:
            lines.append(_vote(rt, demo, rng, set(bands[0])))
    with clock.at(cal and cal.funds):
        if demo.funds is not None:
            lines.append(_fund(rt, demo, rng))
    if demo.delivery is not None:
        lines.append(deliver(rt, demo, rng))
    if demo.evaluation is not None:
        lines.append(evaluate(rt, demo, rng))
    return lines


def _answer(rt: Runtime, demo: Demo, rng: random.Random, cal) -> str:
    screening = demo.screening
    with clock.at(cal and cal.answers):
        answered = 0
        while True:
            waiting = sheets.awaiting(rt, SYSTEM, demo.suggestion_form, screening.answers.sheet, page_size=100)
            if not waiting.items:
                break
            for view in waiting.items:
                values = dict(screening.answers.values[answered % len(screening.answers.values)])
                values.update(_dates(rt, screening.answers.sheet, rng))
                sheets.file_sheet(rt, SYSTEM, view.id, screening.answers.sheet, values)
                for letter in _letters_for(rt, demo, view.id):  # sent the day of the answer
                    documents.issue_letter(rt, SYSTEM, letter, view.id)
                answered += 1
    return f"answers: {answered} proposers answered with the reasons"


def _letters_for(rt: Runtime, demo: Demo, record_id: int) -> list[str]:
    """The letters that apply to the record in its state now (the written answer)."""
    state = records.get(rt, SYSTEM, record_id)[0].state
    return [d.id for d in rt.profile.documents.values()
            if d.kind == "letter" and d.form == demo.suggestion_form and state in d.states]


def _fund(rt: Runtime, demo: Demo, rng: random.Random) -> str:
    """The year's pool, allocated in full to the chosen projects by their estimated costs."""
    spec = demo.funds
    rules = funds.pool_rules(rt, spec.fund)
    year = rt.profile.county.year
    pool = funds.open_pool(rt, SYSTEM, spec.fund, year)
    day = dt.date(year, 4, 30)
    for c in spec.contributions:
        funds.contribute(rt, SYSTEM, pool, c.source, c.amount, day, spec.payment.document_ref.format(n=0))
    total = sum((c.amount for c in spec.contributions), Decimal(0))
    with rt.db.read() as session:
        chosen = list(session.scalars(select(Record.id).where(
            Record.form_id == rules.form, Record.state.in_(rules.project_states),
            Record.id.not_in(select(RecordLink.record_id).where(RecordLink.field_id == MERGED_INTO)))
            .order_by(Record.id)))
    costs = {r: Decimal(str(((last_decision(rt, r) or {}).get("seen") or {}).get(spec.cost_field) or 1)) for r in chosen}
    whole = sum(costs.values(), Decimal(0))
    shares = {r: (total * costs[r] / whole).quantize(Decimal(100)) for r in chosen}  # whole hundreds of yuan
    shares[chosen[-1]] += total - sum(shares.values(), Decimal(0))
    paid = Decimal(0)
    for record_id, amount in shares.items():
        funds.allocate(rt, SYSTEM, pool, record_id, amount, day, spec.payment.approver,
                       spec.payment.document_ref.format(n=record_id))
        part = (amount * rng.randint(*spec.paid) / 100).quantize(Decimal(1))
        funds.pay(rt, SYSTEM, pool, record_id, part, dt.date(year, 7, 15), spec.payment.payee, spec.payment.purpose,
                  spec.payment.approver, spec.payment.document_ref.format(n=record_id))
        paid += part
    return f"funds: {total:,} yuan in the pool, allocated to {len(chosen)} projects; {paid:,} paid so far"


def _score(rt: Runtime, demo: Demo, rng: random.Random, record_id: int, band) -> None:
    screening = demo.screening
    names = rng.sample(list(demo.people), k=len(screening.members))  # distinct members
    for member, name in zip(screening.members, names):
        values = dict(member, member=name)
        values.update({f: _mark(rng, low, high, band.step) for f, (low, high) in band.marks.items()})
        sheets.file_sheet(rt, SYSTEM, record_id, screening.sheet, values)


def _mark(rng: random.Random, low: Decimal, high: Decimal, step: Decimal) -> int | str:
    """A mark between low and high in whole steps: an int for whole marks, else its text (3.5)."""
    mark = low + step * rng.randint(0, int((high - low) / step))
    return int(mark) if mark == mark.to_integral_value() else str(mark.normalize())


def _carry_over(rt: Runtime, demo: Demo, rng: random.Random, phone: str) -> str:
    """Last year's reserve projects still in the pool: entered with last year's dates, admitted
    by the same rules, and reviewed again this year into candidates."""
    year = rt.profile.county.year
    form = rt.form(demo.suggestion_form).form
    made = []
    for township in rt.profile.county.townships:
        station = next((s.id for s in rt.profile.county.stations if s.township == township.id), None)
        for _ in range(demo.vote.carried_over):
            raw = raw_values_for(form, rng, rt, list(demo.people), phone, demo.suggestion_samples, township.id, station)
            for f in form.fields:
                if f.type == "date" and f.id in raw:
                    raw[f.id] = dt.date(year - 1, rng.randint(3, 9), rng.randint(1, 28)).isoformat()
                if f.type == "reference" and f.to.startswith("form:"):
                    raw.pop(f.id, None)
            channel = next((f for f in form.fields if f.to == "channels"), None)
            if channel is not None:
                raw[channel.id] = channel.default or raw.get(channel.id)
            day = next(dt.date.fromisoformat(raw[f.id]) for f in form.fields if f.type == "date" and f.id in raw)
            with clock.at(day):
                view = records.submit(rt, SYSTEM, demo.suggestion_form, raw)
            with clock.at(day + dt.timedelta(days=20)):  # screened that year, into the reserve pool
                _score(rt, demo, rng, view.id, demo.screening.bands[0])
                transition(rt, SYSTEM, view.id, demo.screening.action)
            made.append(view.id)
    if demo.review is not None:
        with clock.at(demo.calendar and demo.calendar.review):
            _review(rt, demo, rng, made)
    return f"carried over from {year - 1}: {len(made)} reserve projects, reviewed again into candidates"


def _vote(rt: Runtime, demo: Demo, rng: random.Random, this_year: set[int]) -> str:
    """Each township congress: the roster entered, the session's attendance, one ballot per
    present deputy, the count by the profile's rules (run-offs and further ballots if called)."""
    spec = demo.vote
    rules = voting.vote_rules(rt, spec.vote)
    chosen_total, townships_voting, ballots, ties = 0, 0, 0, 0
    for township in rt.profile.county.townships:
        for n in range(spec.deputies_per_township):
            account = spec.accounts.get(township.id) if n == 0 else None
            records.submit(rt, SYSTEM, rules.roster.form, {
                rules.roster.name: f"{rng.choice(list(demo.people))}{n + 1:02d}", "township": township.id,
                rules.roster.account: account or f"{township.id}_d{n + 1:02d}"})
        with rt.db.read() as session:
            candidates = list(session.scalars(select(Record.id).where(
                Record.form_id == rules.form, Record.township == township.id,
                Record.state.in_(rules.candidate_states),
                Record.id.not_in(select(RecordLink.record_id).where(RecordLink.field_id == MERGED_INTO)))
                .order_by(Record.id)))
        places = sum(1 for c in candidates if c in this_year)
        if not places:
            continue
        roster = voting.roster_from_records(rt, spec.vote, township.id)
        budget = None
        if rules.places_by == "budget":  # the money this year's own candidates need: they all fit
            with rt.db.read() as session:
                costs = voting.candidate_costs(session, rt, rules, [str(c) for c in candidates if c in this_year])
            budget = sum((cost or Decimal(0) for cost in costs.values()), Decimal(0)).quantize(Decimal("0.01"))
        round_id = voting.create_round(rt, SYSTEM, spec.vote, township.id,
                                       f"{township.name} {rt.profile.county.year}", places, candidates, roster,
                                       budget=budget)
        for deputy, *_ in roster:
            if rng.randrange(100) >= spec.present and deputy != spec.accounts.get(township.id):
                voting.set_status(rt, SYSTEM, round_id, deputy, "leave")
        townships_voting += 1
        tie = ties < spec.ties and places >= 2 and len(candidates) > places
        ties += tie
        while round_id is not None:
            ballots += _hold(rt, rng, spec, round_id, this_year, tie)
            round_id, tie = voting.follow_up(rt, round_id), False
    with rt.db.read() as session:
        chosen_total = session.scalar(select(func.count()).select_from(Record).where(
            Record.form_id == rules.form, Record.state == "chosen",
            Record.id.not_in(select(RecordLink.record_id).where(RecordLink.field_id == MERGED_INTO)))) or 0
    return (f"votes: {townships_voting} township congresses, {ballots} ballots, "
            f"{chosen_total} projects chosen" + (f", {ties} tie(s) at the last place decided by the tie-break"
                                                 if ties else ""))


def _hold(rt: Runtime, rng: random.Random, spec, round_id: int, this_year: set[int], tie: bool = False) -> int:
    count_key = voting.open_round(rt, SYSTEM, round_id)  # the presidium keeps it until the count
    with rt.db.read() as session:
        row = session.get(VoteRound, round_id)
        places, members = row.places, row.members
        candidates = list(session.scalars(select(VoteCandidate.record_id).where(VoteCandidate.round_id == round_id)
                                          .order_by(VoteCandidate.position)))
        present = list(session.scalars(select(VoteRoster.deputy).where(
            VoteRoster.round_id == round_id, VoteRoster.status == "present")))
    ours = [c for c in candidates if c in this_year]
    others = [c for c in candidates if c not in this_year]
    tied = _tied_ballots(ours, others, places, members, len(present)) if tie else None
    rules = voting.vote_rules(rt, spec.vote)
    for i, deputy in enumerate(present):
        if tied is not None:
            approved = tied[i]
        else:
            approved = [c for c in ours if rng.randrange(100) < spec.approval][:places]
            if len(approved) < places and others and rng.randrange(100) < 30:
                approved.append(rng.choice(others))
        voting.cast(rt, Actor(deputy, deputy, frozenset(rules.roles.voters)), round_id, {str(c): "yes" for c in approved})
    voting.close_round(rt, SYSTEM, round_id)
    # the presidium, where the rules leave a tie to it, takes this year's project of the two
    choice = [str(ours[-1])] if tied is not None and rules.tie_break == "presidium" else None
    voting.count_round(rt, SYSTEM, round_id, choice, count_key=count_key)
    return len(present)


def _tied_ballots(ours: list[int], others: list[int], places: int, members: int, present: int) -> list[list[int]] | None:
    """Ballots of `present` deputies on which this year's last project X and a carried-over one Y
    tie at the last place, both passing: everyone approves the first places - 2 projects, then a
    deputies approve W (the second-last) and X, a approve W and Y, c approve X and Y. X and Y get
    a + c each, more than half of the members when c > members - present; W gets 2a, above them
    when a > c. None when too few are present for that."""
    if places < 2 or len(ours) < places or not others:
        return None
    c = members - present + 1
    c += (present - c) % 2  # a = (present - c) / 2 must be whole
    a = (present - c) // 2
    if a <= c:
        return None
    first, (w, x), y = ours[:places - 2], ours[places - 2:places], others[0]
    return [first + [w, x]] * a + [first + [w, y]] * a + [first + [x, y]] * c


def _dates(rt: Runtime, form_id: str, rng: random.Random) -> dict[str, str]:
    year = rt.profile.county.year
    return {f.id: date_in(rng, year, 3, 4).isoformat() for f in rt.profile.forms[form_id].fields if f.type == "date"}


def _review(rt: Runtime, demo: Demo, rng: random.Random, admitted: list[int]) -> str:
    review = demo.review
    outcomes: Counter = Counter()
    total = Decimal(0)
    for n, record_id in enumerate(sorted(admitted), start=1):
        for opinion in review.opinions:
            sheets.file_sheet(rt, SYSTEM, record_id, review.sheet, dict(opinion))
        values = {k: v.format(n=n) if isinstance(v, str) else v for k, v in review.values.items()}
        if review.cost_field:
            low, high = review.cost_range
            cost = Decimal(rng.randrange(low // 1000, high // 1000 + 1) * 1000)
            values[review.cost_field] = str(cost)
            total += cost
        outcomes[transition(rt, SYSTEM, record_id, review.action, values).state] += 1
    moved = ", ".join(f"{rt.state_label(demo.suggestion_form, s)} {k}" for s, k in outcomes.most_common())
    return f"pre-review: {len(admitted)} projects reviewed ({moved}); estimated cost {total:,} yuan in all"
