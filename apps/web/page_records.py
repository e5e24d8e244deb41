"""Generated list and detail pages: filters and pagination run in SQL, roles checked by the engine."""
from __future__ import annotations

import io

import streamlit as st

from apps.i18n import TEXT, problem_text, refusal_text
from apps.web.done_message import say_done, show_done
from apps.web.state import actor, lang, runtime, t
from apps.web import record_work as work
from apps.web.record_delivery import delivery_section, subject_link
from apps.web.trace_view import chain
from apps.web.views import history_table, record_fields
from apps.web.plain import plain
from engine.kernel.errors import InputError, NotFound, PermissionDenied
from engine.output.xlsx import write_sheet
from engine.core import bulk, records, sheets

PAGE_SIZE = 25
EXPORT_LIMIT = 100_000  # rows of one spreadsheet: past this, narrow the list with filters or words


def render_list_page(form_id: str) -> None:
    rt = runtime()
    form = rt.form(form_id).form
    title, jump = st.columns([4, 1], vertical_alignment="bottom")
    title.title(t("list_records", form=form.text(lang())))
    wanted = jump.text_input(t("go_to_record"), key=f"goto.{form_id}", placeholder="#")
    if wanted.strip().lstrip("#").isdigit():
        st.session_state["record.id"] = int(wanted.strip().lstrip("#"))
        del st.session_state[f"goto.{form_id}"]
        st.switch_page(st.session_state["pages"]["record"])
    filters: dict[str, str] = {}
    if form.filters:
        columns = st.columns(len(form.filters))
        for column, fid in zip(columns, form.filters):
            f = form.field(fid)
            if f.type == "reference" and not f.to.startswith("form:"):
                choices = rt.profile.reference_choices(f.to)
                if f.filter_by and filters.get(f.filter_by):
                    allowed = set(rt.stations_of(filters[f.filter_by]))
                    choices = [c for c in choices if c[0] in allowed]
                labels = {c[0]: (c[2] if lang() == "en" and c[2] else c[1]) for c in choices}
            elif f.options:
                labels = {o.id: o.text(lang()) for o in f.options}
            else:
                continue
            picked = column.selectbox(f.text(lang()), [""] + list(labels), key=f"filter.{form_id}.{fid}",
                                      format_func=lambda v, labels=labels: labels.get(v, t("all")))
            if picked:
                filters[fid] = picked
    wf = sheets.workflow_of(rt, form_id)
    if wf is not None and len(wf.states) > 1:  # e.g. the reserve pool, the suggestions awaiting screening
        labels = {s.id: s.text(lang()) for s in wf.states}
        picked = st.selectbox(t("status"), [""] + list(labels), key=f"filter.{form_id}.state",
                              format_func=lambda v: labels.get(v, t("all")))
        if picked:
            filters["state"] = picked
    if rt.profile.county.groups and wf is not None:  # projects assigned to supervision groups, say
        labels = {g.id: rt.reference_label("groups", g.id, lang()) for g in rt.profile.county.groups}
        picked = st.selectbox(t("record.group"), [""] + list(labels), key=f"filter.{form_id}.group",
                              format_func=lambda v: labels.get(v, t("all")))
        if picked:
            filters[records.GROUP_FILTER] = picked
    words, order = st.columns([3, 1], vertical_alignment="bottom")
    search = words.text_input(t("find_words"), key=f"search.{form_id}", placeholder=t("search_hint"), max_chars=100)
    sort = order.selectbox(t("sort"), records.sorts_for(rt.form(form_id)), key=f"sort.{form_id}",
                           format_func=lambda s: t(f"sort.{s}") if s in records.SORTS
                           else t("sort.by", field=form.field(s).text(lang())))
    asked = (tuple(sorted(filters.items())), search, sort)
    if st.session_state.get(f"asked.{form_id}", asked) != asked:  # a new question starts on its first page
        st.session_state[f"page.{form_id}"] = 1
    st.session_state[f"asked.{form_id}"] = asked
    page_no = int(st.session_state.get(f"page.{form_id}", 1))
    try:
        page = records.list_records(rt, actor(), form_id, filters, page=page_no, page_size=PAGE_SIZE,
                                    search=search, sort=sort)
    except PermissionDenied:
        st.error(t("not_allowed") if actor().signed_in else t("sign_in_first"))
        return
    except InputError as refused:
        st.warning(" ".join(problem_text(p, lang()) for p in refused.problems.values()))
        return
    total, export = st.columns([4, 1], vertical_alignment="center")
    total.caption(t("total", n=f"{page.total:,}") + " · " + t("page_of", page=page.page, pages=page.pages))
    if not page.items:
        st.info(t("no_records_found") if search.strip() else t("no_records"))
        return
    ready = st.session_state.get(f"export.{form_id}")
    if ready and ready[0] == asked:
        export.download_button(t("download_xlsx", n=f"{ready[2]:,}"), data=ready[1], icon=":material/download:",
                               file_name=f"{form.text(lang())}.xlsx", key=f"export.{form_id}.file",
                               mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    elif export.button(t("export_xlsx"), key=f"export.{form_id}.make", icon=":material/table_view:",
                       help=t("export_hint", limit=f"{EXPORT_LIMIT:,}")):
        with st.spinner(t("exporting")):
            st.session_state[f"export.{form_id}"] = (asked, *list_workbook(rt, form_id, filters, search, sort))
        st.rerun()
    headings = list_headings(rt, form)
    rows = [dict(zip(headings, list_row(rt, form, r))) for r in page.items]
    actions = bulk_actions(rt, form_id)
    if actions and st.toggle(t("bulk.toggle"), key=f"bulk.{form_id}", help=t("bulk.help")):
        bulk_table(rt, form_id, page, rows, actions)
    else:
        table_to_open(page, rows, f"page.{form_id}")


def bulk_actions(rt, form_id: str) -> dict[str, str]:
    """The actions this user may take on many records at once: no form to fill, not automatic."""
    wf = sheets.workflow_of(rt, form_id)
    found: dict[str, str] = {}
    for tr in (wf.transitions if wf else ()):
        if not tr.automatic and not tr.form and actor().may(tr.roles) and tr.action not in found:
            found[tr.action] = (tr.label_en if lang() == "en" and tr.label_en else tr.label) or tr.action
    return found


def bulk_table(rt, form_id: str, page: records.Page, rows: list[dict], actions: dict[str, str]) -> None:
    """The page's records with boxes to tick, and an action for the ticked ones (confirmed first)."""
    generation = st.session_state.get(f"bulk.gen.{form_id}", 0)  # a new table after acting: no box ticked
    event = st.dataframe(rows, hide_index=True, on_select="rerun", selection_mode="multi-row",
                         column_config=record_columns(), key=f"bulk.table.{form_id}.{page.page}.{generation}",
                         height=36 * (len(rows) + 1) + 3)
    picked = [page.items[i].id for i in (event.selection.rows if event and hasattr(event, "selection") else [])]
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    action = left.selectbox(t("bulk.action"), list(actions), format_func=actions.get, key=f"bulk.action.{form_id}")
    if right.button(t("bulk.go", n=len(picked)), type="primary", disabled=not picked, key=f"bulk.go.{form_id}",
                    width="stretch"):
        st.dialog(t("bulk.confirm_title"))(_confirm_bulk)(rt, form_id, action, actions[action], picked)
    show_done(st.container(), f"bulk.{form_id}")


def _confirm_bulk(rt, form_id: str, action: str, label: str, ids: list[int]) -> None:
    """The action and the records it is about to move; each is still checked and decided alone."""
    st.markdown(t("bulk.confirm", action=label, n=len(ids), ids="、".join(f"#{i}" for i in ids)))
    if st.button(t("bulk.confirm_go"), type="primary", key="bulk.confirm.go", width="stretch"):
        moves, refused = bulk.act_on_selected(rt, actor(), action, ids)
        say_done(f"bulk.{form_id}", t("bulk.done", action=label, n=len(moves)),
                 not_done=[t("bulk.refused", id=i, why=_refusal_words(why)) for i, why in refused])
        st.session_state[f"bulk.gen.{form_id}"] = st.session_state.get(f"bulk.gen.{form_id}", 0) + 1  # untick
        st.rerun()


def _refusal_words(why: str | Exception) -> str:
    """Why a record was not moved: a refusal's code in words, the rules' own reason as written,
    or what kept the rules from deciding."""
    if isinstance(why, Exception):
        return refusal_text(why, lang()) or t("bulk.why.undecidable")
    return t(f"bulk.why.{why}") if f"bulk.why.{why}" in TEXT else why


def list_headings(rt, form) -> list[str]:
    wf = sheets.workflow_of(rt, form.id)
    return ([t("record_no"), t("title")] + ([t("status")] if wf is not None else [])
            + [form.field(fid).text(lang()) for fid in form.list_columns] + [t("created_at")])


def list_row(rt, form, record: records.RecordView) -> list:
    """A record as a row of its form's list (and of the list's spreadsheet), under list_headings."""
    language = lang()  # read once: each read goes through the session state (an export has 100,000 rows)
    row = [record.id, record.title]
    if sheets.workflow_of(rt, form.id) is not None:
        row.append(rt.state_label(form.id, record.state, language) if record.state else "")
    row.extend(rt.display_value(form, fid, record.data.get(fid), language) for fid in form.list_columns)
    row.append(f"{record.created_at:%Y-%m-%d %H:%M}")
    return row


def list_workbook(rt, form_id: str, filters: dict, search: str, sort: str) -> tuple[bytes, int]:
    """The filtered, searched, sorted list as a spreadsheet, a batch at a time (at most EXPORT_LIMIT
    rows), with the same columns and the same rights as the list on screen."""
    form = rt.form(form_id).form

    def rows():
        for record in records.list_all(rt, actor(), form_id, filters, search=search, sort=sort, limit=EXPORT_LIMIT):
            yield list_row(rt, form, record)
    out = io.BytesIO()
    written = write_sheet(out, list_headings(rt, form), rows(), title=form.text(lang()))
    return out.getvalue(), written


def record_columns() -> dict:
    """A list's number narrow and its title wide: the number is a few digits, the title says what it is."""
    return {t("record_no"): st.column_config.NumberColumn(width="small", format="%d"),
            t("title"): st.column_config.TextColumn(width="large")}


def table_to_open(page: records.Page, rows: list[dict], key: str, column_config: dict | None = None) -> None:
    """A page of records (or of items with a `record`) as a table: selecting a row opens the
    record; a page number below. `key` holds the page number in the session."""
    st.caption(t("select_to_open"))
    event = st.dataframe(rows, hide_index=True, on_select="rerun", selection_mode="single-row",
                         column_config={**record_columns(), **(column_config or {})},
                         key=f"{key}.table.{page.page}", height=36 * (len(rows) + 1) + 3)
    selected = event.selection.rows if event and hasattr(event, "selection") else []
    if selected:
        item = page.items[selected[0]]
        st.session_state["record.id"] = getattr(item, "record", item).id
        st.switch_page(st.session_state["pages"]["record"])
    _, right = st.columns([5, 1])
    new_page = right.number_input(t("page"), min_value=1, max_value=page.pages, value=page.page, step=1,
                                  key=f"{key}.input")
    if new_page != page.page:
        st.session_state[key] = int(new_page)
        st.rerun()


def render_record_page() -> None:
    rt = runtime()
    record_id = st.query_params.get("id") or st.session_state.get("record.id")
    if not record_id or not str(record_id).isdigit():
        st.info(t("no_records"))
        return
    try:
        view, history = records.get(rt, actor(), int(record_id))
    except NotFound:
        st.warning(t("no_records"))
        return
    except PermissionDenied:
        st.error(t("not_allowed") if actor().signed_in else t("sign_in_first"))
        return
    st.query_params["id"] = str(view.id)
    form = rt.forms[view.form_id].form
    # Always a container here, message or not: a message that comes and goes must not shift the
    # widgets below it, or an open expander closes on the next rerun.
    top = st.container()
    show_done(top, "record", about=view.id)
    st.title(plain(view.title))
    st.caption(f"{form.text(lang())} · {t('record_no')} {view.id}"
               + (f" · {t('receipt_code')} {view.receipt_code}" if view.receipt_code else "")
               + (f" · {t('record.group')}：{rt.reference_label('groups', view.group_id, lang())}" if view.group_id else ""))
    if view.state:
        st.metric(t("status"), rt.state_label(view.form_id, view.state, lang()))
        work.decision_box(rt, view)
        work.related_section(rt, view, public=False)
        subject_link(rt, view)
        notice = st.container()
        work.actions(rt, view, notice)
        work.letters(rt, view)
    record_fields(rt, form, view.data, include_private=True)
    if view.state:
        delivery_section(rt, view)
        work.sheet_section(rt, view)
        work.regroup_section(rt, view)
    linked = [r for r in records.linked_records(rt, actor(), view.id) if not _is_sheet(rt, view, r)]
    if linked:
        st.subheader(t("linked"))
        st.dataframe([{t("record_no"): r.id, t("title"): r.title,
                       t("status"): rt.state_label(r.form_id, r.state, lang())} for r in linked], hide_index=True)
    if view.receipt_code:  # what the proposer sees, in one chain
        with st.expander(t("trace.title")):
            chain(view.id)
    st.subheader(t("history"))
    history_table(rt, view.form_id, history, show_actor=True)


def _is_sheet(rt, view, other) -> bool:
    """Sheets and action forms are shown in their own table, not among linked records."""
    wf = sheets.workflow_of(rt, view.form_id)
    if wf is None:
        return False
    return other.form_id in {s.form for s in wf.sheets} | {tr.form for tr in wf.transitions if tr.form}


def render_awaiting_page(form_id: str, sheet_form: str) -> None:
    """Records still waiting for a sheet (suggestions not yet answered), oldest first."""
    rt = runtime()
    form = rt.forms[form_id].form
    st.title(t("awaiting", form=rt.forms[sheet_form].form.text(lang())))
    choices = [""] + [tw.id for tw in rt.profile.county.townships]
    township = None
    if not actor().township:
        township = st.selectbox(t("township"), choices, key=f"awaiting.tw.{sheet_form}",
                                format_func=lambda v: rt.reference_label("townships", v, lang()) if v else t("all")) or None
    page_no = int(st.session_state.get(f"awaiting.page.{sheet_form}", 1))
    try:
        page = sheets.awaiting(rt, actor(), form_id, sheet_form, township, page=page_no, page_size=PAGE_SIZE)
    except PermissionDenied:
        st.error(t("not_allowed") if actor().signed_in else t("sign_in_first"))
        return
    st.caption(t("total", n=f"{page.total:,}") + " · " + t("page_of", page=page.page, pages=page.pages))
    if not page.items:
        st.success(t("awaiting_none"))
        return
    rows = [{t("record_no"): r.id, t("title"): r.title, t("status"): rt.state_label(form_id, r.state, lang()),
             form.field("township").text(lang()) if form.has_field("township") else t("township"):
             rt.reference_label("townships", r.township, lang()) if r.township else ""} for r in page.items]
    table_to_open(page, rows, f"awaiting.page.{sheet_form}")
