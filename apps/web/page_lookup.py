"""Public page: follow a suggestion by its receipt code. No sign-in; private fields never shown."""
from __future__ import annotations

import streamlit as st

from apps.web.state import lang, runtime, t
from apps.web.trace_view import chain
from apps.web.views import record_fields
from engine.kernel.errors import NotFound
from apps.web.record_work import related_section
from apps.web.plain import plain
from engine.core import records
from engine.core.workflow import last_decision


def render_lookup_page() -> None:
    rt = runtime()
    st.title(t("lookup"))
    county = rt.profile.county
    example = f"{county.receipt_prefix}{county.year % 100:02d}-K7QD-3M9X-T2PW"
    code = st.text_input(t("receipt_code"), value=st.query_params.get("code", ""),
                         help=t("lookup_help", example=example), key="lookup.code")
    if not st.button(t("search"), type="primary") and not st.query_params.get("code"):
        return
    if not code.strip():
        return
    try:
        view, history = records.find_by_receipt(rt, code)
    except NotFound:
        st.warning(t("not_found"))
        return
    st.query_params["code"] = view.receipt_code
    form = rt.forms[view.form_id].form
    st.subheader(plain(view.title))
    st.metric(t("status"), rt.state_label(view.form_id, view.state, lang()))
    st.caption(f"{t('receipt_code')} {view.receipt_code} · {t('submitted_at')} {view.created_at:%Y-%m-%d}")
    decision = last_decision(rt, view.id)
    if decision and decision.get("reason"):
        st.info(f"**{t('decision_reason')}**：{plain(decision['reason'])}")
    related_section(rt, view, public=True)
    record_fields(rt, form, view.data, include_private=False)
    chain(view.id)
