"""The fund pool for finance and audit: the year's balance, money per township and project, the
latest ledger entries, forms to record money in, allocations, payments and reversals (for the
roles the profile allows; the engine checks again), and the whole ledger as an XLSX file for the
audit office. Sums come from SQL."""
from __future__ import annotations

import datetime as dt
import io

import streamlit as st
from sqlalchemy import select

from apps.i18n import problem_text, refusal_text
from apps.web.done_message import say_done, show_done
from apps.web.state import actor, lang, runtime, t
from apps.web.plain import table
from engine.kernel.errors import InputError, PermissionDenied, Problem
from engine.features import funds
from engine.output import ledger
from engine.store.tables import FundPoolYear

LEDGER_COLUMNS = ("fund.no", "fund.date", "fund.kind", "fund.source", "fund.project", "fund.amount", "fund.payee",
                  "fund.purpose", "fund.approver", "fund.document", "fund.reverses", "fund.by", "fund.at")


def render_funds_page(fund_id: str) -> None:
    rt = runtime()
    rules = funds.pool_rules(rt, fund_id)
    st.title(rules.text(lang()))
    year = rt.profile.county.year
    with rt.db.read() as session:
        pool_id = session.scalar(select(FundPoolYear.id).where(FundPoolYear.fund_id == fund_id, FundPoolYear.year == year))
    if pool_id is None:
        st.info(t("no_records"))
        _entry_forms(rt, fund_id, None, year)
        return
    try:
        money = funds.balance(rt, actor(), pool_id)
        projects = funds.by_project(rt, actor(), pool_id)
    except PermissionDenied:
        st.error(t("not_allowed"))
        return
    st.caption(t("fund.year", year=year))
    cols = st.columns(4)
    for col, key, value in zip(cols, ("fund.total", "fund.allocated", "fund.unallocated", "fund.paid"),
                               (money.total, money.allocated, money.unallocated, money.paid)):
        col.metric(t(key), f"{value:,.2f}")
    _entry_forms(rt, fund_id, pool_id, year)  # near the top: finance's work, not below the whole ledger
    towns = funds.by_township(rt, actor(), pool_id)  # summed in SQL over every project, for the chart
    names = {tw: rt.reference_label("townships", tw, lang()) if tw else "—" for tw, _, _ in towns}
    st.subheader(t("fund.by_township"))
    st.bar_chart({t("fund.allocated"): {names[tw]: float(a) for tw, a, _ in towns},
                  t("fund.paid"): {names[tw]: float(p) for tw, _, p in towns}}, stack=False, height=320)
    st.subheader(t("fund.by_project"))
    st.dataframe([{t("title"): p.title, t("township"): rt.reference_label("townships", p.township, lang()) if p.township else "",
                   t("fund.allocated"): f"{p.allocated:,.2f}", t("fund.paid"): f"{p.paid:,.2f}",
                   t("fund.share_paid"): f"{(p.paid / p.allocated * 100 if p.allocated else 0):.0f}%"} for p in projects],
                 hide_index=True)
    # The whole ledger is written only when asked for: a province's pool has tens of thousands of entries.
    if st.button(t("fund.export"), icon=":material/table_view:", key="fund.make_xlsx"):
        out = io.BytesIO()
        ledger.ledger_xlsx(rt, actor(), pool_id, [t(k) for k in LEDGER_COLUMNS], out)
        st.session_state["fund.xlsx"] = out.getvalue()
    if "fund.xlsx" in st.session_state:
        st.download_button("⬇ .xlsx", st.session_state["fund.xlsx"], file_name=f"{fund_id}-{year}.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           icon=":material/download:", key="fund.get_xlsx")

    st.subheader(t("fund.ledger", n=20))
    st.dataframe([{t("fund.no"): e.id, t("fund.date"): e.on_date, t("fund.kind"): t(f"fund.kind.{e.kind}"),
                   t("fund.project"): title or e.source or "", t("fund.amount"): f"{funds.yuan(e.amount_fen):,.2f}",
                   t("fund.payee"): e.payee or "", t("fund.document"): e.document_ref or "",
                   t("fund.reverses"): e.reverses_id or "", t("fund.by"): e.created_by}
                  for e, title in funds.recent_entries(rt, actor(), pool_id)], hide_index=True)


def _entry_forms(rt, fund_id: str, pool_id: int | None, year: int) -> None:
    """A form per kind of entry this user's roles may record."""
    rules = funds.pool_rules(rt, fund_id)
    who = actor()
    kinds = [k for k, roles in (("contribute", rules.roles.contribute), ("allocate", rules.roles.allocate),
                                ("pay", rules.roles.pay)) if who.may(roles)]
    if not kinds:
        return
    st.subheader(t("fund.record"))
    notice = st.container()  # messages here, above the forms, which stay where they are
    show_done(notice, "fund")
    tabs = st.tabs([t(f"fund.{k}") for k in kinds] + ([t("fund.reverse")] if pool_id else []))
    projects = funds.eligible_projects(rt, who, fund_id) if {"allocate", "pay"} & set(kinds) else []
    label = {p[0]: f"#{p[0]} {p[1]}（{rt.reference_label('townships', p[2], lang()) if p[2] else ''}）" for p in projects}
    for tab, kind in zip(tabs, kinds):
        with tab:
            values: dict = {}
            concerns = ""
            if kind == "contribute":
                form_place = st.container()
            else:  # the project first, nothing chosen for the user; its money beside the form
                values["record_id"] = st.selectbox(t("fund.choose_project"), list(label), index=None,
                                                   format_func=label.get, key=f"fund.{kind}.project",
                                                   placeholder=t("fund.pick_project"))
                form_place, beside = st.columns([3, 2])
                with beside:
                    _project_card(rt, pool_id, values["record_id"], label)
                concerns = label.get(values["record_id"], "")
            with form_place, st.form(f"fund.{kind}", clear_on_submit=True):
                values["on_date"] = st.date_input(t("fund.date"), value=dt.date.today(), key=f"fund.{kind}.date",
                                                  format="YYYY-MM-DD")
                if kind == "contribute":
                    names = {s.id: s.text(lang()) for s in rules.sources}
                    values["source"] = st.selectbox(t("fund.source"), list(names), format_func=names.get)
                values["amount"] = st.text_input(t("fund.amount"), placeholder="100000.00")
                if kind == "pay":
                    values["payee"] = st.text_input(t("fund.payee"))
                    values["purpose"] = st.text_input(t("fund.purpose"))
                if kind in ("allocate", "pay"):
                    values["approver"] = st.text_input(t("fund.approver"))
                values["document_ref"] = st.text_input(t("fund.document"))
                if st.form_submit_button(t("submit"), type="primary"):
                    if kind == "contribute":
                        concerns = names.get(values["source"], "")
                    _record(rt, fund_id, pool_id, year, kind, values, notice, concerns)
    if pool_id:
        with tabs[-1], st.form("fund.reverse", clear_on_submit=True):
            entry = st.number_input(t("fund.entry_no"), min_value=1, step=1)
            reason = st.text_input(t("fund.reason"))
            on_date = st.date_input(t("fund.date"), value=dt.date.today(), key="fund.reverse.date")
            if st.form_submit_button(t("submit"), type="primary"):
                _record(rt, fund_id, pool_id, year, "reverse",
                        {"entry_id": int(entry), "reason": reason, "on_date": on_date}, notice, "")


def _project_card(rt, pool_id: int | None, record_id: int | None, label: dict) -> None:
    """What the chosen project has: allocated, paid, still to pay; so money goes where it is meant to."""
    if record_id is None:
        st.info(t("fund.pick_project_first"))
        return
    with st.container(border=True):
        st.markdown(f"**{label[record_id]}**")
        if pool_id is None:
            return
        money = funds.balance(rt, actor(), pool_id, record_id)
        # a table, not metrics: the column is narrow and amounts must never be cut short
        table({t("fund.amount"): {t("fund.allocated"): f"{money.allocated:,.2f}", t("fund.paid"): f"{money.paid:,.2f}",
                                     t("fund.left_to_pay"): f"{money.allocated - money.paid:,.2f}"}})


def _record(rt, fund_id: str, pool_id: int | None, year: int, kind: str, values: dict, notice, concerns: str) -> None:
    who = actor()
    if "record_id" in values and values["record_id"] is None:
        notice.error(f"{t('fund.choose_project')}：{problem_text(Problem('required'), lang())}")
        return
    try:
        if pool_id is None:
            pool_id = funds.open_pool(rt, who, fund_id, year)
        entry = {"contribute": funds.contribute, "allocate": funds.allocate, "pay": funds.pay,
                 "reverse": lambda rt_, a, _pool, **kw: funds.reverse(rt_, a, **kw)}[kind](rt, who, pool_id, **values)
    except funds.FundRefused as exc:
        notice.error(refusal_text(exc, lang()) or exc.code)
        return
    except InputError as exc:
        labels = {"amount": t("fund.amount"), "payee": t("fund.payee"), "purpose": t("fund.purpose"),
                  "approver": t("fund.approver"), "document_ref": t("fund.document"), "reason": t("fund.reason"),
                  "source": t("fund.source")}
        notice.error("；".join(f"{labels.get(k, k)}：{problem_text(p, lang())}" for k, p in exc.problems.items()))
        return
    except PermissionDenied:
        notice.error(t("not_allowed"))
        return
    if kind == "reverse":
        say_done("fund", t("fund.reversed", entry=entry, reversed=values["entry_id"]))
    else:
        say_done("fund", t("fund.saved", entry=entry, kind=t(f"fund.{kind}"), concerns=concerns,
                           amount=f"{funds.yuan(funds.fen(values['amount'])):,.2f}"))
        st.session_state.pop(f"fund.{kind}.project", None)  # the next entry chooses its project afresh
    st.rerun()
