"""账户管理: the administrator's page. Every account with its roles, township, groups and state
(locked, on the demo's password), and what an administrator does with them: unlock, set a
password, change the groups (where the county has groups), create one. The engine checks the right (manage_users) and the rules of each; the page
shows its refusals on the field they concern."""
from __future__ import annotations

import streamlit as st

from apps.i18n import input_error_lines
from apps.web.done_message import say_done, show_done
from apps.web.state import actor, lang, runtime, t, keep_session
from engine.core import accounts
from engine.core.signin import unlock
from engine.kernel.errors import InputError, PermissionDenied


def _roles_text(rt, roles) -> str:
    labels = {r.id: r.text(lang()) for r in rt.profile.county.roles}
    return "、".join(labels.get(r, r) for r in roles)


def _state_text(account: accounts.AccountView) -> str:
    if not account.active:
        return t("accounts.state_inactive")
    if account.locked:
        return t("accounts.locked")
    if account.demo:
        return t("accounts.demo_password")
    return t("accounts.state_ok")


def _groups_text(rt, groups) -> str:
    return "、".join(rt.reference_label("groups", g, lang()) for g in groups)


def _labels() -> dict[str, str]:
    return {"username": t("username"), "display_name": t("accounts.name"), "roles": t("accounts.roles"),
            "township": t("township"), "station": t("accounts.station"), "password": t("accounts.new_password"),
            "groups": t("accounts.groups")}


def render_accounts_page() -> None:
    rt = runtime()
    who = actor()
    st.title(t("accounts.nav"))
    try:
        views = accounts.account_views(rt, who)
    except PermissionDenied:
        st.error(t("not_allowed") if who.signed_in else t("sign_in_first"))
        return
    notice = st.container()
    show_done(notice, "accounts")
    locked = [a for a in views if a.locked and a.active]
    demo = [a for a in views if a.demo and a.active]
    left, middle, right = st.columns(3)
    left.metric(t("accounts.all"), f"{len(views):,}")
    middle.metric(t("accounts.locked"), f"{len(locked):,}")
    right.metric(t("accounts.demo_password"), f"{len(demo):,}")
    if demo:
        st.warning(t("accounts.demo_warning", n=len(demo)))
    has_groups = bool(rt.profile.county.groups)
    st.dataframe([{t("username"): a.username, t("accounts.name"): a.display_name,
                   t("accounts.roles"): _roles_text(rt, a.roles), t("township"): rt.reference_label("townships", a.township, lang()) if a.township else "",
                   t("accounts.station"): rt.reference_label("stations", a.station, lang()) if a.station else "",
                   **({t("accounts.groups"): _groups_text(rt, a.groups)} if has_groups else {}),
                   t("accounts.state"): _state_text(a)} for a in views], hide_index=True, width="stretch")
    names = {a.username: f"{a.display_name}（{a.username}）" for a in views}
    _unlock_section(rt, who, locked, names)
    _password_section(rt, who, views, names)
    if has_groups:
        _groups_section(rt, who, views, names)
    _create_section(rt, who)


def _unlock_section(rt, who, locked, names) -> None:
    st.subheader(t("accounts.unlock"))
    if not locked:
        st.caption(t("accounts.none_locked"))
        return
    st.caption(t("accounts.unlock_help"))
    chosen = st.selectbox(t("accounts.account"), [a.username for a in locked], format_func=names.get,
                          key="accounts.unlock.who")
    if st.button(t("accounts.unlock_do"), key="accounts.unlock.do"):
        unlock(rt, who, chosen)
        say_done("accounts", t("accounts.unlocked", name=names[chosen]))
        st.rerun()


