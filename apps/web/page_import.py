"""Bulk import page: upload a CSV or XLSX export, watch the progress bar, read the rejected rows."""
from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from apps.i18n import input_error_lines
from apps.web.state import actor, lang, runtime, t
from engine.kernel.errors import InputError, PermissionDenied
from engine.core.importer import import_file


def allowed_imports(rt, who) -> list[str]:
    return [i for i, m in rt.profile.imports.items() if who.may(m.roles)]


def render_import_page() -> None:
    rt = runtime()
    st.title(t("import"))
    choices = allowed_imports(rt, actor())
    if not choices:
        st.error(t("not_allowed"))
        return
    mapping_id = st.selectbox(t("import_kind"), choices,
                              format_func=lambda i: rt.profile.imports[i].text(lang()))
    upload = st.file_uploader(t("import_file"), type=["csv", "xlsx"])
    st.caption(t("ui.file_rules", types="CSV、XLSX", size=f"{st.get_option('server.maxUploadSize')} MB"))  # the server's limit
    if upload is None or not st.button(t("import_start"), type="primary"):
        return
    bar = st.progress(0.0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        try:
            report = import_file(rt, actor(), mapping_id, path,
                                 progress=lambda fraction, r: bar.progress(min(fraction, 1.0)))
        except InputError as exc:
            for line in input_error_lines(exc, {"file": t("file_label")}, lang()):
                st.error(line)
            return
        except PermissionDenied:
            st.error(t("not_allowed"))
            return
    bar.progress(1.0)
    st.success(t("import_done", read=report.rows_read, added=report.rows_added,
                 duplicate=report.rows_duplicate, rejected=report.rows_rejected))
    if report.rejections:
        form = rt.forms[rt.profile.imports[mapping_id].form].form
        labels = {f.id: f.text(lang()) for f in form.fields}
        st.subheader(t("import_rejected_rows"))
        st.dataframe([{t("row"): number, t("reason"): ("; " if lang() == "en" else "；").join(input_error_lines(InputError(problems), labels, lang()))}
                      for number, problems in report.rejections], hide_index=True)
