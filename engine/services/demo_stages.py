"""The demo year after intake: score sheets, duplicates merged, screening, answers, pre-review.

Nothing here decides an outcome: the demo only files the sheets demo.yaml describes and takes
the workflow's actions; the profile's own rules decide, exactly as they would for staff.
"""
from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal
from typing import Any

from engine.config.demo import Demo
from engine.errors import InputError, MinshengError
from engine.runtime import Runtime
from engine.services import records, regroup, sheets
from engine.services.actors import SYSTEM
from engine.services.bulk import bulk_action
from engine.services.workflow import transition


def seed_stages(rt: Runtime, demo: Demo, rng: random.Random, made: list[tuple[int, dict[str, Any]]],
                phone: str) -> list[str]:
    """`made`: the demo suggestions (id, raw values) in the order they were entered."""
    screening = demo.screening
    if screening is None:
        return []
    lines = []
    order = list(range(len(made)))
    rng.shuffle(order)
    bands: list[list[int]] = []
    start = 0
    for band in screening.bands:
        bands.append([made[i][0] for i in order[start:start + band.count]])
        start += band.count

    # Duplicates: the same request from another proposer, in the same township; merged.
    firsts = [made[i] for i in order[:screening.bands[0].count]]
    for n in range(screening.duplicates):
        target_id, raw = firsts[n * 7 % len(firsts)]
        copy = dict(raw, proposer_name=rng.choice(list(demo.people)), phone=phone.format(rng.randrange(10 ** 8)))
        try:
            dup = records.submit(rt, SYSTEM, demo.suggestion_form, copy)
        except InputError as exc:
            raise MinshengError(f"demo.yaml makes an invalid duplicate: {exc}") from None
        regroup.merge(rt, SYSTEM, target_id, [dup.id], "demo: the same request")
    if screening.duplicates:
        lines.append(f"duplicates: {screening.duplicates} merged into admitted suggestions")

    # Every member scores every suggestion, within its band's marks.
    for band, ids in zip(screening.bands, bands):
        for record_id in ids:
            names = rng.sample(list(demo.people), k=len(screening.members))  # distinct members
            for member, name in zip(screening.members, names):
                values = dict(member, member=name)
                values.update({f: rng.randint(low, high) for f, (low, high) in band.marks.items()})
                sheets.file_sheet(rt, SYSTEM, record_id, screening.sheet, values)
    report = bulk_action(rt, SYSTEM, demo.suggestion_form, screening.action)
    moved = ", ".join(f"{rt.state_label(demo.suggestion_form, s)} {n}" for s, n in report.moved.most_common())
    lines.append(f"screening: {report.considered} screened ({moved})")
    if report.refused:
        raise MinshengError(f"demo screening refused: {dict(report.refused)}")

    if screening.answers is not None:
        answered = 0
        while True:
            waiting = sheets.awaiting(rt, SYSTEM, demo.suggestion_form, screening.answers.sheet, page_size=100)
            if not waiting.items:
                break
            for view in waiting.items:
                values = dict(screening.answers.values[answered % len(screening.answers.values)])
                values.update(_dates(rt, screening.answers.sheet, rng))
                sheets.file_sheet(rt, SYSTEM, view.id, screening.answers.sheet, values)
                answered += 1
        lines.append(f"answers: {answered} proposers answered with the reasons")

    if demo.review is not None:
        lines.append(_review(rt, demo, rng, bands[0]))
    return lines


def _dates(rt: Runtime, form_id: str, rng: random.Random) -> dict[str, str]:
    from engine.services.demo import _date_in
    year = rt.profile.county.year
    return {f.id: _date_in(rng, year, 3, 4).isoformat() for f in rt.profile.forms[form_id].fields if f.type == "date"}


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
