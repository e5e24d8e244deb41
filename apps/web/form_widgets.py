"""A form's fields as widgets, rules applied live: used by form pages, sheets and action forms.

`scope` names one place a form is filled (a page, a sheet on one record ...). Each successful
submission bumps the scope's generation: new keys make new, empty widgets (deleting old keys
from session_state does not clear what the browser still shows).
"""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from apps.i18n import problem_text
from apps.web.state import actor, lang, runtime, t
from apps.web.widgets import RENDERERS, Context
from engine.kernel.errors import InputError, PermissionDenied


def _key(scope: str, field_id: str) -> str:
    return f"form.{scope}.{st.session_state.get(f'generation.{scope}', 0)}.{field_id}"


def form_inputs(form_id: str, scope: str) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """Draw the fields this user fills; returns (values, uploads) as the user left them."""
    rt = runtime()
    compiled = rt.form(form_id)
    errors: dict[str, str] = st.session_state.get(f"errors.{scope}", {})
    if errors:
        st.error(t("fix_errors"))
        if "" in errors:
            st.error(errors[""])
    values: dict[str, Any] = {}
    uploads: dict[str, tuple[str, bytes]] = {}
    fillable = compiled.fillable(actor().roles)
    for f in compiled.form.fields:
        if f.id not in fillable:
            continue  # the server uses the field's default for this user
        # A rule is applied on each rerun, so a field appears as soon as its condition holds;
        # the server applies the same rule again when the form is submitted.
        current = {k: v for k, v in values.items() if v not in (None, "", [])}
        document = _as_document(current)
        if f.id not in compiled.visible_fields(document):
            continue
        ctx = Context(rt, actor(), lang(), current, frozenset(compiled.required_fields(document)))
        value = RENDERERS[f.type](f, _key(scope, f.id), ctx)
        if f.type == "file":
            if value is not None:
                uploads[f.id] = (value.name, value.getvalue())
            continue
        values[f.id] = value
        if f.id in errors:
            st.markdown(f":red[{errors[f.id]}]")
    return values, uploads


def submitted(scope: str, label: str, save: Callable[[dict[str, Any], dict], Any],
              values: dict[str, Any], uploads: dict | None = None) -> Any:
    """A submit button: on click, `save(raw, uploads)` on the server; its problems are shown by
    the fields, the form is cleared on success. Returns what `save` returned, or None."""
    if not st.button(label, type="primary", key=f"submit.{scope}"):
        return None
    raw = {k: v for k, v in values.items() if v not in (None, "", [])}
    try:
        result = save(raw, uploads or {})
    except InputError as exc:
        st.session_state[f"errors.{scope}"] = {k: problem_text(p, lang()) for k, p in exc.problems.items()}
        st.rerun()
    except PermissionDenied:
        st.error(t("not_allowed"))
        return None
    st.session_state[f"generation.{scope}"] = st.session_state.get(f"generation.{scope}", 0) + 1
    st.session_state.pop(f"errors.{scope}", None)
    return result


def _as_document(values: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}
