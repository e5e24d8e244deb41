"""The supervision dashboard (人大督): every project's state, progress, money and open issues, by
township, with charts; the alerts for the user's roles; the watch list; the townships' scorecard;
the official responsibility list as XLSX and PDF. The engine checks the roles again, and keeps a
township's staff to their own township."""
from __future__ import annotations

import io

import streamlit as st

from apps.web.page_records import table_to_open
from apps.web.state import actor, lang, runtime, t
from apps.web.plain import table
from engine.kernel.errors import PermissionDenied
from engine.features import delivery
from engine.output import delivery_files

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCORECARD = ("township", "dl.projects", "dl.completed", "dl.milestones_due", "dl.on_time", "dl.on_time_rate",
             "dl.behind", "dl.watched", "dl.follow_ups", "dl.mean_percent", "fund.allocated", "fund.paid", "dl.rated",
             "dl.rectifying")


def render_delivery_page(delivery_id: str) -> None:
    rt = runtime()
    spec = delivery.spec(rt, delivery_id)
    st.title(spec.text(lang()))
    who = actor()
    current = rt.profile.county.year
    year = st.selectbox(t("dl.year"), list(range(current, current - 5, -1)), key="dl.year",
                        format_func=lambda y: t("fund.year", year=y))
    try:
        scores = delivery.scorecard(rt, who, delivery_id, year=year)
    except PermissionDenied:
        st.error(t("not_allowed"))
        return
    towns = {s.township: rt.reference_label("townships", s.township, lang()) if s.township else "—" for s in scores}
    cols = st.columns(6)
    figures = (sum(s.projects for s in scores), sum(s.projects - s.completed for s in scores),
               sum(s.completed for s in scores), sum(s.watched for s in scores), sum(s.behind for s in scores),
               sum(s.open_follow_ups for s in scores))
    for col, key, value in zip(cols, ("dl.projects", "dl.under_way", "dl.completed", "dl.watched", "dl.behind",
                                      "dl.follow_ups"), figures):
        col.metric(t(key), value)

    st.subheader(t("dl.my_alerts"))
    mine = delivery.alerts_for(rt, who, delivery_id, limit=50)
    if mine:  # a plain table: few rows, and its words readable by screen readers
        table([{t("record_no"): a.record_id, t("title"): a.title,
                   t("township"): rt.reference_label("townships", a.township, lang()) if a.township else "",
                   t("dl.alerts"): a.reason or _state_words(rt, spec.form, a.state),
                   t("dl.raised"): f"{a.raised_at:%Y-%m-%d}"} for a in mine],
                 hide_index=True, border="horizontal")
    else:
        st.caption(t("dl.no_alerts"))

    if scores:
        st.subheader(t("dl.by_township"))
        left, right = st.columns(2)
        left.bar_chart({t("dl.mean_percent"): {towns[s.township]: float(s.mean_percent or 0) for s in scores},
                        t("dl.on_time_rate"): {towns[s.township]: float(s.on_time_rate or 0) for s in scores}},
                       stack=False, height=320)
        right.bar_chart({t("fund.allocated"): {towns[s.township]: float(s.allocated) for s in scores},
                         t("fund.paid"): {towns[s.township]: float(s.paid) for s in scores}}, stack=False, height=320)

    st.subheader(t("dl.all_projects"))
    filters = st.columns([2, 2, 3])
    township = filters[0].selectbox(t("township"), [""] + [tw.id for tw in rt.profile.county.townships],
                                    format_func=lambda i: rt.reference_label("townships", i, lang()) if i else "—",
                                    key="dl.township")
    watched = filters[1].toggle(t("dl.watched_only"), key="dl.watched")
    number = st.session_state.get("dl.page", 1)
    page = delivery.project_statuses(rt, who, delivery_id, township or None, watched, page=number, page_size=25)
    rows = [{t("record_no"): s.record.id, t("title"): s.record.title,
             t("township"): rt.reference_label("townships", s.record.township, lang()) if s.record.township else "",
             t("status"): rt.state_label(s.record.form_id, s.record.state, lang()),
             t("dl.percent"): s.figures["percent"], t("dl.behind"): s.figures["milestones_behind"],
             t("dl.unit"): s.unit, t("dl.deadline"): s.deadline.isoformat() if s.deadline else "",
             t("fund.allocated"): f"{s.allocated:,.0f}", t("fund.paid"): f"{s.paid:,.0f}",
             t("dl.follow_ups"): s.figures["follow_ups_open"],
             t("dl.alerts"): "；".join(f.reason for f in s.flags)} for s in page.items]
    if rows:
        table_to_open(page, rows, "dl.page", column_config={t("dl.percent"): st.column_config.ProgressColumn(
            min_value=0, max_value=100, format="%d%%")})
    else:
        st.info(t("no_records"))

    st.subheader(t("dl.scorecard"))
    st.dataframe([{t(k): v for k, v in zip(SCORECARD, (
        towns[s.township], s.projects, s.completed, s.milestones_due, s.on_time, s.on_time_rate, s.behind, s.watched,
        s.open_follow_ups, s.mean_percent, f"{s.allocated:,.0f}", f"{s.paid:,.0f}", s.rated, s.rectifying))}
        for s in scores],
        hide_index=True)
    _exports(rt, delivery_id, year)


def _state_words(rt, form_id: str, state: str) -> str:
    """A late state as an alert: its name and what it means, in the profile's words."""
    wf = rt.profile.workflows[rt.profile.forms[form_id].workflow]
    found = wf.state(state)
    label = rt.state_label(form_id, state, lang())
    return f"{label}：{found.description}" if found and found.description and lang() != "en" else label


def _exports(rt, delivery_id: str, year: int) -> None:
    who = actor()
    headings = delivery.responsibility_headings(rt, delivery_id, t("dl.project"), t("township"), t("dl.milestones"),
                                                lang())
    cols = st.columns(3)
    if cols[0].button(t("dl.export_list"), icon=":material/table_view:", key="dl.make_xlsx"):
        out = io.BytesIO()
        delivery_files.responsibility_xlsx(rt, who, delivery_id, headings, out, lang=lang())
        st.session_state["dl.xlsx"] = out.getvalue()
    if "dl.xlsx" in st.session_state:
        cols[0].download_button("⬇ .xlsx", st.session_state["dl.xlsx"], file_name=f"{delivery_id}-{year}.xlsx",
                                mime=XLSX, key="dl.get_xlsx")
    if cols[1].button(t("dl.export_list_pdf"), icon=":material/print:", key="dl.make_pdf"):
        st.session_state["dl.pdf"] = delivery_files.responsibility_pdf(rt, who, delivery_id, headings,
                                                                 t("dl.list_title", year=year), lang=lang())
    if "dl.pdf" in st.session_state:
        cols[1].download_button("⬇ .pdf", st.session_state["dl.pdf"], file_name=f"{delivery_id}-{year}.pdf",
                                mime="application/pdf", key="dl.get_pdf")
    if cols[2].button(t("dl.export_scorecard"), icon=":material/leaderboard:", key="dl.make_score"):
        out = io.BytesIO()
        delivery_files.scorecard_xlsx(rt, who, delivery_id, [t(k) for k in SCORECARD], out, lang=lang(), year=year)
        st.session_state["dl.score"] = out.getvalue()
    if "dl.score" in st.session_state:
        cols[2].download_button("⬇ .xlsx", st.session_state["dl.score"], file_name=f"scorecard-{year}.xlsx",
                                mime=XLSX, key="dl.get_score")
