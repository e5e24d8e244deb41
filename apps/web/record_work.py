"""The working parts of a record's page: why it is where it is, the actions a user may take
(with their forms), the sheets filed on it, merging and splitting, and its printable letters.
Every button calls the engine, which checks the user's role and township again."""
from __future__ import annotations

import streamlit as st

from apps.i18n import input_error_lines, problem_text, refusal_text
from apps.web.done_message import say_done
from apps.web.form_widgets import form_inputs, submitted
from apps.web.record_delivery import defaults_caption
from apps.web.state import actor, lang, t
from apps.web.plain import table
from apps.web.plain import plain
from engine.output import documents
from engine.kernel.errors import InputError, MinshengError, PermissionDenied, Problem
from engine.core import accounts, regroup, sheets
from engine.core.workflow import TransitionRefused, available_actions, last_decision, transition
from engine.lang.inputs import WrongInputType
from engine.lang.tables import DecisionError


# A refused action, and a decision its rules could not make (rows that overlap, an input of the
# wrong type): both are said in words, never a traceback.
RULES_FAILED = (TransitionRefused, DecisionError, WrongInputType)


def refused(exc: TransitionRefused | DecisionError | WrongInputType) -> str:
    """A refusal in words: the rules' own reason when a decision said no."""
    return refusal_text(exc, lang()) or t("action_refused", reason=exc.code)


def decision_box(rt, view) -> None:
    decision = last_decision(rt, view.id)
    if not decision:
        return
    st.info(f"**{t('decision_reason')}**：{plain(decision['reason'])}" if lang() == "zh"
            else f"**{t('decision_reason')}**: {plain(decision['reason'])}")
    with st.expander(t("decision_details")):
        st.caption(t("decision_source", rules=decision.get("rule_file", ""), version=decision.get("version", ""),
                     rows=", ".join(decision.get("matched") or []) or "—"))
        table([{t("field"): k, t("details"): v} for k, v in (decision.get("seen") or {}).items()],
                 hide_index=True, border="horizontal")


def actions(rt, view, notice) -> None:
    """Buttons for actions without a form; an expander with the form for those with one.
    A refusal is written into `notice`, a container that is always on the page, so the message
    does not shift the widgets below it (which would close an open expander on the next rerun)."""
    allowed = available_actions(rt, actor(), view)
    plain = [a for a in allowed if not a.form]
    if plain:
        columns = st.columns(len(plain) + 3)
        for column, action in zip(columns, plain):
            if column.button(_label(action), key=f"action.{action.action}", type="primary"):
                _take(rt, view, action.action, None, notice)
    for action in (a for a in allowed if a.form):
        with st.expander(_label(action), icon=":material/gavel:"):
            scope = f"action.{action.action}.{view.id}"
            values, _ = form_inputs(action.form, scope)
            done = submitted(scope, _label(action), lambda raw, _files, a=action: _transition(rt, view, a.action, raw),
                             values)
            if done is not None:
                st.rerun()


def _label(action) -> str:
    return (action.label_en if lang() == "en" and action.label_en else action.label) or action.action


def _transition(rt, view, action: str, data):
    try:
        return transition(rt, actor(), view.id, action, data)
    except RULES_FAILED as exc:  # shown above the form, where its other problems are shown
        raise InputError({"": Problem("refused", {"reason": refused(exc)})}) from None


def _take(rt, view, action: str, data, notice) -> None:
    try:
        transition(rt, actor(), view.id, action, data)
    except RULES_FAILED as exc:
        notice.error(refused(exc))
        return
    except PermissionDenied:
        notice.error(t("not_allowed"))
        return
    st.rerun()


def sheet_section(rt, view) -> None:
    """The sheets filed on the record, and a form for each sheet this user may file now."""
    filed = sheets.filed_sheets(rt, actor(), view.id)
    for sheet in sheets.sheets_allowed(rt, actor(), view):
        form = rt.forms[sheet.form].form
        with st.expander(t("file_sheet", form=form.text(lang())), icon=":material/edit_note:"):
            if sheet.one_per:
                st.caption(t("one_per_note", field=form.field(sheet.one_per).text(lang())))
            defaults_caption(rt, view, sheet.form)
            scope = f"sheet.{sheet.form}.{view.id}"
            values, uploads = form_inputs(sheet.form, scope)
            if submitted(scope, t("submit"), lambda raw, files, s=sheet: sheets.file_sheet(rt, actor(), view.id, s.form,
                                                                                          raw, files),
                         values, uploads) is not None:
                say_done("record", t("sheet_filed", form=form.text(lang())), about=view.id)
                st.rerun()
    if filed:
        st.subheader(t("sheets"))
        rows = []
        names = accounts.display_names(rt, [item.view.created_by for item in filed])
        for item in filed:
            sheet_form = rt.forms[item.view.form_id].form
            rows.append({t("when"): f"{item.view.created_at:%Y-%m-%d %H:%M}", t("form"): sheet_form.text(lang()),
                         t("details"): _summary(rt, sheet_form, item.view.data),
                         t("who"): names.get(item.view.created_by) or item.view.created_by,
                         t("counts"): t("replaced") if item.replaced else "✓"})
        table(rows, hide_index=True, border="horizontal")


