"""政策设置: the administrator's policy workbench. The profile's files by folder; each file as a
table of its values, edited in place, or as its YAML text; edits gathered in a draft that is checked
as `minsheng check` checks it, previewed on this year's records, and published as a new version
with a note (apps.web.policy_publish). The files on disk stay the source of truth."""
from __future__ import annotations

from pathlib import Path

import streamlit as st
import yaml

from apps.i18n import TEXT
from apps.web.done_message import say_done, show_done
from apps.web.policy_publish import render_history, render_preview_and_publish
from apps.web.state import actor, config_dir, lang, runtime, t
from engine.core.publishing import changed_files, draft_problems, own_files
from engine.profile.inherit import chain_of
from engine.profile.loader import disk_version
from engine.profile.grids import Grid, decision_grids, grid_edits
from engine.profile.yamledit import EditError, leaves, shown, with_values

DRAFT, BASE, PROBLEMS = "policy.draft", "policy.base", "policy.problems"
PLACE = "policy"
FOLDER_WORDS = {"": ("县情、角色与权限", "County, roles and rights"), "rules": ("决策规则", "Decision rules"),
                "votes": ("票决规则", "Vote rules"), "funds": ("资金池", "Fund pools"), "forms": ("表单", "Forms"),
                "workflows": ("流程", "Workflows"), "delivery": ("实施与评议", "Delivery and rating"),
                "documents": ("公文", "Documents"), "reports": ("报表", "Reports"), "imports": ("导入", "Imports"),
                "townships": ("乡镇例外规则", "Township exceptions")}
FOLDER_ORDER = ["rules", "townships", "votes", "funds", "delivery", "", "workflows", "forms", "documents", "reports",
                "imports"]


def draft() -> dict[str, str | None]:
    return st.session_state.setdefault(DRAFT, {})


def discard_draft() -> None:
    st.session_state.pop(DRAFT, None)
    st.session_state.pop(BASE, None)
    st.session_state.pop(PROBLEMS, None)


def _folder_of(rel: str) -> str:
    return rel.split("/")[0] if "/" in rel else ""


def _folder_name(folder: str) -> str:
    zh, en = FOLDER_WORDS.get(folder, (folder, folder))
    return en if lang() == "en" else zh


@st.cache_data(show_spinner=False, max_entries=500)
def file_label(text: str) -> str:
    """The file's own label (label: 筛选规则), or '' when it has none."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return ""
    label = data.get("label") if isinstance(data, dict) else None
    return label if isinstance(label, str) else ""


def _inherited_from(root: Path, rel: str) -> str | None:
    """The base folder an inherited file comes from, or None for the profile's own file."""
    if (root / rel).is_file():
        return None
    levels = chain_of(root, str(root))
    return next((str(level.root) for level in reversed(levels[:-1]) if (level.root / rel).is_file()), "")


def _save(root: Path, rel: str, text: str) -> None:
    """Put the file's new text in the draft and check the whole draft at once."""
    edits = dict(draft())
    edits[rel] = text
    edits = changed_files(root, edits)
    if rel not in edits and rel not in draft():
        say_done(PLACE, t("policy.no_edit"))
    else:
        say_done(PLACE, t("policy.saved_draft", file=rel))
    st.session_state[DRAFT] = edits
    st.session_state[PROBLEMS] = [str(p) for p in draft_problems(root, edits)]


def render_policy_page() -> None:
    rt = runtime()
    who = actor()
    st.title(t("policy.nav"))
    if not who.may(rt.profile.roles_for("edit_profile")):
        st.error(t("policy.not_allowed") if who.signed_in else t("sign_in_first"))
        return
    root = Path(config_dir())
    st.caption(t("policy.intro"))
    with st.container(key="profile-text-version"):  # the profile's own words: shown as written
        st.caption(f"{root} · {rt.version}")
    on_disk = disk_version(root)
    st.session_state.setdefault(BASE, on_disk)
    if st.session_state[BASE] != on_disk and draft():
        st.warning(t("policy.stale", base=st.session_state[BASE], current=on_disk))
    elif not draft():
        st.session_state[BASE] = on_disk
    notice = st.container()
    show_done(notice, PLACE)

    own = own_files(root)
    texts = rt.profile.file_texts()
    files = sorted((set(own) | set(texts)) - {"profile.yaml"} | ({"profile.yaml"} & set(own)))
    folders = [f for f in FOLDER_ORDER if any(_folder_of(rel) == f for rel in files)]
    folders += sorted({_folder_of(rel) for rel in files} - set(folders))
    left, right = st.container(key="profile-text-files").columns([1, 3])
    with left:
        folder = st.selectbox(t("policy.folder"), folders, format_func=_folder_name, key="policy.folder")
        names = [rel for rel in files if _folder_of(rel) == folder]
        labels = {r: file_label(own.get(r) or texts.get(r, "")) for r in names}
        # The draft mark is a caption, not part of the option's words: Streamlit keeps a choice by
        # those words, so a mark that comes and goes would send the administrator to another file.
        rel = st.radio(t("policy.file"), names, key=f"policy.file.{folder}",
                       format_func=lambda r: (f"{labels[r]} · " if labels[r] else "") + r.split("/")[-1],
                       captions=[t("policy.in_draft") if r in draft() else "" for r in names])
    with right:
        _render_file(root, rel, own, texts)
    _render_draft(root)
    if draft() and not st.session_state.get(PROBLEMS):
        render_preview_and_publish(rt, who, root, draft(), st.session_state[BASE], done=discard_draft)
    render_history(rt, who, root, on_disk)


