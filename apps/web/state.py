"""What every page needs: the runtime (one per server process), the signed-in actor, the language."""
from __future__ import annotations

import logging
import time
import os

import streamlit as st

from apps.i18n import text
from apps.web.client import ProxySettingError, client_of, trusted_networks
from engine.kernel.errors import ConfigError
from engine.core.runtime import Runtime
from engine.core.versions import pinned_summary
from engine.profile.inherit import ChainError
from engine.profile.loader import disk_version
from engine.jobs import tick
from engine.core import accounts
from engine.core.actors import ANONYMOUS, Actor

log = logging.getLogger("minsheng.web")


@st.cache_resource(show_spinner=False, max_entries=4)
def cached_runtime(config_dir: str, database_url: str | None, files_version: str = "") -> Runtime:
    """One runtime per profile version and database for the whole app (tests clear it between
    apps). `files_version` is the version of the files on disk: when any process publishes an edit
    (the policy page, or someone editing the files), every process takes the new version on its
    next page run."""
    rt = Runtime.open(config_dir, database_url)
    tick(rt)  # deadlines that passed while the app was down fire now (each exactly once)
    for line in pinned_summary(rt):  # said plainly at start-up, as `minsheng check --with-data` does
        log.warning("profile %s: %s", rt.version, line)
    return rt


@st.cache_data(ttl=300, show_spinner=False)
def version_notes(folder: str, database_url: str | None, version: str) -> list[str]:
    """Records an edit of the profile does not reach (older versions, frozen states)."""
    return pinned_summary(cached_runtime(folder, database_url, version))


def config_dir() -> str:
    """The profile folder this app serves (MINSHENG_CONFIG)."""
    return os.environ.get("MINSHENG_CONFIG", "config")


@st.cache_resource(show_spinner=False)
def last_loaded() -> dict[tuple[str, str | None], Runtime]:
    """The runtime each folder and database last loaded without error."""
    return {}


def runtime() -> Runtime:
    """The profile and database. A folder broken on disk by a hand edit keeps the app on the
    version it last loaded (administrators are told why, see `broken_on_disk`); a profile broken
    at start stops the app with its errors, never a traceback."""
    folder, url = config_dir(), os.environ.get("DATABASE_URL")
    try:
        rt = cached_runtime(folder, url, files_version(folder))
    except ConfigError as exc:
        kept = last_loaded().get((folder, url))
        if kept is not None:
            st.session_state["profile_broken_on_disk"] = [str(p) for p in exc.problems]
            return kept
        st.error(text("profile_error", lang()))
        st.code("\n".join(str(p) for p in exc.problems), language=None)
        st.stop()
    st.session_state.pop("profile_broken_on_disk", None)
    last_loaded()[(folder, url)] = rt
    return rt


def broken_on_disk() -> list[str]:
    """The problems of the folder on disk when the app runs on the version it last loaded."""
    return st.session_state.get("profile_broken_on_disk", [])


def files_version(folder: str) -> str:
    """The version of the profile's files now on disk (a millisecond's hashing); '' when the chain
    of `extends:` itself is broken, which loading then reports."""
    try:
        return disk_version(folder)
    except (ChainError, OSError):
        return ""


def actor() -> Actor:
    """Who is signed in, or the public. A session ends after the profile's idle time without use,
    or its lifetime since signing in, whichever comes first."""
    who = st.session_state.get("actor", ANONYMOUS)
    if not who.signed_in:
        return who
    policy = runtime().profile.county.sign_in
    moment = time.time()
    started = st.session_state.get("signed_in_at", moment)
    seen = st.session_state.get("seen_at", moment)
    if moment - seen > policy.idle_minutes * 60 or moment - started > policy.session_hours * 3600:
        sign_out()
        st.session_state["session_ended"] = True
        return ANONYMOUS
    st.session_state["seen_at"] = moment
    return who


def check_account() -> None:
    """Once a page run, before anything is drawn: the signed-in account as it is now in the
    database (one indexed read). A reset password, a role taken away, a lock, a deactivation or
    removal ends the session here, in whichever process serves it; roles and scope changed
    since signing in are not carried on."""
    who = st.session_state.get("actor", ANONYMOUS)
    if not who.signed_in:
        return
    current = accounts.session_actor(runtime(), who.username, st.session_state.get("account_stamp"))
    if current is None:
        sign_out()
        st.session_state["session_ended"] = True
    else:
        st.session_state["actor"] = current


def sign_in_as(who: Actor) -> None:
    st.session_state["actor"] = who
    st.session_state["account_stamp"] = accounts.stamp_of(runtime(), who.username)
    st.session_state["signed_in_at"] = st.session_state["seen_at"] = time.time()
    st.session_state.pop("session_ended", None)


def keep_session() -> None:
    """After the user changed their own password: this session goes on (the others end)."""
    who = st.session_state.get("actor", ANONYMOUS)
    if who.signed_in:
        st.session_state["account_stamp"] = accounts.stamp_of(runtime(), who.username)


def sign_out() -> None:
    st.session_state["actor"] = ANONYMOUS
    st.session_state.pop("account_stamp", None)
    st.session_state.pop("signed_in_at", None)
    st.session_state.pop("seen_at", None)


def client_address() -> str:
    """The browser's address ('' when it cannot be told): wrong passwords are counted per client
    too. The connection's own address, or behind a trusted proxy the one it forwards (apps.web.client)."""
    try:
        peer = st.context.ip_address
        forwarded = st.context.headers.get_all("X-Forwarded-For")
    except Exception:  # noqa: BLE001 - no browser (bare runs, tests): no client to count
        return ""
    try:
        address = client_of(peer, forwarded, trusted_networks())
    except ProxySettingError:
        log.exception("the trusted proxies setting is wrong; wrong passwords are counted per account only")
        return ""
    return f"ip:{address}" if address else ""


def lang() -> str:
    return st.session_state.get("lang", "zh")


def t(key: str, **params) -> str:
    return text(key, lang(), **params)
