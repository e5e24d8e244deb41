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
        for key in type(pool.roles).model_fields:
            for j, role in enumerate(getattr(pool.roles, key)):
                if role not in role_ids:
                    loader.add(rel, ("roles", key, j), f"unknown role {role!r}{did_you_mean(role, role_ids)}")
        if pool.per_project and pool.per_project.max and pool.total.max and pool.per_project.max > pool.total.max:
            loader.add(rel, ("per_project", "max"), "a project's cap is more than the whole pool's maximum")
