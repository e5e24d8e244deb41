"""A page generated from a form: its fields as widgets, rules applied live, validated on the server."""
from __future__ import annotations

import streamlit as st

from apps.i18n import problem_text
from apps.i18n_days import shown_days
from apps.web.form_widgets import form_inputs, submitted
from apps.web.state import actor, lang, runtime, t
from engine.core import records
from engine.core.windows import window_refusal


def render_form_page(form_id: str) -> None:
    rt = runtime()
    form = rt.form(form_id).form
    st.title(form.text(lang()))
    if form.description:
        st.caption(form.description)
    done = st.session_state.pop(f"done.{form_id}", None)
    if isinstance(done, str):  # a receipt code to keep
        st.success(t("submitted"))
        st.code(done, language=None)
        st.caption(t("submitted_note"))
    elif done:  # a record without a receipt code (an offline session): its number
        st.success(t("saved_record", id=done))
    window = form.access.submit_window
    if window is not None:
        closed = window_refusal(rt.profile.county, form)
        if closed is not None:  # said before anyone types, not after the form is filled in
            st.info(problem_text(closed, lang()))
            return
        st.caption(t("window.yearly" if window.yearly else "window.once",
                     **shown_days({"opens": window.from_, "closes": window.to}, lang())))
    values, uploads = form_inputs(form_id, form_id)
    record = submitted(form_id, t("submit"), lambda raw, files: records.submit(rt, actor(), form_id, raw, files),
                       values, uploads)
    if record is not None:
        st.session_state[f"done.{form_id}"] = record.receipt_code or record.id
        st.rerun()
