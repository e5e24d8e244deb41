"""Public: the year's livelihood projects (民生实事项目公开), by township, each with its unit, money,
progress and rating; selecting one shows its whole chain from suggestion to rating. Only for a
delivery spec that says `public: true` (the engine refuses the others)."""
from __future__ import annotations

import streamlit as st

from apps.web.state import lang, runtime, t
from apps.web.trace_view import chain
from apps.web.views import record_fields
from engine.features import delivery
from engine.kernel.errors import NotFound

PAGE_SIZE = 25


def render_projects_page(delivery_id: str) -> None:
    rt = runtime()
    spec = delivery.spec(rt, delivery_id)
    st.title(t("projects.title", year=rt.profile.county.year))
    st.caption(t("projects.about", what=spec.text(lang())))
    towns = delivery.public_townships(rt, delivery_id)
    choices = [""] + [tw for tw, _ in towns]
    counts = dict(towns)
    township = st.selectbox(t("township"), choices, key="projects.township",
                            format_func=lambda v: (f"{rt.reference_label('townships', v, lang())}（{counts[v]}）"
                                                   if v else t("projects.all", n=sum(counts.values()))))
    if st.session_state.get("projects.asked", township) != township:
        st.session_state["projects.page"] = 1
    st.session_state["projects.asked"] = township
    page = delivery.public_projects(rt, delivery_id, township or None, page=st.session_state.get("projects.page", 1),
                                    page_size=PAGE_SIZE)
    if not page.items:
        st.info(t("no_records"))
        return
    st.caption(t("total", n=f"{page.total:,}") + " · " + t("page_of", page=page.page, pages=page.pages)
               + " · " + t("projects.select"))
    rows = [{t("township"): rt.reference_label("townships", p.township, lang()) if p.township else "",
             t("dl.project"): p.title, t("dl.unit"): p.unit,
             t("fund.allocated"): f"{p.allocated:,.0f}", t("fund.paid"): f"{p.paid:,.0f}",
             t("dl.percent"): p.percent, t("status"): rt.state_label(spec.form, p.state, lang()),
             t("projects.rating"): p.rating or ""} for p in page.items]
    event = st.dataframe(rows, hide_index=True, on_select="rerun", selection_mode="single-row",
                         key=f"projects.table.{township}.{page.page}", height=36 * (len(rows) + 1) + 3,
                         column_config={t("dl.percent"): st.column_config.ProgressColumn(
                             min_value=0, max_value=100, format="%d%%")})
    _, right = st.columns([5, 1])
    number = right.number_input(t("page"), min_value=1, max_value=page.pages, value=page.page, step=1,
                                key="projects.page.input")
    if number != page.page:
        st.session_state["projects.page"] = int(number)
        st.rerun()
    selected = event.selection.rows if event and hasattr(event, "selection") else []
    if selected:
        chosen = page.items[selected[0]]
        st.dialog(chosen.title, width="large")(_project)(rt, delivery_id, chosen.record_id)


def _project(rt, delivery_id: str, record_id: int) -> None:
    """The project as anyone may see it, and its chain from the suggestion to the rating."""
    try:
        view = delivery.public_project(rt, delivery_id, record_id)
    except NotFound:
        st.warning(t("no_records"))
        return
    record_fields(rt, rt.forms[view.form_id].form, view.data, include_private=False)
    chain(view.id)
