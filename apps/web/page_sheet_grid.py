"""Sheets in batches (成批填写): one editable grid of a sheet form for many records at once, e.g.
a screening group's scores for its township's suggestions, one row per suggestion and member.

The persons (members, departments) are listed once above the grid and repeated on each record's
row; a row left empty is not filed. Saving files every filled row as a single sheet would be
filed (engine.core.sheets.file_sheets): the good rows are stored, each refused row is named with
its reasons and keeps what was typed, so it can be corrected and saved again.
"""
from __future__ import annotations

import math

import streamlit as st

from apps.i18n import input_error_lines, refusal_text
from apps.web.done_message import say_done, show_done
from apps.web.state import actor, lang, runtime, t
from engine.core import sheet_batches, sheets
from engine.kernel.errors import InputError, PermissionDenied

GRID_TYPES = ("text", "textarea", "phone", "choice", "score", "integer", "number", "money", "date")


def _column(field):
    """The grid column for a field, with the form's own limits. Every cell holds text ("" when
    empty, so an empty cell shows blank rather than a placeholder word); the form's validation
    reads it as a submitted form's text."""
    label = field.text(lang())
    required = field.required and not field.rule
    if field.type == "choice":  # an empty cell says 请选择 (a grid shows an empty choice as "None")
        return st.column_config.SelectboxColumn(label, options=[t("ui.choose")] + [o.text(lang()) for o in field.options],
                                                required=required)
    if field.type == "score":  # typed or pasted as a digit; the cell turns red on anything else
        return st.column_config.TextColumn(label, max_chars=len(str(field.scale)), required=required,
                                           validate="^(" + "|".join(str(n) for n in range(1, field.scale + 1)) + ")$",
                                           help=field.help_text(lang()))
    return st.column_config.TextColumn(label, max_chars=field.max_length, required=required,
                                       help=field.help_text(lang()))


def _raw(field, value):
    """A grid cell as the form's validation takes it (an option's id; other text as typed)."""
    if (value is None or (isinstance(value, float) and math.isnan(value)) or not str(value).strip()
            or (field.type == "choice" and value == t("ui.choose"))):
        return None
    if field.type == "choice":
        return next((o.id for o in field.options if o.text(lang()) == value), value)
    return str(value).strip()


def _shown(field, value) -> str:
    """A kept or repeated value back in its cell: an option's label, other values as text."""
    if value is None:
        return t("ui.choose") if field.type == "choice" else ""
    if field.type == "choice":
        return next((o.text(lang()) for o in field.options if o.id == value), str(value))
    return str(value)


def render_sheet_grid_page(form_id: str, sheet_form: str) -> None:
    rt = runtime()
    who = actor()
    form = rt.form(sheet_form).form
    st.title(t("grid.title", form=form.text(lang())))
    township = None
    if not who.township:
        township = st.selectbox(t("township"), [tw.id for tw in rt.profile.county.townships], key=f"grid.tw.{sheet_form}",
                                format_func=lambda v: rt.reference_label("townships", v, lang()))
    try:
        grid = sheet_batches.grid_for(rt, who, form_id, sheet_form, township)
    except PermissionDenied:
        st.error(t("not_allowed") if who.signed_in else t("sign_in_first"))
        return
    notice = st.container()
    show_done(notice, f"grid.{sheet_form}")
    for line in st.session_state.get(f"grid.problems.{sheet_form}", []):
        notice.error(line)
    fields = [f for f in form.fields if f.type in GRID_TYPES]
    person_ids = [fid for fid in grid.sheet.fields_per_person() if any(f.id == fid for f in fields)]
    persons = _persons(rt, form, fields, person_ids, sheet_form)
    if not grid.records:
        st.success(t("awaiting_none"))
        return
    st.caption(t("grid.how", shown=len(grid.records), total=f"{grid.total:,}"))
    kept = st.session_state.get(f"grid.kept.{sheet_form}", {})
    rows, keys = [], []
    for item in grid.records:
        for person in persons or [{}]:
            who_key = str(person.get(grid.sheet.one_per, "")) if grid.sheet.one_per else ""
            if grid.sheet.one_per and who_key in item.filed_by:
                continue  # already filed by this person (a sheet a record takes once is not listed once filed)
            values = kept.get(f"{item.record.id}/{who_key}", {})
            rows.append({t("record_no"): item.record.id, t("title"): item.record.title,
                         **{f.text(lang()): _shown(f, person.get(f.id) if f.id in person_ids else values.get(f.id))
                            for f in fields}})
            keys.append(who_key)
    if not rows:
        st.success(t("grid.all_filed"))
        return
    generation = st.session_state.get(f"grid.gen.{sheet_form}", 0)
    edited = st.data_editor(
        rows, hide_index=True, width="stretch", key=f"grid.{sheet_form}.{generation}.{len(rows)}",
        disabled=[t("record_no"), t("title")] + [f.text(lang()) for f in fields if f.id in person_ids],
        column_config={t("record_no"): st.column_config.NumberColumn(t("record_no"), format="%d"),
                       **{f.text(lang()): _column(f) for f in fields}})
    filled = [(n, row) for n, row in enumerate(edited, start=1)
              if any(_raw(f, row.get(f.text(lang()))) is not None for f in fields if f.id not in person_ids)]
    if st.button(t("grid.save", n=len(filled)), type="primary", key=f"grid.save.{sheet_form}", disabled=not filled):
        _save(rt, sheet_form, fields, filled, keys)
        st.rerun()


def _persons(rt, form, fields, person_ids: list[str], sheet_form: str) -> list[dict]:
    """The persons filling the grid (e.g. the screening group's members), entered once."""
    if not person_ids:
        return []
    st.subheader(t("grid.persons"))
    person_fields = [f for f in fields if f.id in person_ids]
    edited = st.data_editor([{f.text(lang()): _shown(f, None) for f in person_fields}], num_rows="dynamic", hide_index=True,
                            key=f"grid.persons.{sheet_form}", column_config={f.text(lang()): _column(f)
                                                                              for f in person_fields})
    persons = [{f.id: _raw(f, row.get(f.text(lang()))) for f in person_fields} for row in edited]
    return [p for p in persons if any(v is not None for v in p.values())]


def _save(rt, sheet_form: str, fields, filled: list[tuple[int, dict]], keys: list[str]) -> None:
    items = [(row[t("record_no")], sheet_form,
              {f.id: v for f in fields if (v := _raw(f, row.get(f.text(lang())))) is not None}) for _, row in filled]
    report = sheets.file_sheets(rt, actor(), items)
    labels = {f.id: f.text(lang()) for f in fields}
    problems, kept = [], {}
    for index, record_id, error in report.refused:
        number, row = filled[index]
        if isinstance(error, InputError):
            why = "；".join(input_error_lines(error, labels, lang()))
        else:
            why = refusal_text(error, lang()) or t("not_allowed")
        problems.append(t("grid.row_refused", row=number, record=record_id, title=row[t("title")], why=why))
        kept[f"{record_id}/{keys[number - 1]}"] = items[index][2]
    st.session_state[f"grid.problems.{sheet_form}"] = problems
    st.session_state[f"grid.kept.{sheet_form}"] = kept
    st.session_state[f"grid.gen.{sheet_form}"] = st.session_state.get(f"grid.gen.{sheet_form}", 0) + 1
    say_done(f"grid.{sheet_form}", t("grid.saved", n=len(report.filed), refused=len(problems))
             if problems else t("grid.saved_all", n=len(report.filed)))