def _render_file(root: Path, rel: str, own: dict[str, str], texts: dict[str, str]) -> None:
    base = _inherited_from(root, rel)
    current = draft().get(rel, own.get(rel)) if base is None else texts.get(rel, "")
    st.subheader(rel)
    if base is not None:
        st.info(t("policy.inherited", base=base))
        st.code(current, language="yaml")
        return
    grids = decision_grids(current or "")
    tabs = st.tabs(([t("policy.grids")] if grids else []) + [t("policy.table"), t("policy.text")])
    grids_tab, table_tab, text_tab = tabs if grids else (None, *tabs)
    with table_tab:
        st.caption(t("policy.table_help"))
        rows = leaves(current or "")
        shown_rows = [{t("policy.where"): leaf.where, t("policy.value"): shown(leaf.value), t("policy.line"): leaf.line}
                      for leaf in rows]
        version = abs(hash(current))  # a new table when the draft's text changed
        edited = st.data_editor(shown_rows, hide_index=True, width="stretch", key=f"policy.table.{rel}.{version}",
                                disabled=[t("policy.where"), t("policy.line")], num_rows="fixed")
        if st.button(t("policy.save_draft"), key=f"policy.save_table.{rel}"):
            changes = {leaf.path: row[t("policy.value")] for leaf, row, old in zip(rows, edited, shown_rows)
                       if row[t("policy.value")] != old[t("policy.value")]}
            try:
                _save(root, rel, with_values(current, {p: "" if v is None else str(v) for p, v in changes.items()}))
            except EditError as exc:
                _edit_refused(exc)
                return
            st.rerun()
    if grids_tab is not None:
        with grids_tab:
            _render_grids(root, rel, current or "", grids)
    with text_tab:
        st.caption(t("policy.text_help"))
        typed = st.text_area(t("policy.editor"), current, height=480, key=f"policy.text.{rel}.{abs(hash(current))}")
        if st.button(t("policy.save_draft"), key=f"policy.save_text.{rel}"):
            _save(root, rel, typed)
            st.rerun()


def _edit_refused(exc: EditError) -> None:
    st.error(t("policy.edit_error", where=exc.where, message=t(f"policy.edit.{exc.code}", **exc.params)))


def _column_label(column: str) -> str:
    key = f"policy.column.{column}"
    return t(key) if key in TEXT else column


def _render_grids(root: Path, rel: str, current: str, grids: list[Grid]) -> None:
    """Each decision table as a grid: a line per rule, the default last; cells edited in place."""
    st.caption(t("policy.grids_help"))
    version = abs(hash(current))
    for grid in grids:
        st.markdown(f"**{t('policy.grid_title', label=grid.label, table=grid.table, hit_policy=grid.hit_policy)}**")
        labels = {column: _column_label(column) for column in grid.columns}
        shown_rows = []
        for row in grid.rows:
            cells = {labels[c]: row[c].text if c in row else None for c in grid.columns}
            if grid.default is not None and row is grid.rows[-1]:
                cells[labels["id"]] += t("policy.grid_default")
            shown_rows.append(cells)
        edited = st.data_editor(shown_rows, hide_index=True, width="stretch", num_rows="fixed",
                                key=f"policy.grid.{rel}.{grid.table}.{version}", disabled=[labels["id"]],
                                column_config={labels[c]: st.column_config.TextColumn(
                                    width="small" if c == "outcome" else "medium") for c in grid.columns})
        if st.button(t("policy.save_draft"), key=f"policy.save_grid.{rel}.{grid.table}"):
            typed = [{c: row[labels[c]] for c in grid.columns if c != "id"} for row in edited]
            try:
                _save(root, rel, with_values(current, grid_edits(grid, typed)))
            except EditError as exc:
                _edit_refused(exc)
                return
            st.rerun()


def _render_draft(root: Path) -> None:
    st.divider()
    st.subheader(t("policy.draft"))
    if not draft():
        st.caption(t("policy.draft_empty"))
        return
    st.container(key="profile-text-draft").write(t("policy.draft_files", n=len(draft()), files="、".join(draft())))
    problems = st.session_state.get(PROBLEMS) or []
    if problems:
        st.error(t("policy.check_failed", n=len(problems)))
        st.container(key="profile-text-problems").code(
            "\n".join(p.replace(str(root) + "/", "") for p in problems), language=None)
    else:
        st.success(t("policy.check_ok"))
    if st.button(t("policy.discard"), key="policy.discard"):
        discard_draft()
        say_done(PLACE, t("policy.discarded"))
        st.rerun()
