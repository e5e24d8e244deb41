"""What every page needs: the runtime (one per server process), the signed-in actor, the language."""
from __future__ import annotations

import logging
import os

import streamlit as st

from apps.i18n import text
from engine.kernel.errors import ConfigError
from engine.core.runtime import Runtime
from engine.core.versions import pinned_summary
from engine.jobs import tick
from engine.core.actors import ANONYMOUS, Actor

log = logging.getLogger("minsheng.web")


@st.cache_resource(show_spinner=False)
def cached_runtime(config_dir: str, database_url: str | None) -> Runtime:
    """One runtime per profile and database for the whole app (tests clear it between apps)."""
    rt = Runtime.open(config_dir, database_url)
    tick(rt)  # deadlines that passed while the app was down fire now (each exactly once)
    for line in pinned_summary(rt):  # said plainly at start-up, as `minsheng check --with-data` does
        log.warning("profile %s: %s", rt.version, line)
    return rt


@st.cache_data(ttl=300, show_spinner=False)
def version_notes(config_dir: str, database_url: str | None) -> list[str]:
    """Records an edit of the profile does not reach (older versions, frozen states)."""
    return pinned_summary(cached_runtime(config_dir, database_url))


def runtime() -> Runtime:
    """The profile and database; a broken profile stops the app with its errors, never a traceback."""
    config_dir = os.environ.get("MINSHENG_CONFIG", "config")
    try:
        return cached_runtime(config_dir, os.environ.get("DATABASE_URL"))
    except ConfigError as exc:
        st.error(text("profile_error", lang()))
        st.code("\n".join(str(p) for p in exc.problems), language=None)
        st.stop()


def actor() -> Actor:
    return st.session_state.get("actor", ANONYMOUS)


def lang() -> str:
    return st.session_state.get("lang", "zh")


def t(key: str, **params) -> str:
    return text(key, lang(), **params)
