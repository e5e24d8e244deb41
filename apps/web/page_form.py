"""A page generated from a form: its fields as widgets, rules applied live, validated on the server."""
from __future__ import annotations

import streamlit as st

from apps.i18n import problem_text
from apps.web.state import actor, lang, runtime, t
from apps.web.widgets import RENDERERS, Context
from engine.errors import InputError, PermissionDenied
from engine.services import records


def _key(form_id: str, field_id: str) -> str:
    # The generation changes after each successful submission: new keys make new, empty widgets
    # (deleting old keys from session_state does not clear what the browser still shows).
    generation = st.session_state.get(f"generation.{form_id}", 0)
    return f"form.{form_id}.{generation}.{field_id}"


def render_form_page(form_id: str) -> None:
    rt = runtime()
    compiled = rt.form(form_id)
    form = compiled.form
    st.title(form.text(lang()))
    if form.description:
        st.caption(form.description)
    done = st.session_state.pop(f"done.{form_id}", None)
    if done:
        st.success(t("submitted"))
        st.code(done, language=None)
        st.caption(t("submitted_note"))
    errors: dict[str, str] = st.session_state.get(f"errors.{form_id}", {})
    if errors:
        st.error(t("fix_errors"))
        if "" in errors:
            st.error(errors[""])

    values: dict = {}
    uploads: dict = {}
    fillable = compiled.fillable(actor().roles)
    for f in form.fields:
        if f.id not in fillable:
            continue  # the server uses the field's default for this user
        # A rule is applied on each rerun, so a field appears as soon as its condition holds;
        # the server applies the same rule again when the form is submitted.
        current = {k: v for k, v in values.items() if v not in (None, "", [])}
        document = _as_document(current)
        if f.id not in compiled.visible_fields(document):
            continue
        ctx = Context(rt, actor(), lang(), current, frozenset(compiled.required_fields(document)))
        value = RENDERERS[f.type](f, _key(form_id, f.id), ctx)
        if f.type == "file":
            if value is not None:
                uploads[f.id] = (value.name, value.getvalue())
            continue
        values[f.id] = value
        if f.id in errors:
            st.markdown(f":red[{errors[f.id]}]")

    if st.button(t("submit"), type="primary", key=f"submit.{form_id}"):
        raw = {k: v for k, v in values.items() if v not in (None, "", [])}
        try:
            record = records.submit(rt, actor(), form_id, raw, uploads)
        except InputError as exc:
            st.session_state[f"errors.{form_id}"] = {k: problem_text(p, lang()) for k, p in exc.problems.items()}
            st.rerun()
        except PermissionDenied:
            st.error(t("not_allowed"))
            return
        st.session_state[f"generation.{form_id}"] = st.session_state.get(f"generation.{form_id}", 0) + 1
        st.session_state.pop(f"errors.{form_id}", None)
        st.session_state[f"done.{form_id}"] = record.receipt_code or f"#{record.id}"
        st.rerun()


def _as_document(values: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}
