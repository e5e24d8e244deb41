"""Pieces shared by pages: a record's fields as label/value rows, and its history."""
from __future__ import annotations

import streamlit as st

from apps.i18n import TEXT
from apps.web.state import lang, t
from apps.web.plain import table
from engine.schema.forms import Form
from engine.core import accounts
from engine.core.runtime import Runtime


def record_fields(rt: Runtime, form: Form, data: dict, include_private: bool) -> None:
    rows = []
    for f in form.fields:
        if f.id not in data or (f.private and not include_private):
            continue
        value = rt.display_value(form, f.id, data[f.id], lang())
        if f.type == "reference" and f.to.startswith("form:"):
            value = f"#{data[f.id]}"
        rows.append({t("field"): f.text(lang()), t("details"): value})
    # st.table, not st.dataframe: plain HTML that prints, reads aloud and can be copied
    if rows:
        table(rows, hide_index=True, border="horizontal")


def history_table(rt: Runtime, form_id: str, history, show_actor: bool) -> None:
    rows = []
    names = accounts.display_names(rt, [h.actor for h in history]) if show_actor else {}
    for h in history:
        key = f"action.{h.action}"
        row = {
            t("when"): f"{h.at:%Y-%m-%d %H:%M}",
            t("status"): rt.state_label(form_id, h.state, lang()),
            t("details"): _step_label(rt, form_id, h.step) or (t(key) if key in TEXT else h.action),
        }
        if show_actor:  # the person's name; the system's and the public's steps in words
            row[t("who")] = names.get(h.actor) or (t(f"who.{h.actor}") if f"who.{h.actor}" in TEXT else h.actor)
        rows.append(row)
    table(rows, hide_index=True, border="horizontal")


def _step_label(rt: Runtime, form_id: str, step: str | None) -> str | None:
    """The button's label of the action taken, or the name of the sheet filed."""
    if not step:
        return None
    if step in rt.forms:
        return t("filed", form=rt.forms[step].form.text(lang()))
    workflow = rt.profile.workflows.get(rt.profile.forms[form_id].workflow or "")
    for transition in (workflow.transitions if workflow else ()):
        if transition.action == step and transition.label:
            return transition.label_en if lang() == "en" and transition.label_en else transition.label
    return None


def open_button(record_id: int, label: str, key: str) -> None:
    """A button that opens a record's page."""
    if st.button(label, key=key):
        st.session_state["record.id"] = record_id
        st.query_params.pop("id", None)
        st.switch_page(st.session_state["pages"]["record"])
