"""Checks of funds/*.yaml against the forms, states and roles they name."""
from __future__ import annotations



from engine.schema.county import County
from engine.profile.problems import did_you_mean
from engine.profile.reader import FileReader


def check_funds(loader: FileReader, county: County, grouped: dict) -> None:
    """Fund pools: a known form and states, known roles, a per-project cap within the total."""
    forms = {k: v for k, (_, v) in grouped["forms"].items()}
    workflows = {k: v for k, (_, v) in grouped["workflows"].items()}
    role_ids = [r.id for r in county.roles]
    for rel, pool in grouped["funds"].values():
        form = forms.get(pool.form)
        if form is None:
            if ("forms", pool.form) not in loader.broken:
                loader.add(rel, ("form",), f"unknown form {pool.form!r}{did_you_mean(pool.form, list(forms))}")
        elif form.workflow in workflows:
            state_ids = [s.id for s in workflows[form.workflow].states]
            for j, state in enumerate(pool.project_states):
                if state not in state_ids:
                    loader.add(rel, ("project_states", j), f"unknown state {state!r} of form '{pool.form}'"
                               f"{did_you_mean(state, state_ids)}")
        if pool.share is not None:
            check_needs(loader, rel, pool, forms, workflows)
        for key in type(pool.roles).model_fields:
            for j, role in enumerate(getattr(pool.roles, key)):
                if role not in role_ids:
                    loader.add(rel, ("roles", key, j), f"unknown role {role!r}{did_you_mean(role, role_ids)}")
        if pool.per_project and pool.per_project.max and pool.total.max and pool.per_project.max > pool.total.max:
            loader.add(rel, ("per_project", "max"), "a project's cap is more than the whole pool's maximum")


def check_needs(loader: FileReader, rel: str, pool, forms: dict, workflows: dict) -> None:
    """`share.needs` names a sheet of the projects' workflow and a money field of it."""
    here, needs = ("share", "needs"), pool.share.needs
    sheet = forms.get(needs.form)
    if sheet is None:
        if ("forms", needs.form) not in loader.broken:
            loader.add(rel, here + ("form",), f"unknown form {needs.form!r}{did_you_mean(needs.form, list(forms))}")
        return
    project_form = forms.get(pool.form)
    workflow = workflows.get(project_form.workflow) if project_form is not None else None
    if workflow is not None and workflow.sheet(needs.form) is None:
        loader.add(rel, here + ("form",), f"form '{needs.form}' is not a sheet of workflow '{workflow.id}'; "
                   "add it under `sheets` there")
    if not sheet.has_field(needs.amount):
        loader.add(rel, here + ("amount",), f"form '{needs.form}' has no field {needs.amount!r}"
                   f"{did_you_mean(needs.amount, [f.id for f in sheet.fields])}")
    elif sheet.field(needs.amount).type != "money":
        loader.add(rel, here + ("amount",), f"field '{needs.amount}' of form '{needs.form}' is a "
                   f"{sheet.field(needs.amount).type}; expected money")
