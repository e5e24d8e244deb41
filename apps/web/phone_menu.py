"""A labelled menu at the top of each page on a phone's screen. There the sidebar hides behind an
unlabelled », which people miss; on a wider screen the sidebar is the menu, so this one is hidden
(a CSS rule on the container's key: the server cannot know the screen's width)."""
from __future__ import annotations

import streamlit as st

from apps.web.state import actor, t

NARROW = 768  # px: below this Streamlit lays the sidebar over the page instead of beside it
CSS = f"<style>@media (min-width: {NARROW}px) {{ .st-key-phone_menu {{ display: none; }} }}</style>"


def phone_menu(groups: dict[str, list], current: str) -> None:
    """Every page of the navigation, by section, behind one button labelled 菜单. Keyed by the
    page shown (`current`), so the menu is closed again on the page a choice opened."""
    st.markdown(CSS, unsafe_allow_html=True)
    with st.container(key="phone_menu"):
        with st.popover(t("menu"), icon=":material/menu:", width="stretch", key=f"phone_menu.{current}"):
            for section, pages in groups.items():
                if not section:
                    continue  # hidden pages (a record opened from a list)
                st.caption(section)
                for page in pages:
                    st.page_link(page)
            if not actor().signed_in:
                st.caption(t("menu.sign_in"))


# On a phone the sidebar lies over the page; after signing in there it would hide the start page.
CLOSE_SIDEBAR = f"""<script>
if (window.innerWidth < {NARROW}) {{
  const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
  if (button) button.click();
}}
</script>"""


def close_sidebar_on_phone() -> None:
    """Close the sidebar if the screen is a phone's (the browser decides: the server cannot know)."""
    st.html(CLOSE_SIDEBAR, unsafe_allow_javascript=True)
