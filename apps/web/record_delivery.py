"""A project's delivery on its record page: progress, milestones (on time, late, not yet due),
money against its needs, alerts and escalations with their reasons, and its follow-up actions.
On a follow-up action's page: the project it belongs to."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from apps.web.state import actor, lang, t
from apps.web.views import open_button
from apps.web.plain import table
from apps.web.plain import plain
from engine.kernel.errors import PermissionDenied
from engine.features import delivery
from engine.core import records
from engine.core.sheets import SUBJECT


def delivery_section(rt, view) -> None:
    spec = delivery.spec_for_form(rt, view.form_id)
    if spec is None or view.state not in spec.states + spec.done_states or not actor().may(spec.roles.view):
        return
    try:
        page = delivery.project_statuses(rt, actor(), spec.id, township=view.township, page_size=1,
                                         only=view.id)
    except PermissionDenied:
        return
    if not page.items:
        return
    status = page.items[0]
    st.subheader(t("dl.title"))
    cols = st.columns(4)
    cols[0].metric(t("dl.percent"), f"{status.figures['percent']}%")
    cols[1].metric(t("dl.behind"), status.figures["milestones_behind"])
    cols[2].metric(t("dl.follow_ups"), status.figures["follow_ups_open"])
    cols[3].metric(t("dl.deadline"), status.deadline.isoformat() if status.deadline else "—")
    st.progress(status.figures["percent"] / 100)
    st.caption(t("dl.money", allocated=f"{status.allocated:,.2f}", paid=f"{status.paid:,.2f}",
                 needs=f"{status.needs:,.2f}"))
    today = dt.date.today()
    if status.milestones:
        table([{t("dl.milestone"): m.name, t("dl.planned"): m.due.isoformat() if m.due else "",
                   t("dl.reached"): m.reached_on.isoformat() if m.reached_on else "",
                   t("dl.status"): t("dl.status." + ("on_time" if m.on_time else "late" if m.reached_on else
                                                     "behind" if m.behind(today, spec.overdue.grace_days) else "pending"))}
                  for m in status.milestones], hide_index=True, border="horizontal")
    flags = delivery.flags_of(rt, view.id)
    if flags:
        st.markdown(f"**{t('dl.flags')}**")
        table([{t("dl.alerts"): f.reason, t("dl.raised"): f"{f.raised_at:%Y-%m-%d}",
                   t("dl.status"): (t("dl.cleared") + f" {f.cleared_at:%Y-%m-%d}") if f.cleared_at else t("dl.open")}
                  for f in flags], hide_index=True, border="horizontal")
    follow_ups = [r for r in records.linked_records(rt, actor(), view.id) if r.form_id == spec.follow_up.form]
    if follow_ups:
        st.markdown(f"**{t('dl.follow_up_list')}**")
        for r in follow_ups:
            left, right = st.columns([5, 1])
            left.markdown(f"{plain(r.title)} · {rt.state_label(r.form_id, r.state, lang())}")
            with right:
                open_button(r.id, t("dl.open_record", id=r.id), key=f"dl.open.{r.id}")


def subject_link(rt, view) -> None:
    """On a sheet with a workflow of its own (a follow-up action): open the project it is about."""
    if not any(d.follow_up.form == view.form_id for d in rt.profile.delivery.values()):
        return
    for link in records.links_from(rt, view.id, SUBJECT):
        open_button(link, f"{t('dl.about')} #{link}", key=f"dl.subject.{link}")


def defaults_caption(rt, view, form_id: str) -> None:
    """Under the responsibility list's form: the dates the rules fill in when left empty."""
    values = delivery.default_values(rt, view.id, form_id)
    if values:
        form = rt.forms[form_id].form
        st.caption(t("dl.defaults", dates="，".join(f"{form.field(k).text(lang())} {v}" for k, v in values.items())))
