"""Streamlit's own words in a Chinese interface. Streamlit has no translations: its file
uploader says "Upload" and "200MB per file", an empty date field "yyyy-mm-dd", a text field in a
form "Press Enter to submit form". Where a widget takes the words (a multiselect's placeholder)
the pages pass them; the rest are replaced here by CSS: the English text is set to size 0 and
the Chinese words drawn in its place, so the page reads in one language."""
from __future__ import annotations

import streamlit as st

from apps.web.state import t


def _replace(selector: str, words: str, size: str = "0.9rem") -> str:
    return (f"{selector} {{ font-size: 0 !important; }} "
            f"{selector}::after {{ content: \"{words}\"; font-size: {size}; }}")


def chinese_widget_words() -> None:
    uploader = '[data-testid="stFileUploaderDropzone"]'
    date = '[data-testid="stDateInputField"] [data-placeholder="true"]'
    rules = [
        _replace(f'{uploader} button [data-testid="stMarkdownContainer"] p', t("ui.upload")),
        _replace(f'{uploader} [data-testid="stFileUploaderDropzoneInstructions"] span', t("ui.drop_here"), "0.8rem"),
        _replace(f'{date}[data-type="year"]', t("ui.year")),
        _replace(f'{date}[data-type="month"]', t("ui.month")),
        _replace(f'{date}[data-type="day"]', t("ui.day")),
        _replace('[data-testid="stSkipToContent"]', t("ui.skip_to_content")),  # for keyboards and screen readers
        '[data-testid="InputInstructions"] { display: none; }',  # "Press Enter to apply": Enter still works
    ]
    st.markdown("<style>" + "\n".join(rules) + "</style>", unsafe_allow_html=True)
