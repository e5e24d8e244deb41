"""Sign in and out. Passwords are checked by the engine (argon2); the page only keeps the result."""
from __future__ import annotations

import streamlit as st

from apps.web.state import actor, runtime, t
from engine.services import accounts
from engine.services.actors import ANONYMOUS


def render_sign_in_page() -> None:
    rt = runtime()
    st.title(t("sign_in"))
    if actor().signed_in:
        st.info(t("signed_in_as", name=actor().display_name))
        if st.button(t("sign_out")):
            st.session_state["actor"] = ANONYMOUS
            st.rerun()
        return
    with st.form("sign_in"):
        username = st.text_input(t("username"))
        password = st.text_input(t("password"), type="password")
        if st.form_submit_button(t("sign_in"), type="primary"):
            who = accounts.authenticate(rt, username, password)
            if who is None:
                st.error(t("bad_login"))
            else:
                st.session_state["actor"] = who
                st.rerun()