def _summary(rt, form, data) -> str:
    parts = []
    for f in form.fields:
        if f.id in data and f.type != "file":
            parts.append(f"{f.text(lang())}: {rt.display_value(form, f.id, data[f.id], lang())}")
    return "；".join(parts) if lang() == "zh" else "; ".join(parts)


def regroup_section(rt, view) -> None:
    wf = sheets.workflow_of(rt.for_version(view.profile_version), view.form_id)
    if wf is None:
        return
    who = actor()
    if wf.merge and view.state in wf.merge.from_ and who.may(wf.merge.roles):
        with st.expander(t("merge_title"), icon=":material/merge:"):
            st.caption(t("merge_help"))
            text = st.text_input(t("merge_ids"), key=f"merge.ids.{view.id}")
            note = st.text_input(t("note"), key=f"merge.note.{view.id}")
            if st.button(t("merge_do"), key=f"merge.do.{view.id}"):
                ids = [int(x) for x in text.replace("，", ",").replace(" ", ",").split(",") if x.strip().isdigit()]
                try:
                    regroup.merge(rt, who, view.id, ids, note)
                    say_done("record", t("merged_n", n=len(ids)), about=view.id)
                    st.rerun()
                except InputError as exc:
                    st.error("；".join(problem_text(p, lang()) for p in exc.problems.values()))
                except (PermissionDenied, MinshengError):
                    st.error(t("not_allowed"))
    if wf.split and view.state in wf.split.from_ and who.may(wf.split.roles):
        with st.expander(t("split_title"), icon=":material/call_split:"):
            st.caption(t("split_help"))
            count = st.number_input(t("split_parts"), min_value=2, max_value=10, value=2, key=f"split.n.{view.id}")
            parts = []
            for n in range(int(count)):
                left, right = st.columns([1, 2])
                title = left.text_input(t("split_part_title", n=n + 1), key=f"split.title.{view.id}.{n}")
                content = right.text_area(t("split_part_content", n=n + 1), key=f"split.content.{view.id}.{n}", height=80)
                parts.append({k: v for k, v in (("title", title), ("content", content)) if v})
            if st.button(t("split_do"), key=f"split.do.{view.id}"):
                try:
                    made = regroup.split(rt, who, view.id, parts)
                    say_done("record", t("split_done", ids=", ".join(f"#{m.id}" for m in made)), about=view.id)
                    st.rerun()
                except InputError as exc:
                    labels = {f"{n}:{f.id}": f"{t('split_part', n=n)} {f.text(lang())}"
                              for n in range(1, 11) for f in rt.forms[view.form_id].form.fields}
                    for line in input_error_lines(exc, labels, lang()):
                        st.error(line)
                except (PermissionDenied, MinshengError):
                    st.error(t("not_allowed"))


def related_section(rt, view, public: bool) -> None:
    related = regroup.related(rt, view.id)
    for key in ("merged_into", "merged_here", "split_from", "parts"):
        if related[key] and public and key == "merged_here":  # other proposers' receipt codes stay theirs
            st.caption(t("merged_here_count", n=len(related[key])))
        elif related[key]:
            shown = "、".join(f"{plain(r.title)}（{r.receipt_code if public else '#' + str(r.id)}，"
                             f"{rt.state_label(r.form_id, r.state, lang())}）" for r in related[key])
            st.caption(f"{t('related.' + key)}：{shown}")


def letters(rt, view) -> None:
    """Download buttons for the letters, and texts to copy, this user may make about the record now."""
    for doc in rt.profile.documents.values():
        if doc.kind == "notice" or doc.form != view.form_id or view.state not in doc.states or not actor().may(doc.roles):
            continue
        try:
            if doc.kind == "message":
                text = documents.message(rt, actor(), doc.id, view.id)
            else:
                made = documents.letter(rt, actor(), doc.id, view.id)
        except (PermissionDenied, InputError, MinshengError):
            continue
        if doc.kind == "message":
            st.caption(t("copy_text", what=doc.text(lang())))
            st.code(text, language=None, wrap_lines=True)  # the copy icon copies it
            continue
        st.download_button(t("download", what=doc.text(lang())), lambda made=made: made.content, file_name=made.filename,
                           mime="application/pdf", key=f"letter.{doc.id}.{view.id}", icon=":material/print:")

