"""The Streamlit app. Pages are generated from the profile's forms and the user's roles.

Run with `minsheng serve` (or `streamlit run apps/web/main.py`; MINSHENG_CONFIG names the profile).
"""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts this file's folder on the path, not the project: make `apps` importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from apps.i18n import LANGS, text  # noqa: E402
from apps.web.page_account import sign_in_box  # noqa: E402
from apps.web.page_accounts import render_accounts_page  # noqa: E402
from apps.web.page_policy import render_policy_page  # noqa: E402
from apps.web.page_form import render_form_page  # noqa: E402
from apps.web.page_import import allowed_imports, render_import_page  # noqa: E402
from apps.web.page_lookup import render_lookup_page  # noqa: E402
from apps.web.page_notices import render_notices_page  # noqa: E402
from apps.web.page_records import render_awaiting_page, render_list_page, render_record_page  # noqa: E402
from apps.web.page_ballot import render_ballot_page  # noqa: E402
from apps.web.page_sheet_grid import render_sheet_grid_page  # noqa: E402
from apps.web.page_projects import render_projects_page  # noqa: E402
from apps.web.page_votes import render_desk_page, render_results_page  # noqa: E402
from apps.web.page_funds import render_funds_page  # noqa: E402
from apps.web.page_delivery import render_delivery_page  # noqa: E402
from apps.web.page_report import render_report_page  # noqa: E402
from apps.web.page_start import render_start_page  # noqa: E402
from apps.web.phone_menu import close_sidebar_on_phone, phone_menu  # noqa: E402
from apps.web.done_message import forget_on_page_change  # noqa: E402
from apps.web.chinese_ui import chinese_widget_words  # noqa: E402
from apps.web.state import actor, broken_on_disk, check_account, config_dir, lang, runtime, t, version_notes  # noqa: E402
from engine.schema.county import PUBLIC  # noqa: E402
from engine.output.documents import public_notices  # noqa: E402

log = logging.getLogger("minsheng.web")


def _page(fn, *args, title: str, url_path: str, icon: str | None = None, **kwargs) -> st.Page:
    def run() -> None:
        try:
            fn(*args)
        except Exception as exc:  # a bug: logged with its traceback, a plain message on screen
            if type(exc).__module__.startswith("streamlit"):
                raise  # st.rerun / st.stop / switch_page work by raising
            log.exception("page %s failed", url_path)
            st.error(t("internal_error"))
    run.__name__ = url_path.replace("-", "_")
    return st.Page(run, title=title, url_path=url_path, icon=icon, **kwargs)


