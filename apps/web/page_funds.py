"""The fund pool for finance and audit: the year's balance, money per township and project, and
the whole ledger as an XLSX file for the audit office. Sums come from SQL."""
from __future__ import annotations

import io

import streamlit as st
from sqlalchemy import select

from apps.web.state import actor, lang, runtime, t
from engine.errors import PermissionDenied
from engine.services import funds
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
    townships: dict[str, list] = {}
    for p in projects:
        name = rt.reference_label("townships", p.township, lang()) if p.township else "—"
        townships.setdefault(name, [0, 0])
        townships[name][0] += float(p.allocated)  # for the chart only; the figures above are exact
        townships[name][1] += float(p.paid)
    st.subheader(t("fund.by_township"))
    st.bar_chart({t("fund.allocated"): {k: v[0] for k, v in townships.items()},
                  t("fund.paid"): {k: v[1] for k, v in townships.items()}}, stack=False, height=320)
    st.subheader(t("fund.by_project"))
    st.table([{t("title"): p.title, t("township"): rt.reference_label("townships", p.township, lang()) if p.township else "",
               t("fund.allocated"): f"{p.allocated:,.2f}", t("fund.paid"): f"{p.paid:,.2f}",
               t("fund.share_paid"): f"{(p.paid / p.allocated * 100 if p.allocated else 0):.0f}%"} for p in projects],
             hide_index=True, border="horizontal")
    out = io.BytesIO()
    funds.ledger_xlsx(rt, actor(), pool_id, [t(k) for k in LEDGER_COLUMNS], out)
    st.download_button(t("fund.export"), out.getvalue(), file_name=f"{fund_id}-{year}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/download:")
