"""Checks of reports/*.yaml against the forms and fields their sections count."""
from __future__ import annotations



from engine.schema.county import County
from engine.profile.problems import did_you_mean
from engine.profile.reader import FileReader


def check_reports(loader: FileReader, county: County, grouped: dict) -> None:
    """Reports: a known form with a date field for the year, known roles, and sections that name
    fields, states, votes, funds and deliveries that exist."""
    forms = {k: v for k, (_, v) in grouped["forms"].items()}
    workflows = {k: v for k, (_, v) in grouped["workflows"].items()}
    role_ids = [r.id for r in county.roles]
    for rel, spec in grouped["reports"].values():
        for j, role in enumerate(spec.roles):
            if role not in role_ids:
                loader.add(rel, ("roles", j), f"unknown role {role!r}{did_you_mean(role, role_ids)}")
        form = forms.get(spec.form)
        if form is None:
            if ("forms", spec.form) not in loader.broken:
                loader.add(rel, ("form",), f"unknown form {spec.form!r}{did_you_mean(spec.form, list(forms))}")
            continue
        if not form.has_field(spec.year_field) or form.field(spec.year_field).type != "date":
            dates = [f.id for f in form.fields if f.type == "date"]
            loader.add(rel, ("year_field",), f"form '{form.id}' has no date field {spec.year_field!r}"
                       f"{did_you_mean(spec.year_field, dates)}")
        wf = workflows.get(form.workflow) if form.workflow else None
        state_ids = [s.id for s in wf.states] if wf else None  # None: a broken workflow, reported there
        for i, section in enumerate(spec.sections):
            at = ("sections", i)
            if section.count_by and section.count_by != "state":
                if not form.has_field(section.count_by):
                    loader.add(rel, at + ("count_by",), f"form '{form.id}' has no field {section.count_by!r}"
                               f"{did_you_mean(section.count_by, [f.id for f in form.fields] + ['state'])}")
                elif form.field(section.count_by).type not in ("choice", "reference"):
                    loader.add(rel, at + ("count_by",), f"field '{section.count_by}' is a "
                               f"{form.field(section.count_by).type}; count_by takes a choice or reference field, or state")
            for g, group in enumerate(section.groups if state_ids is not None else ()):
                for j, state in enumerate(group.states):
                    if state not in state_ids:
                        loader.add(rel, at + ("groups", g, "states", j), f"unknown state {state!r} of form "
                                   f"'{form.id}'{did_you_mean(state, state_ids)}")
            for key, folder, noun in (("votes", "votes", "vote"), ("fund", "funds", "fund pool"),
                                      ("delivery", "delivery", "delivery")):
                ref = getattr(section, key)
                if ref and ref not in grouped[folder] and (folder, ref) not in loader.broken:
                    loader.add(rel, at + (key,), f"unknown {noun} {ref!r}{did_you_mean(ref, list(grouped[folder]))} "
                               f"(in {folder}/)")