def main() -> None:
    st.set_page_config(page_title=text("app_title", lang()), layout="wide")
    # The tables' own CSV download and copy would hand a citizen's "=HYPERLINK(...)" to Excel as a
    # formula; the lists export through the program's own Excel files, which write it as text.
    st.set_option("client.disableDataExport", True)
    rt = runtime()
    check_account()
    who = actor()
    with st.sidebar:
        st.markdown(f"**{rt.profile.county.name if lang() == 'zh' else (rt.profile.county.name_en or rt.profile.county.name)}**")
        chosen = st.selectbox(text("language", lang()), LANGS, index=LANGS.index(lang()),
                              format_func=lambda code: {"zh": "中文", "en": "English"}[code], key="lang_select")
        if chosen != lang():
            st.session_state["lang"] = chosen
            st.rerun()
        st.divider()
        sign_in_box()
        if who.may(rt.profile.roles_for("manage_users")):  # administrators see what an edit did not reach
            for note in version_notes(config_dir(), os.environ.get("DATABASE_URL"), rt.profile.version):
                st.caption(f":orange[{note}]")

    public, staff = [], []
    for form_id, compiled in rt.forms.items():
        form = compiled.form
        if PUBLIC in form.access.submit:
            public.append(_page(render_form_page, form_id, title=form.text(lang()), url_path=f"new-{form_id}",
                                icon=":material/edit_note:", default=not public and not who.signed_in))
        elif who.may(form.access.submit):
            staff.append(_page(render_form_page, form_id, title=t("new_record", form=form.text(lang())),
                               url_path=f"new-{form_id}", icon=":material/add:"))
    if any(c.form.receipt for c in rt.forms.values()):
        public.append(_page(render_lookup_page, title=t("lookup"), url_path="lookup", icon=":material/search:"))
    if public_notices(rt):
        public.append(_page(render_notices_page, title=t("notices"), url_path="notices", icon=":material/campaign:"))
    if rt.profile.votes and any(d.kind == "result" for d in rt.profile.documents.values()):
        public.append(_page(render_results_page, title=t("vote.results"), url_path="results", icon=":material/how_to_vote:"))
    for delivery_id, spec in rt.profile.delivery.items():
        if spec.public:
            public.append(_page(render_projects_page, delivery_id, title=t("projects.nav"),
                                url_path=f"projects-{delivery_id}", icon=":material/domain:"))
    if who.signed_in and any(who.may(v.roles.voters) for v in rt.profile.votes.values()):
        staff.insert(0, _page(render_ballot_page, title=t("vote.ballot_page"), url_path="ballot", icon=":material/ballot:"))
    for vote_id, rules in rt.profile.votes.items():
        if who.signed_in and (who.may(rules.roles.presidium) or who.may(rules.roles.tellers)):
            staff.append(_page(render_desk_page, vote_id, title=rules.text(lang()), url_path=f"vote-{vote_id}",
                               icon=":material/gavel:"))
    for form_id, compiled in rt.forms.items():
        if who.signed_in and who.may(compiled.form.access.list):
            staff.append(_page(render_list_page, form_id, title=t("list_records", form=compiled.form.text(lang())),
                               url_path=f"list-{form_id}", icon=":material/table_rows:"))
    for form_id, compiled in rt.forms.items():  # what is waiting for a sheet, e.g. answers to proposers
        wf = rt.profile.workflows.get(compiled.form.workflow) if compiled.form.workflow else None
        for sheet in (wf.sheets if wf else ()):
            if sheet.awaited and who.signed_in and who.may(sheet.roles) and who.may(compiled.form.access.list):
                staff.insert(0, _page(render_awaiting_page, form_id, sheet.form, url_path=f"todo-{sheet.form}",
                                      title=t("awaiting", form=rt.forms[sheet.form].form.text(lang())),
                                      icon=":material/pending_actions:"))
    batches = []
    for form_id, compiled in rt.forms.items():  # sheets in batches: a grid of many records at once
        wf = rt.profile.workflows.get(compiled.form.workflow) if compiled.form.workflow else None
        for sheet in (wf.sheets if wf else ()):
            sheet_form = rt.forms[sheet.form].form
            if (who.signed_in and who.may(sheet.roles) and who.may(compiled.form.access.list)
                    and not any(f.type == "file" and f.required for f in sheet_form.fields)):
                batches.append(_page(render_sheet_grid_page, form_id, sheet.form, url_path=f"batch-{sheet.form}",
                                     title=t("grid.nav", form=sheet_form.text(lang())), icon=":material/grid_on:"))
    for fund_id, pool in rt.profile.funds.items():
        if who.signed_in and who.may(pool.roles.view):
            staff.append(_page(render_funds_page, fund_id, title=pool.text(lang()), url_path=f"fund-{fund_id}",
                               icon=":material/account_balance:"))
    for delivery_id, spec in rt.profile.delivery.items():
        if who.signed_in and who.may(spec.roles.view):
            staff.insert(0, _page(render_delivery_page, delivery_id, title=spec.text(lang()),
                                  url_path=f"delivery-{delivery_id}", icon=":material/monitoring:"))
    for report_id, spec in rt.profile.reports.items():
        if who.signed_in and who.may(spec.roles):
            staff.append(_page(render_report_page, report_id, title=spec.text(lang()), url_path=f"report-{report_id}",
                               icon=":material/summarize:"))
    if who.signed_in and who.may(rt.profile.roles_for("manage_users")):
        staff.append(_page(render_accounts_page, title=t("accounts.nav"), url_path="accounts",
                           icon=":material/manage_accounts:"))
    if who.signed_in and who.may(rt.profile.roles_for("edit_profile")):
        staff.append(_page(render_policy_page, title=t("policy.nav"), url_path="policy", icon=":material/tune:"))
    if who.signed_in and allowed_imports(rt, who):
        staff.append(_page(render_import_page, title=t("import"), url_path="import", icon=":material/upload_file:"))
    start = None
    if who.signed_in:  # the landing page after signing in: what waits for this user
        start = _page(render_start_page, title=t("start.title"), url_path="start", icon=":material/task_alt:",
                      default=True)
        staff.insert(0, start)
    record_page = _page(render_record_page, title=t("details"), url_path="record", visibility="hidden")
    st.session_state["pages"] = {"record": record_page, **{p.url_path: p for p in staff + batches + public}}
    pages = {t("public_pages"): public}
    if staff:
        pages[t("staff_pages")] = staff
    if batches:
        pages[t("grid.section")] = batches
    pages[""] = [record_page]
    navigation = st.navigation(pages, expanded=True)  # every page a role has, not "View more"
    if lang() == "zh":
        chinese_widget_words()
    phone_menu(pages, navigation.url_path)
    forget_on_page_change(navigation.url_path)
    if st.session_state.pop("land_on_start", False) and start is not None:
        st.session_state["signed_in_on_this_run"] = True
        st.switch_page(start)
    if st.session_state.pop("signed_in_on_this_run", False):
        close_sidebar_on_phone()
    if broken_on_disk() and who.may(rt.profile.roles_for("edit_profile") + rt.profile.roles_for("manage_users")):
        # above every page: a hand edit that broke the folder must not go unnoticed
        st.warning(t("profile_broken_on_disk", version=rt.profile.version))
        st.code("\n".join(broken_on_disk()), language=None, wrap_lines=True)
    navigation.run()


try:
    main()
except Exception as exc:  # outside a page (sign-in, the sidebar): logged, a plain message on screen
    if type(exc).__module__.startswith("streamlit"):
        raise
    log.exception("the app failed")
    st.error(t("internal_error"))
