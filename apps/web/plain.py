"""People's text shown as text: never as Markdown.

Streamlit reads Markdown in `st.markdown`, titles, captions, messages, expander and widget labels
and the cells of `st.table`. A citizen's title or content put there unescaped could load an image
from any address (a tracking pixel), show a link with any words ("官方通知：点此登记") or restyle
the page. Every text that comes from a person or a record (titles, contents, names, reasons, a
ballot's title) goes through `plain` before it reaches one of those; `table` does it for every
cell of a table. CommonMark lets any ASCII punctuation be escaped with a backslash, and an escaped
character is text, so nothing in the value can open a link, an image, a heading, emphasis, a
colour, a formula or an HTML tag; a bare web or mail address gets an invisible word joiner so it
is not made a link either.
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

import streamlit as st

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
# GitHub's Markdown also links bare addresses found in the text after it is parsed (escapes are
# gone by then): an invisible word joiner (U+2060) after the start of each keeps it text.
_BARE_LINK = re.compile(r"(?i)(https?|ftp|www|mailto|@)")
_LINE_START = re.compile(r"^([ \t]+)", re.MULTILINE)  # indentation would make a code block


def plain(value: Any) -> str:
    """The value as literal text inside Markdown (line breaks kept as line breaks)."""
    text = "" if value is None else str(value)
    text = _PUNCTUATION.sub(r"\\\1", text)
    text = _BARE_LINK.sub("\\1\u2060", text)
    text = _LINE_START.sub(lambda m: "\u00a0" * len(m.group(1)), text)
    return text.replace("\r\n", "\n").replace("\n", "  \n")


def plain_cells(rows: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> Any:
    """Rows of a table (a list of dicts, or a dict of columns) with every text cell made plain."""
    if isinstance(rows, Mapping):
        return {k: plain_cells(v) if isinstance(v, Mapping) else _cell(v) for k, v in rows.items()}
    return [{k: _cell(v) for k, v in row.items()} for row in rows]


def _cell(value: Any) -> Any:
    return plain(value) if isinstance(value, str) else value


def table(rows: Any, container: Any = None, **kwargs: Any) -> None:
    """`st.table` (or the container's) with people's text shown as written."""
    (container or st).table(plain_cells(rows), **kwargs)
