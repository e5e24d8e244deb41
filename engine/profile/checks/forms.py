"""Checks of the forms' own `checks`: each a condition on the form's fields, type-checked and
compiled once, at load, like a workflow's conditions."""
from __future__ import annotations

from engine.lang.expr import Compiled, compile_expression
from engine.lang.syntax import BOOL, ExprError
from engine.profile.checks.references import expression_names
from engine.profile.problems import did_you_mean
from engine.profile.reader import FileReader


def form_check_key(form_id: str, index: int) -> tuple[str, str, str]:
    """Where a form's check is kept among the profile's compiled conditions."""
    return ("form", form_id, f"check:{index}")


def check_form_checks(loader: FileReader, grouped: dict, conditions: dict[tuple, Compiled]) -> None:
    for rel, form in grouped["forms"].values():
        names = expression_names(form)
        for i, item in enumerate(form.checks):
            here = ("checks", i)
            if item.field is not None and not form.has_field(item.field):
                loader.add(rel, here + ("field",), f"form '{form.id}' has no field {item.field!r}"
                           f"{did_you_mean(item.field, [f.id for f in form.fields])}")
            try:
                conditions[form_check_key(form.id, i)] = compile_expression(item.check, names, BOOL)
            except ExprError as exc:
                loader.add(rel, here + ("check",), exc.pointed(item.check))
