"""Checks across a profile's files: roles, townships, forms, workflows and imports name what exists."""
from __future__ import annotations



from engine.schema.county import GLOBAL_ACTIONS, PUBLIC, County
from engine.schema.forms import REFERENCE_TARGETS, Form
from engine.profile.problems import did_you_mean
from engine.schema.fieldtypes import FIELD_TYPES
from engine.profile.reader import FileReader


def check_references(loader: FileReader, county: County, grouped: dict) -> None:
    """References between objects and files; each problem points at the referring key."""
    cy = "county.yaml"
    role_ids = [r.id for r in county.roles]
    township_ids = [t.id for t in county.townships]
    forms = {k: v for k, (_, v) in grouped["forms"].items()}
    broken_forms = {stem for folder, stem in loader.broken if folder == "forms"}

    def check_roles(rel: str, path: tuple, roles: tuple[str, ...], allow_public: bool) -> None:
        check_role_ids(loader, county, rel, path, roles, allow_public)

    if PUBLIC in role_ids:
        loader.add(cy, ("roles", role_ids.index(PUBLIC), "id"),
                   f"'{PUBLIC}' is built in (anyone, signed in or not) and cannot be declared")
    for i, station in enumerate(county.stations):
        if station.township not in township_ids:
            loader.add(cy, ("stations", i, "township"),
                       f"unknown township {station.township!r}{did_you_mean(station.township, township_ids)}")
    for action in GLOBAL_ACTIONS:
        check_roles(cy, ("permissions", action), getattr(county.permissions, action), False)

    for form_id, (rel, form) in grouped["forms"].items():
        field_ids = [f.id for f in form.fields]
        for a in ("submit", "list", "view"):
            check_roles(rel, ("access", a), getattr(form.access, a), a == "submit" or a == "view")
        if form.access.personal_data is not None:
            check_roles(rel, ("access", "personal_data"), form.access.personal_data, False)
        if form.workflow and form.workflow not in grouped["workflows"] \
                and ("workflows", form.workflow) not in loader.broken:
            loader.add(rel, ("workflow",), f"unknown workflow {form.workflow!r}; "
                       f"workflows are files in workflows/")
        for name in form.title_fields():
            if name not in field_ids:
                loader.add(rel, ("title",), f"unknown field {name!r} in title{did_you_mean(name, field_ids)}")
        for key in ("list_columns", "filters"):
            for i, fid in enumerate(getattr(form, key)):
                if fid not in field_ids:
                    loader.add(rel, (key, i), f"unknown field {fid!r}{did_you_mean(fid, field_ids)}")
        for i, f in enumerate(form.fields):
            here = ("fields", i)
            check_roles(rel, here + ("roles",), f.roles, True)
            if f.type == "reference" and f.to and f.to.startswith("form:"):
                target = f.to.removeprefix("form:")
                if target not in forms and target not in broken_forms:
                    loader.add(rel, here + ("to",), f"unknown form {target!r}{did_you_mean(target, list(forms))}")
            if f.filter_by:
                other = next((g for g in form.fields if g.id == f.filter_by), None)
                if other is None or other.type != "reference" or other.to not in REFERENCE_TARGETS:
                    loader.add(rel, here + ("filter_by",),
                               f"expected the id of a township, station or channel field of this form; got {f.filter_by!r}")
                elif (f.to, other.to) != ("stations", "townships"):
                    loader.add(rel, here + ("filter_by",),
                               f"only a stations field can be filtered, by a townships field; got {f.to} by {other.to}")
            if f.rule and f.rule.condition.scope not in field_ids:
                scope = f.rule.condition.scope
                loader.add(rel, here + ("rule", "condition", "scope"),
                           f"unknown field {scope!r}{did_you_mean(scope, field_ids)}")
            elif f.rule and f.rule.condition.scope == f.id:
                loader.add(rel, here + ("rule", "condition", "scope"), "a field's rule cannot look at the field itself")
            elif f.rule:  # values a condition names must exist in the list the field chooses from
                target = form.field(f.rule.condition.scope)
                schema = f.rule.condition.schema_
                named = list(schema.get("enum", [])) + ([schema["const"]] if "const" in schema else [])
                for value in named:
                    problem = unknown_value(county, target, value)
                    if problem:
                        loader.add(rel, here + ("rule", "condition", "schema"), problem)
            if f.default is not None:
                problem = unknown_value(county, f, f.default)
                if problem:
                    loader.add(rel, here + ("default",), problem)

    for wf_id, (rel, wf) in grouped["workflows"].items():
        state_ids = [s.id for s in wf.states]
        if wf.initial not in state_ids:
            loader.add(rel, ("initial",), f"unknown state {wf.initial!r}{did_you_mean(wf.initial, state_ids)}")

    for imp_id, (rel, imp) in grouped["imports"].items():
        check_roles(rel, ("roles",), imp.roles, False)
        form = forms.get(imp.form)
        if form is None and imp.form in broken_forms:
            continue
        if form is None:
            loader.add(rel, ("form",), f"unknown form {imp.form!r}{did_you_mean(imp.form, list(forms))}")
            continue
        field_ids = [f.id for f in form.fields]
        for fid, value in imp.fixed.items():
            problem = unknown_value(county, form.field(fid), value) if form.has_field(fid) else None
            if problem:
                loader.add(rel, ("fixed", fid), problem)
        for key in ("columns", "fixed"):
            for fid in getattr(imp, key):
                if fid not in field_ids:
                    loader.add(rel, (key, fid), f"form {imp.form!r} has no field {fid!r}{did_you_mean(fid, field_ids)}")


def check_role_ids(loader: FileReader, county: County, rel: str, path: tuple, roles: tuple[str, ...],
                   allow_public: bool) -> None:
    """Every role named is declared in county.yaml (or is the built-in public, where allowed)."""
    allowed = [r.id for r in county.roles] + ([PUBLIC] if allow_public else [])
    for i, role in enumerate(roles):
        if role not in allowed:
            loader.add(rel, path + (i,), f"unknown role {role!r}{did_you_mean(role, allowed)}; "
                       f"roles are declared in county.yaml")


def unknown_value(county: County, f, value) -> str | None:
    """A problem if `value` is not one of the choices of field `f` (an option, a township ...)."""
    if f.type in ("choice", "multichoice"):
        ids = [o.id for o in f.options]
        what = "option"
    elif f.type == "reference" and f.to in REFERENCE_TARGETS:
        ids = [choice[0] for choice in county.choices(f.to)]
        what = f.to[:-1]
    else:
        return None
    for item in value if isinstance(value, list) else [value]:
        if item not in ids:
            return f"unknown {what} {item!r} for field '{f.id}'{did_you_mean(str(item), ids)}"
    return None


def expression_names(form: Form) -> dict[str, str]:
    """The names (and types) a condition on this form's records may use: its fields."""
    names = {}
    for f in form.fields:
        kind = FIELD_TYPES[f.type].expr_type
        if f.type == "reference" and f.to and f.to.startswith("form:"):
            kind = "number"  # a record number
        if kind is not None:
            names[f.id] = kind
    return names
