"""Lay out a printable A4 document (letterhead, title, text, a table, closing lines) as PDF.

fpdf2 does the PDF; it embeds only the glyphs used, so a letter stays small even with a CJK
font. The font is found once: MINSHENG_PDF_FONT if set, else the first serif, then sans, CJK
font fontconfig knows (Debian: fonts-noto-cjk). Within a font collection the face for
simplified Chinese is chosen by its name, so characters take their mainland shapes.
"""
from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path
from typing import Sequence

from fpdf import FPDF
from fontTools.ttLib import TTCollection
from fpdf.fonts import FontFace

from engine.kernel.errors import MinshengError
from engine.output.linebreak import break_lines

RED = (200, 16, 16)  # the letterhead's colour, as on official correspondence


class NoFont(MinshengError):
    """No font with Chinese characters is installed."""


@functools.lru_cache(maxsize=1)
def find_font() -> tuple[str, int]:
    """(path, face number in a collection) of the font documents are set in."""
    chosen = os.environ.get("MINSHENG_PDF_FONT")
    if not chosen:
        try:
            listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True,
                                    timeout=20).stdout.split("\n")
        except (OSError, subprocess.SubprocessError):
            listed = []
        files = sorted({line.split(":")[0].strip() for line in listed if line.strip()})
        regular = [f for f in files if "bold" not in f.lower() and not f.lower().endswith((".pcf", ".pcf.gz"))]
        ranked = sorted(regular, key=lambda f: (0 if "serif" in f.lower() else 1, f))
        chosen = ranked[0] if ranked else ""
    if not chosen or not Path(chosen).is_file():
        raise NoFont("no Chinese font found: install fonts-noto-cjk, or set MINSHENG_PDF_FONT to a .ttf/.otf/.ttc file")
    return chosen, _simplified_face(chosen)


def _simplified_face(path: str) -> int:
    if not path.lower().endswith(".ttc"):
        return 0
    collection = TTCollection(path, lazy=True)
    for number, font in enumerate(collection.fonts):
        name = str(font["name"].getDebugName(4) or "")
        if name.endswith(" SC") or " SC " in name:
            return number
    return 0


