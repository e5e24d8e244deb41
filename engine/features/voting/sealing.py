"""Sealed ballots: what a deputy cast is unreadable in the database until the presidium opens the box.

When a round opens, a key pair is made (PyNaCl, X25519 sealed boxes). The database keeps only the
public half; the private half is the round's **count key**, shown once to the presidium and never
stored. Each electronic ballot is padded to one length for the round and sealed to the public key
before it is written, so the rows, the WAL and the old row versions hold only ciphertexts of equal
size. Who voted is recorded (a deputy votes once); what they voted is not readable by anyone
holding the database files. At the count the presidium enters the count key: the ballots are
opened in the server's memory and written back as plain ballots in random order, in one
transaction that names no deputy, and the sealed rows are removed; from then on anyone may
recount, and nothing links a plain ballot to the transaction, time or row that cast it.
"""
from __future__ import annotations

import base64
import binascii

import orjson
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

MARK_LONGEST = "abstain"  # the longest mark a method writes (yes, no, abstain)


def new_key_pair() -> tuple[str, str]:
    """(public key to store, count key for the presidium), both as text."""
    private = PrivateKey.generate()
    return _text(bytes(private.public_key)), _text(bytes(private))


MAX_WEIGHT = 999_999  # the most votes one ballot may carry: its digits fix the sealed length


def seal(public_key: str, marks: dict[str, str], candidates: list[str], weight: int | None = None) -> str:
    """The marks (with a weighted vote's weight), padded to the round's one length and sealed:
    the text to store. A weight is sealed with the marks: in the open it would tell who voted."""
    if weight is None:
        plain = orjson.dumps(marks)
        length = len(orjson.dumps({c: MARK_LONGEST for c in candidates}))
    else:
        plain = orjson.dumps({"marks": marks, "weight": weight})
        length = len(orjson.dumps({"marks": {c: MARK_LONGEST for c in candidates}, "weight": MAX_WEIGHT}))
    if len(plain) > length:  # only marks of the ballot's candidates get here (cast refuses others)
        raise ValueError("marks of candidates not on the ballot: a longer box would tell them apart")
    box = SealedBox(PublicKey(_bytes(public_key)))
    return _text(box.encrypt(plain.ljust(length, b" ")))


def marks_and_weight(opened: dict) -> tuple[dict[str, str], int]:
    """An opened ballot's marks and the votes it carries (1 unless the vote is weighted)."""
    if set(opened) == {"marks", "weight"} and isinstance(opened["marks"], dict):
        return opened["marks"], int(opened["weight"])
    return opened, 1


class WrongCountKey(ValueError):
    """The key given does not open this round's ballots."""


def open_sealed(count_key: str, public_key: str, sealed: list[str]) -> list[dict[str, str]]:
    """Every sealed ballot's marks; WrongCountKey if the key is not the round's."""
    try:
        private = PrivateKey(_bytes(count_key.strip()))
    except (ValueError, TypeError, binascii.Error):
        raise WrongCountKey() from None
    if _text(bytes(private.public_key)) != public_key:
        raise WrongCountKey()
    box = SealedBox(private)
    try:
        return [orjson.loads(box.decrypt(_bytes(s)).rstrip(b" ")) for s in sealed]
    except CryptoError:
        raise WrongCountKey() from None


def _text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def _bytes(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode())
