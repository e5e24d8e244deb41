"""Public page: the notices the profile publishes (the admitted list per township), no sign-in.
The table shows the same rows as the printable PDF, read in pages from the database."""
from __future__ import annotations

import itertools

import streamlit as st

from apps.web.state import actor, lang, runtime, t
from apps.web.plain import table
from engine.output import documents

MAX_ROWS = 200  # a township's notice board, not a county export


def render_notices_page() -> None:
    rt = runtime()
    st.title(t("notices"))
    notices = documents.public_notices(rt)
    if not notices:
        st.info(t("no_records"))
        return
    doc = notices[0] if len(notices) == 1 else st.selectbox(
        t("form"), notices, format_func=lambda d: d.text(lang()), key="notices.doc")
    townships = [tw.id for tw in rt.profile.county.townships]
    wanted = st.query_params.get("township")
    township = st.selectbox(t("township"), townships, key="notices.township",
                            index=townships.index(wanted) if wanted in townships else 0,
                            format_func=lambda v: rt.reference_label("townships", v, lang()))
    st.query_params["township"] = township
    rows = [documents.row_values(rt, doc, record, n) for n, record in
            enumerate(itertools.islice(documents.notice_rows(rt, doc, township), MAX_ROWS), start=1)]
    st.subheader(doc.text(lang()))
    if not rows:
        st.info(t("no_records"))
    else:
        headings = [c.text(lang()) for c in doc.columns]
        table([dict(zip(headings, row)) for row in rows], hide_index=True, border="horizontal")
    made = documents.notice(rt, actor(), doc.id, township)
    st.download_button(t("download", what=doc.text(lang())), lambda made=made: made.content, file_name=made.filename,
                       mime="application/pdf", key="notices.pdf", icon=":material/print:")