class _Page(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("body", size=9)
        self.set_text_color(110)
        self.cell(0, 8, f"{self.page_no()} / {{nb}}", align="C")


def _start(title: str, letterhead: Sequence[str], landscape: bool = False, margin: int = 22,
           number: str = "") -> FPDF:
    """A new A4 document with the CJK font, page numbers, the letterhead (and under it, above
    the red rule, the document's number) and the title."""
    path, face = find_font()
    doc = _Page(orientation="L" if landscape else "P", format="A4", unit="mm")
    doc.set_margins(margin + 3, margin, margin + 3)
    doc.set_auto_page_break(True, margin=margin)
    doc.add_font("body", fname=path, collection_font_number=face)
    doc.set_title(title)
    doc.alias_nb_pages()
    doc.add_page()
    if letterhead:
        doc.set_text_color(*RED)
        doc.set_font("body", size=20)
        doc.multi_cell(0, 11, letterhead[0], align="C", new_x="LMARGIN", new_y="NEXT")
        doc.set_font("body", size=10)
        for line in letterhead[1:]:
            doc.cell(0, 6, line, align="C", new_x="LMARGIN", new_y="NEXT")
        if number:
            doc.set_text_color(0)
            doc.set_font("body", size=12)
            doc.ln(2)
            doc.cell(0, 7, number, align="C", new_x="LMARGIN", new_y="NEXT")
        doc.set_draw_color(*RED)
        doc.set_line_width(0.8)
        y = doc.get_y() + 2
        doc.line(doc.l_margin, y, doc.w - doc.r_margin, y)
        doc.set_y(y + 8)
    doc.set_text_color(0)
    doc.set_font("body", size=17)
    doc.multi_cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
    doc.ln(4)
    return doc


def _paragraphs(doc: FPDF, paragraphs: Sequence[str], size: float = 12.5, line: float = 8) -> None:
    doc.set_font("body", size=size)
    indent = "\u3000\u3000"  # two ideographic spaces open a paragraph in Chinese typesetting
    for paragraph in paragraphs:
        if paragraph:
            # Chinese lines break between any two characters, by the punctuation rules (linebreak)
            for text in break_lines(indent + paragraph, doc.get_string_width, doc.epw):
                doc.cell(0, line, text, new_x="LMARGIN", new_y="NEXT")


def _table(doc: FPDF, headings: Sequence[str], widths: Sequence[int], rows: Sequence[Sequence[str]],
           font_size: float = 10.5, line_height: float = 6.5) -> None:
    doc.set_font("body", size=font_size)
    doc.set_draw_color(0)
    doc.set_line_width(0.2)
    with doc.table(col_widths=tuple(widths), text_align="LEFT", line_height=line_height, first_row_as_headings=True,
                   headings_style=FontFace(fill_color=(235, 235, 235))) as grid:
        grid.row(list(headings))
        for row in rows:
            grid.row(list(row))


def render(*, letterhead: Sequence[str], title: str, salutation: str = "", paragraphs: Sequence[str] = (),
           table: tuple[Sequence[str], Sequence[int], Sequence[Sequence[str]]] | None = None,
           closing: Sequence[str] = (), landscape: bool = False, font_size: float = 10.5, number: str = "",
           seal: str | None = None) -> bytes:
    """One A4 document as PDF bytes (landscape for wide tables); `number` under the letterhead,
    `seal` the words marking the space for the seal over the closing lines."""
    doc = _start(title, letterhead, landscape, number=number)
    doc.set_font("body", size=12.5)
    if salutation:
        doc.multi_cell(0, 8, salutation, new_x="LMARGIN", new_y="NEXT")
    _paragraphs(doc, paragraphs)
    if table is not None:
        doc.ln(3)
        _table(doc, *table, font_size=font_size)
        doc.set_font("body", size=12.5)
    if closing:
        doc.ln(10)
        if seal and doc.get_y() + SEAL_MM + 8 > doc.h - doc.b_margin:
            doc.add_page()  # the seal and the lines it covers stay together
        top = doc.get_y()
        for line in closing:
            doc.cell(0, 8, line, align="R", new_x="LMARGIN", new_y="NEXT")
        if seal:
            _seal_space(doc, seal, top, doc.get_y(), max(doc.get_string_width(line) for line in closing))
    return bytes(doc.output())


SEAL_MM = 40  # an official seal is about 40 mm across


def _seal_space(doc: FPDF, words: str, top: float, bottom: float, text_width: float) -> None:
    """A dashed circle beside the closing lines (just left of them, so the issuing body and the
    date stay legible until the seal is pressed), where the issuing body's seal goes."""
    radius = SEAL_MM / 2
    x = max(doc.l_margin + radius, doc.w - doc.r_margin - text_width - radius - 2)
    y = (top + bottom) / 2
    doc.set_draw_color(*RED)
    doc.set_line_width(0.3)
    with doc.local_context():
        doc.set_dash_pattern(dash=1.5, gap=1.2)
        doc.ellipse(x - radius, y - radius, SEAL_MM, SEAL_MM)
    doc.set_dash_pattern()
    doc.set_text_color(*RED)
    doc.set_font("body", size=8)
    doc.set_xy(x - radius, y + radius - 8)
    doc.cell(SEAL_MM, 4, words, align="C")
    doc.set_text_color(0)


def report(*, letterhead: Sequence[str], title: str, paragraphs: Sequence[str],
           sections: Sequence[tuple[str, Sequence[str], Sequence[Sequence[str]], Sequence[tuple[str, float]]]]) -> bytes:
    """A report: title and opening, then per section a heading, a horizontal bar chart of
    (label, value) and the table. Bars are drawn as rectangles, scaled to the section's largest value."""
    doc = _start(title, letterhead, margin=20)
    _paragraphs(doc, paragraphs, size=11.5, line=7)
    for heading, columns, rows, bars in sections:
        doc.ln(4)
        if doc.get_y() > doc.h - 75:  # too little room left for a heading and its chart
            doc.add_page()
        doc.set_font("body", size=13.5)
        doc.cell(0, 9, heading, new_x="LMARGIN", new_y="NEXT")
        _bars(doc, bars)
        _table(doc, columns, [3] + [2] * (len(columns) - 1), rows, font_size=9.5, line_height=6)
    return bytes(doc.output())


def _bars(doc: FPDF, bars: Sequence[tuple[str, float]]) -> None:
    if not bars:
        return
    top = max(value for _, value in bars) or 1
    label_w, line = 36, 4.6
    bar_w = doc.w - doc.l_margin - doc.r_margin - label_w - 22
    doc.set_font("body", size=8)
    for label, value in bars:
        if doc.get_y() + line > doc.h - doc.b_margin:
            doc.add_page()
        y = doc.get_y()
        doc.set_xy(doc.l_margin, y)
        doc.cell(label_w, line, label[:14], align="R")
        doc.set_fill_color(*RED)
        doc.rect(doc.l_margin + label_w + 2, y + 0.8, max(0.3, bar_w * value / top), line - 1.6, style="F")
        doc.set_xy(doc.l_margin + label_w + 3 + bar_w * value / top, y)
        doc.cell(20, line, f"{value:,.0f}" if value >= 100 or value == int(value) else f"{value:,.1f}")
        doc.set_y(y + line)
    doc.set_fill_color(255)  # tables drawn after the chart take the fill colour too
    doc.ln(3)
