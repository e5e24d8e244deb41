"""Sign in and out, in the sidebar. The engine checks the password and throttles wrong ones; the page keeps the result."""
from __future__ import annotations

import streamlit as st

from apps.i18n import refusal_text
from apps.web.state import actor, client_address, lang, runtime, sign_in_as, sign_out, t
from engine.core.signin import SignInRefused, authenticate


def sign_in_box() -> None:
    """Drawn in the sidebar on every page: a sign-in form, or who is signed in and a sign-out button."""
    rt = runtime()
    who = actor()
    if who.signed_in:
        st.caption(t("signed_in_as", name=who.display_name))
        if st.button(t("sign_out"), key="sign_out"):
            sign_out()
            st.rerun()
        return
    if st.session_state.pop("session_ended", False):
        st.info(t("session_ended"))
    with st.form("sign_in", border=False):
        st.markdown(f"**{t('sign_in')}**")
        username = st.text_input(t("username"), key="sign_in.username")
        password = st.text_input(t("password"), type="password", key="sign_in.password")
        if st.form_submit_button(t("sign_in")):
            try:
                found = authenticate(rt, username, password, client_address())
            except SignInRefused as refused:
                st.error(refusal_text(refused, lang()) or refused.code)
            else:
                sign_in_as(found)
                st.session_state["land_on_start"] = True  # the start page, whatever page signed in
                st.rerun()
