"""Receipt codes: short, unambiguous, unguessable codes a proposer follows a suggestion by."""
from __future__ import annotations

import re
import secrets

# Crockford's base 32: no I, L, O or U, so a code read out over the phone cannot be misheard.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 10  # 50 random bits: a collision among a million codes has odds of about 1 in 2,000


def new_code(prefix: str, year: int) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return f"{prefix}{year % 100:02d}-{body[:5]}-{body[5:]}"


def normalise(code: str) -> str:
    """What a person typed -> the stored form: upper case, O read as 0, I and L as 1."""
    text = re.sub(r"[\s_]", "", code.upper()).replace("—", "-").replace("－", "-")
    head, sep, tail = text.partition("-")
    tail = tail.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    return head + sep + tail
