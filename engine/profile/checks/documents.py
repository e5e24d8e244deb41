"""Checks of documents: a known form, its workflow's states, known roles, and known placeholders."""
from __future__ import annotations



from engine.schema.county import PUBLIC, County
from engine.schema.documents import placeholder_names, placeholders_in
from engine.schema.forms import Form
from engine.profile.problems import did_you_mean
from engine.profile.reader import FileReader


def check_documents(loader: FileReader, county: County, grouped: dict) -> None:
    """Documents: a known form, its workflow's states, known roles, and known placeholders."""
    role_ids = [r.id for r in county.roles] + [PUBLIC]
    forms = {k: v for k, (_, v) in grouped["forms"].items()}
    workflows = {k: v for k, (_, v) in grouped["workflows"].items()}
    for doc_id, (rel, doc) in grouped["documents"].items():
        form = forms.get(doc.form)
        if form is None:
            if ("forms", doc.form) not in loader.broken:  # a broken form is reported once, in its own file
                loader.add(rel, ("form",), f"unknown form {doc.form!r}{did_you_mean(doc.form, list(forms))}")
            continue
        if form.workflow and ("workflows", form.workflow) in loader.broken:
            continue
        if doc.kind != "result" and not doc.states:
            loader.add(rel, ("states",), f"a {doc.kind} needs `states`")
        wf = workflows.get(form.workflow) if form.workflow else None
        state_ids = [s.id for s in wf.states] if wf else []
        for j, state in enumerate(doc.states):
            if state not in state_ids:
                loader.add(rel, ("states", j), f"unknown state {state!r} of form '{doc.form}'"
                           f"{did_you_mean(state, state_ids)}")
        for j, role in enumerate(doc.roles):
            if role not in role_ids:
                loader.add(rel, ("roles", j), f"unknown role {role!r}{did_you_mean(role, role_ids)}")
        known = placeholder_names(form, doc.kind)
        texts = [(("title",), doc.title), (("salutation",), doc.salutation)]
        texts += [(("paragraphs", j), p) if isinstance(p, str) else (("paragraphs", j, "text"), p.text)
                  for j, p in enumerate(doc.paragraphs)]
        for j, p in enumerate(doc.paragraphs):
            if isinstance(p, str):
                continue
            if doc.kind not in ("letter", "message"):
                loader.add(rel, ("paragraphs", j, "states"), f"a {doc.kind} is about many records: a paragraph "
                           f"for some states belongs to letters and messages")
            if any(state not in state_ids for state in doc.states):
                continue  # the document's own states are wrong, and said so above
            for k, state in enumerate(p.states):
                if state not in doc.states:
                    loader.add(rel, ("paragraphs", j, "states", k), f"state {state!r} is not one of the document's "
                               f"states ({', '.join(doc.states)})")
        texts += [(("closing", j), p) for j, p in enumerate(doc.closing)]
        texts += [(("columns", j, "value"), c.value) for j, c in enumerate(doc.columns)]
        for path, text in texts:
            if text is None:
                continue
            try:
                names = placeholders_in(text)
            except ValueError as exc:
                loader.add(rel, path, f"cannot read the placeholders: {exc}")
                continue
            for name in names:
                if "." in name:  # {sheet_form.field}: a field of the latest such sheet or action form
                    problem = sheet_placeholder(name, form, workflows, forms)
                    if problem:
                        loader.add(rel, path, problem)
                elif name not in known:
                    loader.add(rel, path, f"unknown placeholder {{{name}}}{did_you_mean(name, sorted(known))}; "
                               f"known: {', '.join(sorted(known))}")
        if doc.number is not None:
            if doc.kind not in ("letter", "result"):
                loader.add(rel, ("number",), f"a {doc.kind} is not numbered: `number` belongs to letters and results")
            else:
                try:
                    unknown = [n for n in placeholders_in(doc.number) if n not in ("year", "n")]
                except ValueError as exc:
                    unknown = []
                    loader.add(rel, ("number",), f"cannot read the placeholders: {exc}")
                for name in unknown:
                    loader.add(rel, ("number",), f"unknown placeholder {{{name}}}{did_you_mean(name, ['n', 'year'])}; "
                               "known: n, year")
                if "{n}" not in doc.number:
                    loader.add(rel, ("number",), "the number needs {n}, the place of the document in its series")
        if doc.seal is not None and doc.kind == "message":
            loader.add(rel, ("seal",), "a message is not printed: `seal` belongs to letters, notices and results")
        if doc.kind not in ("notice", "result") and doc.columns:
            loader.add(rel, ("columns",), f"a {doc.kind} has no table: `columns` belongs to notices")
        if doc.kind in ("notice", "result") and not doc.columns:
            loader.add(rel, ("columns",), f"a {doc.kind} needs `columns`")


def sheet_placeholder(name: str, form: Form, workflows: dict, forms: dict) -> str | None:
    """A problem with a {sheet_form.field} placeholder, or None."""
    wf = workflows.get(form.workflow) if form.workflow else None
    filed = sorted({s.form for s in wf.sheets} | {t.form for t in wf.transitions if t.form}) if wf else []
    sheet_id, _, field_id = name.partition(".")
    if sheet_id not in filed:
        return (f"unknown placeholder {{{name}}}: {sheet_id!r} is not a sheet or action form of form "
                f"'{form.id}'{did_you_mean(sheet_id, filed)}")
    sheet = forms.get(sheet_id)
    if sheet is not None and not sheet.has_field(field_id):
        return (f"unknown placeholder {{{name}}}: form {sheet_id!r} has no field {field_id!r}"
                f"{did_you_mean(field_id, [f.id for f in sheet.fields])}")
    return None
