"""Checks of demo.yaml against the rest of the profile: the forms, fields, roles, townships and
deliveries the demo year names exist, and its groups add up to its suggestions."""
from __future__ import annotations

from typing import Mapping

from pydantic import BaseModel

from demo.schema import DEMO_FILE_NAME, Demo
from engine.profile.checks.references import check_role_ids
from engine.profile.problems import did_you_mean
from engine.profile.reader import FileReader
from engine.schema.county import County


def check_demo(reader: FileReader, county: County, grouped: Mapping[str, Mapping[str, tuple[str, BaseModel]]],
               demo: Demo) -> None:
    township_ids = [t.id for t in county.townships]
    group_ids = [g.id for g in county.groups]
    forms = {k: v for k, (_, v) in grouped["forms"].items()}
    broken_forms = {stem for folder, stem in reader.broken if folder == "forms"}
    for key in ("session_form", "suggestion_form"):
        fid = getattr(demo, key)
        if fid not in forms and fid not in broken_forms:
            reader.add(DEMO_FILE_NAME, (key,), f"unknown form {fid!r}{did_you_mean(fid, list(forms))}")
    for i, account in enumerate(demo.accounts):
        check_role_ids(reader, county, DEMO_FILE_NAME, ("accounts", i, "roles"), account.roles, False)
        if account.township and account.township not in township_ids:
            reader.add(DEMO_FILE_NAME, ("accounts", i, "township"), f"unknown township {account.township!r}")
        for j, group in enumerate(account.groups):
            if group not in group_ids:
                reader.add(DEMO_FILE_NAME, ("accounts", i, "groups", j), f"unknown group {group!r}"
                           f"{did_you_mean(group, group_ids)}; groups are declared in county.yaml")
    for key, form_key in (("suggestion_samples", "suggestion_form"), ("session_samples", "session_form")):
        form = forms.get(getattr(demo, form_key))
        if form is None:
            continue
        for i, sample in enumerate(getattr(demo, key)):
            for fid in sample:
                if not form.has_field(fid):
                    reader.add(DEMO_FILE_NAME, (key, i, fid), f"form {form.id!r} has no field {fid!r}")
    check_stages(reader, demo, forms, {k: v for k, (_, v) in grouped["delivery"].items()})


def check_stages(reader: FileReader, demo: Demo, forms: dict, deliveries: dict) -> None:
    """The demo's stages name real forms and fields, and its groups add up to its suggestions."""
    def fields_of(at: tuple, form_id: str, values) -> None:
        form = forms.get(form_id)
        if form is None:
            if ("forms", form_id) not in reader.broken:  # a form that failed to load has said why
                reader.add(DEMO_FILE_NAME, at, f"unknown form {form_id!r}{did_you_mean(form_id, list(forms))}")
            return
        for fid in values:
            if not form.has_field(fid):
                reader.add(DEMO_FILE_NAME, at, f"form {form_id!r} has no field {fid!r}"
                           f"{did_you_mean(fid, [f.id for f in form.fields])}")

    screening = demo.screening
    if screening is not None:
        for i, member in enumerate(screening.members):
            fields_of(("screening", "members", i), screening.sheet, member)
        for i, band in enumerate(screening.bands):
            fields_of(("screening", "bands", i, "marks"), screening.sheet, band.marks)
            check_marks(reader, ("screening", "bands", i), band, forms.get(screening.sheet))
        if screening.answers is not None:
            for i, values in enumerate(screening.answers.values):
                fields_of(("screening", "answers", "values", i), screening.answers.sheet, values)
        planned = sum(b.count for b in screening.bands) + screening.duplicates
        if planned != demo.suggestions:
            reader.add(DEMO_FILE_NAME, ("screening", "bands"), f"the bands ({planned - screening.duplicates}) and "
                       f"duplicates ({screening.duplicates}) add up to {planned}, not suggestions: {demo.suggestions}")
    if demo.review is not None:
        for i, opinion in enumerate(demo.review.opinions):
            fields_of(("review", "opinions", i), demo.review.sheet, opinion)
    rating = demo.evaluation
    if rating is not None:
        for i, values in enumerate(rating.values):
            fields_of(("evaluation", "values", i), rating.sheet, {**values, rating.rater_field: 1, rating.rating_field: 1})
        fields_of(("evaluation", "order", "values"), rating.order.action, rating.order.values)
    spec = demo.delivery
    if spec is not None:
        d = deliveries.get(spec.delivery)
        if d is None:
            reader.add(DEMO_FILE_NAME, ("delivery", "delivery"), f"unknown delivery {spec.delivery!r}"
                       f"{did_you_mean(spec.delivery, list(deliveries))}")
            return
        fields_of(("delivery", "listing"), d.responsibility.form, spec.listing)
        fields_of(("delivery", "report"), d.progress.form, spec.report)
        for i, values in enumerate(spec.supervision):
            fields_of(("delivery", "supervision", i), d.supervision[0], values)
        for i, values in enumerate(spec.follow_ups):
            fields_of(("delivery", "follow_ups", i), d.follow_up.form, values)
        if spec.duty_form:
            for i, values in enumerate(spec.duties):
                fields_of(("delivery", "duties", i), spec.duty_form, values)
        if spec.needs and d.funding_needs is None:
            reader.add(DEMO_FILE_NAME, ("delivery", "needs"), f"delivery {d.id!r} has no funding_needs")
        elif d.funding_needs is not None:
            for i, values in enumerate(spec.needs):
                fields_of(("delivery", "needs", i), d.funding_needs.form, values)


def check_marks(reader: FileReader, at: tuple, band, form) -> None:
    """Each range runs from its lowest to its highest mark in whole steps, and a mark that is not
    whole goes to a field that takes one."""
    whole = band.step == band.step.to_integral_value()
    for fid, (low, high) in band.marks.items():
        if low > high:
            reader.add(DEMO_FILE_NAME, at + ("marks", fid), f"the lowest mark ({low}) is above the highest ({high})")
        elif (high - low) % band.step:
            reader.add(DEMO_FILE_NAME, at + ("marks", fid), f"[{low}, {high}] is not a whole number of steps of {band.step}")
        field = form.field(fid) if form is not None and form.has_field(fid) else None
        if field is not None and field.type in ("score", "integer") and not (
                whole and low == low.to_integral_value()):
            reader.add(DEMO_FILE_NAME, at + ("step",) if not whole else at + ("marks", fid),
                       f"field {fid!r} of form {form.id!r} takes whole marks ({field.type}); "
                       "make it a number field to give marks such as 3.5")
