"""One chain, end to end (一链到底): a suggestion's steps from intake to its rating, as a
timeline. The public lookup page and the staff's record page show the same chain."""
from __future__ import annotations

import streamlit as st

from apps.web.state import lang, runtime, t
from apps.web.plain import plain
from engine.output.trace import trace

ICONS = {"submitted": ":material/edit_note:", "action": ":material/arrow_forward:", "vote": ":material/how_to_vote:",
         "sheet": ":material/fact_check:", "milestone": ":material/flag:", "progress": ":material/trending_up:",
         "money": ":material/payments:", "merged": ":material/merge:"}


def chain(record_id: int) -> None:
    rt = runtime()
    steps = trace(rt, record_id, lang())
    if not steps:
        return
    st.subheader(t("trace.title"))
    for step in steps:
        v = step.values
        day = f"{step.on:%Y-%m-%d} " if step.on else ""
        if step.kind == "submitted":
            line = t("trace.submitted")
        elif step.kind == "merged":
            line = t("trace.merged", id=v["into"])
        elif step.kind == "action":
            line = f"**{plain(v['action'])}** → {plain(v['state'])}" + (f"：{plain(v['reason'])}" if v["reason"] else "")
        elif step.kind == "vote":
            line = f"**{plain(v['title'])}**：{plain(v['reason'])}"
        elif step.kind == "sheet":
            line = f"**{plain(v['form'])}**"
        elif step.kind == "milestone":
            status = "on_time" if v["on_time"] else "late" if v["reached_on"] else "pending"
            line = t("trace.milestone", name=plain(v["name"]), due=v["due"] or "", status=t(f"dl.status.{status}"))
        elif step.kind == "progress":
            line = t("trace.progress", percent=v["percent"], unit=plain(v["unit"] or "—"), deadline=v["deadline"] or "—")
        else:
            line = t("trace.money", allocated=f"{v['allocated']:,.2f}", paid=f"{v['paid']:,.2f}")
        st.markdown(f"{ICONS.get(step.kind, '')} {day}{line}")
        fields = v.get("fields") or []
        if fields:
            st.caption("；".join(f"{plain(label)}：{plain(value)}" for label, value in fields) if lang() == "zh"
                       else "; ".join(f"{plain(label)}: {plain(value)}" for label, value in fields))
