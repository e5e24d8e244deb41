"""The policy page's second half: a checked draft previewed on this year's records and published
with a note; the version history with its changes in words, and a return to an earlier version.
Refusals (a ballot still open, a note missing, someone else's publication first) are shown in the
same words as everywhere."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

import streamlit as st

from apps.i18n import refusal_text
from apps.web.done_message import say_done
from apps.web.state import lang, t
from apps.web.plain import table
from engine.core.accounts import display_names
from engine.core.actors import Actor
from engine.core.publishing import Publication, PublishRefused, history, load_draft, publish, restore
from engine.core.runtime import Runtime
from engine.features.preview import preview
from engine.kernel.errors import ConfigError

PLACE = "policy"
TABLE_ROWS = 50
PREVIEW_ROWS = 500  # more than a page can show usefully; the count above says how many in all


def _when(moment) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _attempt(publication: Callable[[], Publication]) -> Publication | None:
    """A publication or a return, or None with the reason shown: a refusal in the same words as
    everywhere, or the draft's problems as `minsheng check` words them."""
    try:
        return publication()
    except PublishRefused as exc:
        st.error(refusal_text(exc, lang()) or str(exc))
    except ConfigError as exc:
        st.code("\n".join(str(p) for p in exc.problems), language=None)
    return None


def render_preview_and_publish(rt: Runtime, who: Actor, root: Path, edits: dict, base: str,
                               done: Callable[[], None]) -> None:
    st.subheader(t("policy.preview"))
    st.caption(t("policy.preview_help"))
    if st.button(t("policy.preview"), key="policy.preview"):
        with st.spinner(t("policy.preview")):
            report = preview(rt, load_draft(root, edits))
        st.session_state["policy.preview_report"] = (dict(edits), report)
    kept = st.session_state.get("policy.preview_report")
    if kept and kept[0] == edits:
        report = kept[1]
        st.write(t("policy.preview_summary", checked=f"{report.checked:,}", changed=f"{len(report.changes):,}"))
        rows = [{t("policy.record"): c.record_id, t("policy.title"): c.title, t("policy.rule_table"): c.table,
                 t("policy.outcome"): f"{_outcome(rt, c.form_id, c.before)} → {_outcome(rt, c.form_id, c.after)}", t("policy.new_reason"): c.after_reason}
                for c in report.changes[:PREVIEW_ROWS]]
        if len(rows) > TABLE_ROWS:  # a long list scrolls in a grid; a short one reads whole, reasons wrapped
            st.dataframe(rows, hide_index=True, width="stretch")
        elif rows:
            table(rows)
        with st.container(key="profile-text-preview"):  # the engine's notes name tables by their ids
            for note in report.notes[:20]:
                st.caption(note)
    note = st.text_area(t("policy.note"), key="policy.note", help=t("policy.note_help"), max_chars=2000)
    if st.button(t("policy.publish"), type="primary", key="policy.publish"):
        made = _attempt(lambda: publish(rt, who, root, edits, note, base_version=base))
        if made is None:
            return
        done()
        st.session_state.pop("policy.note", None)
        say_done(PLACE, t("policy.published", version=made.after, n=len(made.changes)))
        st.rerun()


def _outcome(rt: Runtime, form_id: str, outcome: object) -> str:
    """A table's outcome in words: a state's label where the outcome is a state of the record's form."""
    return rt.state_label(form_id, outcome, lang()) if isinstance(outcome, str) else str(outcome)


def render_history(rt: Runtime, who: Actor, root: Path, on_disk: str) -> None:
    st.divider()
    st.subheader(t("policy.history"))
    entries = history(rt)
    if not entries:
        st.caption(t("policy.history_empty"))
        return
    names = {}
    people = display_names(rt, {entry.actor for entry in entries})
    entries = [replace(entry, actor=people.get(entry.actor, entry.actor)) for entry in entries]
    listed = st.container(key="profile-text-history")  # changes in the files' own keys, as written
    for entry in entries:
        restored = t("policy.restored", version=entry.restored_from) if entry.restored_from else ""
        with listed.expander(f"{_when(entry.at)} · {entry.actor} · {entry.before} → {entry.after} · {entry.note}{restored}"):
            st.write("\n".join(f"- {line}" for line in entry.changes) or t("policy.no_edit"))
    for entry in entries:  # every version a publication left or made, latest first
        names.setdefault(entry.after, t("policy.return_label_after", version=entry.after, at=_when(entry.at), who=entry.actor))
        names.setdefault(entry.before, t("policy.return_label", version=entry.before, at=_when(entry.at), who=entry.actor))
    choices = [v for v in names if v != on_disk]
    if not choices:
        return
    st.markdown(f"**{t('policy.return')}**")
    version = st.selectbox(t("policy.return_to"), choices, format_func=names.get, key="policy.return_to")
    note = st.text_input(t("policy.return_note"), key="policy.return_note")
    if st.button(t("policy.return_do"), key="policy.return_do"):
        if _attempt(lambda: restore(rt, who, root, version, note, base_version=on_disk)) is None:
            return
        st.session_state.pop("policy.return_note", None)
        say_done(PLACE, t("policy.returned", version=version))
        st.rerun()
