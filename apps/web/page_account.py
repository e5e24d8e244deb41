"""Sign in and out, in the sidebar. Passwords are checked by the engine (argon2); the page keeps the result."""
from __future__ import annotations

import streamlit as st

from apps.web.state import actor, runtime, t
from engine.core import accounts
from engine.core.actors import ANONYMOUS


def sign_in_box() -> None:
    """Drawn in the sidebar on every page: a sign-in form, or who is signed in and a sign-out button."""
    rt = runtime()
    who = actor()
    if who.signed_in:
        st.caption(t("signed_in_as", name=who.display_name))
        if st.button(t("sign_out"), key="sign_out"):
            st.session_state["actor"] = ANONYMOUS
            st.rerun()
        return
    with st.form("sign_in", border=False):
        st.markdown(f"**{t('sign_in')}**")
        username = st.text_input(t("username"), key="sign_in.username")
        password = st.text_input(t("password"), type="password", key="sign_in.password")
        if st.form_submit_button(t("sign_in")):
            found = accounts.authenticate(rt, username, password)
            if found is None:
                st.error(t("bad_login"))
            else:
                st.session_state["actor"] = found
                st.rerun()
