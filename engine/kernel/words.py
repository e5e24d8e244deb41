"""Search terms of a text, the same way for what is stored and for what is searched for.

Chinese is written without spaces, so a word cannot be cut out of a sentence without a
dictionary. Instead every pair of neighbouring Chinese characters is a term (four characters
ABCD give AB BC CD), and a phrase of consecutive terms finds exactly the texts that contain the searched
characters in that order, whatever the words. A run of Chinese ends with its last character
alone, so that a one-character search finds it at the end of a run too. Latin letters and
digits are kept as whole words, lower-cased; a searched word matches the start of a stored one
(G20 finds G207). Full-width letters and digits count as the ordinary ones (NFKC).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_RUN = re.compile(r"[^\W_]+")  # letters and digits, whatever the script
_HAN_RANGES = "\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
# Within a run of letters and digits: the pieces that are all Chinese and those that have none.
_PIECE = re.compile(f"[{_HAN_RANGES}]+|[^{_HAN_RANGES}]+")


def _is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\U00020000" <= char <= "\U0003ffff"


def _segments(text: str) -> list[tuple[bool, str]]:
    """Runs of Chinese characters and runs of other letters and digits, in order."""
    return [(_is_han(piece[0]), piece) for run in _RUN.findall(unicodedata.normalize("NFKC", text).casefold())
            for piece in _PIECE.findall(run)]


def _pairs(han: str) -> list[str]:
    return [han[i:i + 2] for i in range(len(han) - 1)]


def stored_terms(*texts: str) -> list[str]:
    """The terms of the texts, in order: what the search index holds for a record."""
    terms: list[str] = []
    for text in texts:
        for han, segment in _segments(text or ""):
            if han:
                terms.extend(_pairs(segment))
                terms.append(segment[-1])
            else:
                terms.append(segment)
    return terms


@dataclass(frozen=True)
class Phrase:
    """Terms that must stand next to each other in this order; `prefix`: the last term may be the
    start of a longer one."""

    terms: tuple[str, ...]
    prefix: bool


def searched_phrases(query: str) -> list[Phrase]:
    """What a search asks for: every phrase must be found (AND). Empty when the query holds no
    letter or digit at all, so the caller can say so rather than list everything."""
    phrases = []
    for han, segment in _segments(query or ""):
        if han and len(segment) > 1:
            phrases.append(Phrase(tuple(_pairs(segment)), prefix=False))
        else:  # one Chinese character: the start of a pair or a run's last character; a word: its start
            phrases.append(Phrase((segment,), prefix=True))
    return phrases
