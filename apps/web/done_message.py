"""The message that says what the user just did ("已保存 29 份", "已登记…"), shown above the page
after the rerun that follows the action.

It stays until the next action on the same place replaces it, or the user opens another page.
Popping it on the first rerun loses it whenever the browser sends a second rerun right after (a
grid that remounts reports its state), and the user then sees nothing about what was saved.
"""
from __future__ import annotations

import streamlit as st

_KEY = "done_messages"


def say_done(place: str, message: str, about: object = None, not_done: list[str] | None = None) -> None:
    """Remember the message for `place` (a page's part), about one thing (a record id) or none,
    with a line for each part that was not done (a refused record and why)."""
    st.session_state.setdefault(_KEY, {})[place] = (about, message, list(not_done or []))


def show_done(container, place: str, about: object = None) -> None:
    """Show the message for `place` if it is about the thing now shown."""
    kept = st.session_state.get(_KEY, {}).get(place)
    if kept and kept[0] == about:
        container.success(kept[1])
        for line in kept[2]:
            container.warning(line)


def forget_on_page_change(page: str) -> None:
    """Another page was opened: the messages of the last one are done with."""
    if st.session_state.get("done_messages.page") != page:
        st.session_state["done_messages.page"] = page
        st.session_state.pop(_KEY, None)
