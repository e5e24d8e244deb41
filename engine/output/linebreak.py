"""Breaking Chinese text into lines as official documents do (GB/T 15834 punctuation, the usual
line-breaking rules): a line never starts with a closing mark (，。、；：？！）》」』”’ and the like) and never
ends with an opening one (（《「『“‘). Chinese breaks between any two characters, so a line is
filled character by character; where the break would fall before a closing mark, the last
character moves down with it, and an opening mark at a line's end moves down to what it opens.
Numbers and Latin words are not split (164,645.00 stays on one line).
"""
from __future__ import annotations

from typing import Callable

NO_LINE_START = frozenset("，。、；：？！）》」』”’〕】…—·%,.;:?!)]}")
NO_LINE_END = frozenset("（《「『“‘〔【([{")
WORD_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,-_/"


def _in_word(char: str) -> bool:
    return char in WORD_CHARS


def break_lines(text: str, width: Callable[[str], float], room: float) -> list[str]:
    """The text's lines, each at most `room` wide by `width` (a line that cannot be broken by the
    rules, such as a run of closing marks, is left a little over rather than broken wrongly)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_lines(paragraph, width, room))
    return lines


def _lines(text: str, width: Callable[[str], float], room: float) -> list[str]:
    out: list[str] = []
    line = ""
    for char in text:
        if not line or width(line + char) <= room:
            line += char
            continue
        line, carried = _split(line, char, keep_words=True)
        out.append(line)
        line = carried + char
    if line or not out:
        out.append(line)
    return out


def _split(line: str, char: str, keep_words: bool) -> tuple[str, str]:
    """Where a full line ends before `char`: (what stays, what moves down with the char)."""
    carried = ""
    if keep_words and _in_word(char) and _in_word(line[-1]):  # a number or a Latin word stays whole
        run = len(line) - len(line.rstrip(WORD_CHARS))
        if run < len(line):
            carried, line = line[-run:], line[:-run]
    # The next line may not start with a closing mark, this one may not end with an opening
    # one: move characters down until neither holds (or only one character is left).
    while len(line) > 1 and ((carried or char)[0] in NO_LINE_START or line[-1] in NO_LINE_END):
        carried = line[-1] + carried
        line = line[:-1]
    if keep_words and carried and ((carried[0] in NO_LINE_START) or line[-1] in NO_LINE_END):
        return _split(line + carried, char, keep_words=False)  # the rules first: break the word
    return line, carried
