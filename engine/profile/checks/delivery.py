"""Checks of delivery/*.yaml: forms that are sheets of the workflow, fields of the right type, known figures and placeholders."""
from __future__ import annotations

from typing import Any


from engine.schema.county import County
from engine.schema.documents import placeholders_in
from engine.schema.delivery import FIGURES
from engine.profile.problems import did_you_mean
from engine.lang.expr import compile_expression
from engine.lang.syntax import BOOL, ExprError
from engine.profile.reader import FileReader


def check_delivery(loader: FileReader, county: County, grouped: dict, conditions: dict) -> None:
    """Delivery: known forms filed as sheets on the projects, fields of the right types, known
    roles and fund, escalation conditions over the project's figures (compiled here)."""
    forms = {k: v for k, (_, v) in grouped["forms"].items()}
    workflows = {k: v for k, (_, v) in grouped["workflows"].items()}
    role_ids = [r.id for r in county.roles]
    for rel, spec in grouped["delivery"].values():
        def unknown(path: tuple, kind: str, value: str, known: list[str]) -> None:
            loader.add(rel, path, f"unknown {kind} {value!r}{did_you_mean(value, known)}")

        form = forms.get(spec.form)
        if form is None:
            if ("forms", spec.form) not in loader.broken:
                unknown(("form",), "form", spec.form, list(forms))
            continue
        wf = workflows.get(form.workflow) if form.workflow else None
        if wf is None:
            if not form.workflow or ("workflows", form.workflow) not in loader.broken:
                loader.add(rel, ("form",), f"form '{spec.form}' has no workflow: projects need states")
            continue
        state_ids = [s.id for s in wf.states]
        for key in ("states", "done_states", "rated_states", "rectification_states"):
            for j, state in enumerate(getattr(spec, key)):
                if state not in state_ids:
                    unknown((key, j), f"state of form '{spec.form}'", state, state_ids)
        sheet_forms = [s.form for s in wf.sheets]

        def check_form(path: tuple, form_id: str, sub: Any = None, fields: dict[str, tuple[str, ...]] = {}) -> None:
            """The form exists, is a sheet on the projects, and `sub`'s keys name its fields of these types."""
            sheet_form = forms.get(form_id)
            if sheet_form is None:
                if ("forms", form_id) not in loader.broken:
                    unknown(path, "form", form_id, list(forms))
                return
            if form_id not in sheet_forms:
                loader.add(rel, path, f"form '{form_id}' is not a sheet of workflow '{wf.id}'; "
                           "add it under `sheets` there")
            for key, types in fields.items():
                fid = getattr(sub, key)
                if not sheet_form.has_field(fid):
                    unknown(path[:-1] + (key,), f"field of form '{form_id}'", fid, [f.id for f in sheet_form.fields])
                elif sheet_form.field(fid).type not in types:
                    loader.add(rel, path[:-1] + (key,), f"field '{fid}' of form '{form_id}' is a "
                               f"{sheet_form.field(fid).type}; expected {' or '.join(types)}")

        texts = ("text", "textarea", "choice")
        check_form(("responsibility", "form"), spec.responsibility.form, spec.responsibility,
                   {"deadline": ("date",), "unit": texts})
        check_form(("milestones", "form"), spec.milestones.form, spec.milestones, {"name": texts, "due": ("date",)})
        check_form(("progress", "form"), spec.progress.form, spec.progress,
                   {"percent": ("integer",), "date": ("date",), "milestone": texts})
        check_form(("follow_up", "form"), spec.follow_up.form, spec.follow_up, {"due": ("date",)})
        if spec.funding_needs is not None:
            check_form(("funding_needs", "form"), spec.funding_needs.form, spec.funding_needs, {"amount": ("money",)})
        for j, form_id in enumerate(spec.supervision):
            check_form(("supervision", j), form_id)
        resp = forms.get(spec.responsibility.form)
        if resp is not None:
            for name in spec.responsibility.defaults:
                if not resp.has_field(name) or resp.field(name).type != "date":
                    loader.add(rel, ("responsibility", "defaults", name),
                               f"form '{resp.id}' has no date field {name!r}")
            for j, name in enumerate(spec.responsibility.columns):
                if not resp.has_field(name):
                    unknown(("responsibility", "columns", j), f"field of form '{resp.id}'", name,
                            [f.id for f in resp.fields])
        follow = forms.get(spec.follow_up.form)
        if follow is not None and not follow.workflow:
            loader.add(rel, ("follow_up", "form"), f"form '{follow.id}' needs a workflow: a follow-up action "
                       "is tracked until its workflow reaches a final state")
        if spec.fund is not None and spec.fund not in grouped["funds"] and ("funds", spec.fund) not in loader.broken:
            unknown(("fund",), "fund pool", spec.fund, list(grouped["funds"]))
        for path, roles in [(("roles", "view"), spec.roles.view), (("overdue", "notify"), spec.overdue.notify)] + [
                (("escalations", i, "notify"), e.notify) for i, e in enumerate(spec.escalations)]:
            for j, role in enumerate(roles):
                if role not in role_ids:
                    unknown(path + (j,), "role", role, role_ids)
        for name in placeholders_in(spec.overdue.reason):
            if name not in ("milestone", "due"):
                loader.add(rel, ("overdue", "reason"), f"unknown placeholder {{{name}}}; known: due, milestone")
        figures = {name: "number" for name in FIGURES}
        for i, rule in enumerate(spec.escalations):
            try:
                conditions[("delivery", spec.id, f"escalation:{rule.id}")] = compile_expression(
                    rule.when, figures, BOOL)
            except ExprError as exc:
                loader.add(rel, ("escalations", i, "when"), exc.pointed(rule.when))
            for name in placeholders_in(rule.reason):
                if name not in FIGURES:
                    loader.add(rel, ("escalations", i, "reason"), f"unknown placeholder {{{name}}}"
                               f"{did_you_mean(name, list(FIGURES))}; known: {', '.join(FIGURES)}")