def _password_section(rt, who, views, names) -> None:
    st.subheader(t("accounts.reset"))
    st.caption(t("accounts.reset_help"))
    with st.form("accounts.reset", border=True):
        chosen = st.selectbox(t("accounts.account"), [a.username for a in views if a.active], format_func=names.get,
                              index=None, placeholder=t("ui.choose"))
        first = st.text_input(t("accounts.new_password"), type="password")
        again = st.text_input(t("accounts.repeat_password"), type="password")
        if not st.form_submit_button(t("accounts.reset_do")):
            return
    if not chosen:
        st.error(f"{t('accounts.account')}：{t('ui.choose')}")
        return
    if first != again:
        st.error(f"{t('accounts.repeat_password')}：{t('accounts.passwords_differ')}")
        return
    try:
        accounts.set_password(rt, who, chosen, first)
    except InputError as exc:
        st.error("；".join(input_error_lines(exc, _labels(), lang())))
        return
    if chosen == who.username:  # one's own password: this session goes on, the others end
        keep_session()
    say_done("accounts", t("accounts.reset_done", name=names[chosen]))
    st.rerun()


def _groups_section(rt, who, views, names) -> None:
    st.subheader(t("accounts.set_groups"))
    st.caption(t("accounts.set_groups_help"))
    chosen = st.selectbox(t("accounts.account"), [a.username for a in views if a.active], format_func=names.get,
                          index=None, placeholder=t("ui.choose"), key="accounts.groups.who")
    if not chosen:
        return
    now_in = next(a.groups for a in views if a.username == chosen)
    with st.form("accounts.groups", border=True):
        groups = st.multiselect(t("accounts.groups"), [g.id for g in rt.profile.county.groups], default=list(now_in),
                                format_func=lambda g: _groups_text(rt, [g]), placeholder=t("accounts.no_group"))
        if not st.form_submit_button(t("accounts.set_groups_do")):
            return
    try:
        accounts.set_groups(rt, who, chosen, groups)
    except InputError as exc:
        st.error("；".join(input_error_lines(exc, _labels(), lang())))
        return
    say_done("accounts", t("accounts.groups_done", name=names[chosen], groups=_groups_text(rt, sorted(groups)) or t("accounts.no_group")))
    st.rerun()


def _create_section(rt, who) -> None:
    st.subheader(t("accounts.create"))
    st.caption(t("accounts.create_help"))
    townships = [None] + [tw.id for tw in rt.profile.county.townships]
    township = st.selectbox(t("township"), townships, key="accounts.new.township",
                            format_func=lambda v: t("accounts.county_wide") if v is None else
                            rt.reference_label("townships", v, lang()))
    with st.form("accounts.new", border=True):  # the township outside: its stations are offered
        username = st.text_input(t("username"), help=t("accounts.username_help"))
        name = st.text_input(t("accounts.name"))
        roles = st.multiselect(t("accounts.roles"), [r.id for r in rt.profile.county.roles],
                               format_func=lambda r: _roles_text(rt, [r]), placeholder=t("ui.choose"))
        station = st.selectbox(t("accounts.station"), [None] + rt.stations_of(township),
                               format_func=lambda v: t("accounts.no_station") if v is None else
                               rt.reference_label("stations", v, lang()))
        groups = st.multiselect(t("accounts.groups"), [g.id for g in rt.profile.county.groups],
                                format_func=lambda g: _groups_text(rt, [g]),
                                placeholder=t("accounts.no_group")) if rt.profile.county.groups else []
        first = st.text_input(t("accounts.new_password"), type="password")
        again = st.text_input(t("accounts.repeat_password"), type="password")
        if not st.form_submit_button(t("accounts.create_do")):
            return
    if first != again:
        st.error(f"{t('accounts.repeat_password')}：{t('accounts.passwords_differ')}")
        return
    try:
        made = accounts.create_user(rt, who, username.strip(), name.strip(), roles, first, township, station=station,
                                    groups=groups)
    except InputError as exc:
        st.error("；".join(input_error_lines(exc, _labels(), lang())))
        return
    say_done("accounts", t("accounts.created", name=f"{made.display_name}（{made.username}）"))
    st.rerun()
