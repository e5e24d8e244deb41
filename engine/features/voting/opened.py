"""What a round fixes when it opens and never changes after: its candidates, and who on its roster
is present with the votes each carries (attendance is recorded only while the round is a draft).

A ballot needs both; reading them once per round and process instead of at every ballot saves two
of a ballot's statements. The entry is keyed by the round's id and its ballot key, which is new at
every opening and differs between databases, so an entry never outlives the opening it was read
under nor serves another store; a process that has not read a round reads it from the database,
so several processes agree. Bounded: the rounds open at once are few, the oldest are forgotten.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import bindparam, select

from engine.store.db import connection_of
from engine.store.tables import VoteRoster
from engine.features.voting.rounds import candidates_of

KEPT_ROUNDS = 512

_PRESENT = select(VoteRoster.deputy, VoteRoster.weight).where(
    VoteRoster.round_id == bindparam("round_id"), VoteRoster.status == "present")


@dataclass(frozen=True)
class OpenedRound:
    candidates: tuple[str, ...]
    present: Mapping[str, int]  # deputy -> the votes the ballot carries


_kept: OrderedDict[tuple[int, str], OpenedRound] = OrderedDict()
_lock = threading.Lock()


def opened_round(session, row) -> OpenedRound:
    """The fixed part of an open round (`row`: its row, already checked to be open)."""
    key = (row.id, row.ballot_key)
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    found = OpenedRound(tuple(candidates_of(session, row.id)),
                        dict(connection_of(session).execute(_PRESENT, {"round_id": row.id}).all()))
    with _lock:
        _kept[key] = found
        while len(_kept) > KEPT_ROUNDS:
            _kept.popitem(last=False)
    return found
