"""我的待办: the landing page after signing in. What waits for this user, counts first, each one
click from the page that does it; generated from the profile's workflows (engine.core.worklist)."""
from __future__ import annotations

import streamlit as st

from apps.web.state import actor, lang, runtime, t
from engine.core.worklist import WorkItem, work_for


def _label(rt, item: WorkItem) -> str:
    if item.kind == "action":
        wf = rt.profile.workflows[rt.forms[item.form_id].form.workflow]
        named = next((x for x in wf.transitions if x.action == item.name and x.label), None)
        return (named.label_en if lang() == "en" and named.label_en else named.label) if named else item.name
    if item.kind == "sheet":
        return t("start.file", form=rt.forms[item.name].form.text(lang()))
    return t(f"start.{item.kind}")


def _go(rt, item: WorkItem) -> None:
    """Open the page that does this work, its list filtered to the records waiting."""
    pages = st.session_state.get("pages", {})
    if item.page:
        target = pages.get(item.page)
    elif item.kind == "sheet" and f"todo-{item.name}" in pages:
        target = pages[f"todo-{item.name}"]
    elif item.kind == "sheet" and f"batch-{item.name}" in pages:  # many records' sheets in one grid
        target = pages[f"batch-{item.name}"]
    else:
        target = pages.get(f"list-{item.form_id}")
        if target is not None and len(item.states) == 1:
            st.session_state[f"filter.{item.form_id}.state"] = item.states[0]
            st.session_state[f"page.{item.form_id}"] = 1
    if target is not None:
        st.switch_page(target)


def render_start_page() -> None:
    rt = runtime()
    who = actor()
    st.title(t("start.title"))
    st.caption(t("start.who", name=who.display_name or who.username))
    items = work_for(rt, who)
    if not items:
        st.success(t("start.nothing"))
        return
    columns = st.columns(min(4, len(items)))
    for n, item in enumerate(items):  # counts first
        columns[n % len(columns)].metric(_label(rt, item), f"{item.count:,}")
    st.divider()
    for n, item in enumerate(items):
        left, right = st.columns([4, 1], vertical_alignment="center")
        where = rt.forms[item.form_id].form.text(lang()) if item.form_id else ""
        states = "、".join(rt.state_label(item.form_id, s, lang()) for s in item.states) if item.form_id else ""
        left.markdown(f"**{_label(rt, item)}**：{t('start.count', n=f'{item.count:,}')}"
                      + (f" · {where}" if where else "") + (f"（{states}）" if states else ""))
        if right.button(t("start.go"), key=f"start.go.{n}", width="stretch"):
            _go(rt, item)
