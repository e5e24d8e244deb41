"""The annual report for the county congress: each section's table and chart on screen, and the
report as Excel and PDF. Counting reads the records in batches; it runs when asked, not on every
visit."""
from __future__ import annotations

import io

import streamlit as st

from apps.i18n import report_words
from apps.web.state import actor, lang, runtime, t
from apps.web.plain import table as show_table
from engine.output import reports
from engine.kernel.errors import PermissionDenied


def render_report_page(report_id: str) -> None:
    rt = runtime()
    spec = reports.report(rt, report_id)
    st.title(spec.text(lang()))
    current = rt.profile.county.year
    year = st.selectbox(t("report.year"), list(range(current, current - 5, -1)), key="report.year")
    key = f"report.{report_id}.{year}.{lang()}"
    if st.button(t("report.make"), type="primary", icon=":material/summarize:"):
        try:
            title, paragraphs, tables = reports.build(rt, actor(), report_id, year, report_words(lang()), lang())
        except PermissionDenied:
            st.error(t("not_allowed"))
            return
        out = io.BytesIO()
        reports.xlsx(title, paragraphs, tables, out)
        st.session_state[key] = (title, paragraphs, tables, out.getvalue(), reports.pdf(rt, title, paragraphs, tables))
    if key not in st.session_state:
        return
    title, paragraphs, tables, xlsx, pdf = st.session_state[key]
    left, right = st.columns(2)
    left.download_button(t("report.xlsx"), xlsx, file_name=f"{report_id}-{year}.xlsx", icon=":material/table_view:",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    right.download_button(t("report.pdf"), pdf, file_name=f"{report_id}-{year}.pdf", mime="application/pdf",
                          icon=":material/picture_as_pdf:")
    st.subheader(title)
    for p in paragraphs:
        st.write(p)
    for table in tables:
        st.markdown(f"**{table.heading}**")
        chart, grid = st.columns([3, 2])
        chart.bar_chart({table.columns[table.chart]: {str(r[0]): float(r[table.chart]) for r in table.rows[:-1]}},
                        horizontal=True, height=max(200, 24 * len(table.rows)))
        show_table([dict(zip(table.columns, [str(v) for v in r])) for r in table.rows], grid, hide_index=True,
                   border="horizontal")
