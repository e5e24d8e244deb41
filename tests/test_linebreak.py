"""Chinese line breaking in printed documents: no line starts with a closing mark or ends with
an opening one, numbers stay whole; checked on the rules and on a drawn PDF's lines."""
from __future__ import annotations

import io

from hypothesis import given, strategies as st
from pypdf import PdfReader

from engine.output import pdf
from engine.output.linebreak import NO_LINE_END, NO_LINE_START, WORD_CHARS, break_lines


def width(text: str) -> float:
    return len(text)


def test_a_closing_mark_takes_the_character_before_it_to_the_next_line():
    assert break_lines("一二三四五六七八九十，十一", width, 10) == ["一二三四五六七八九", "十，十一"]
    assert break_lines("一二三四五六七八九（十一）", width, 10) == ["一二三四五六七八九", "（十一）"]
    assert break_lines("已分配资金164,645.00元，已拨付", width, 10) == ["已分配资金", "164,645.00", "元，已拨付"]


@given(st.text(alphabet="一二三四五六七八九十，。、；：？！）》（《“”123.", min_size=1, max_size=200),
       st.integers(min_value=4, max_value=30))
def test_no_line_breaks_a_rule_and_no_character_is_lost(text, room):
    lines = break_lines(text, width, room)
    assert "".join(lines) == text
    for n, line in enumerate(lines):
        if n > 0 and line[0] in NO_LINE_START:
            # only where nothing else could go down: a run of marks, or a number longer than a line
            before = lines[n - 1]
            assert len(before) == 1 or all(c in NO_LINE_START or c in WORD_CHARS for c in before)
        if n < len(lines) - 1 and line and line[-1] in NO_LINE_END:
            assert len(line) == 1


def test_a_printed_letter_starts_no_line_with_a_comma():
    sentence = "您于二〇二五年三月四日通过代表履职平台提出的“硬化村组道路约二公里”建议已收悉，感谢您对民生实事工作的关心和支持。"
    paragraphs = [sentence * 3, "经乡镇筛选小组评议，必要性、可行性、普惠性、紧迫性合计八分，低于十一分，暂不纳入。" * 4]
    made = pdf.render(letterhead=["某县人大常委会"], title="答复", paragraphs=paragraphs, closing=["某县人大常委会"])
    lines = [line.strip() for page in PdfReader(io.BytesIO(made)).pages
             for line in page.extract_text().split("\n") if line.strip()]
    assert len(lines) > 6
    assert not [line for line in lines if line[0] in NO_LINE_START]
