"""The fund pool's ledger as a spreadsheet for the audit office."""
from __future__ import annotations

from typing import BinaryIO

from engine.core.actors import Actor
from engine.core.runtime import Runtime
from engine.features.funds import ledger_rows
from engine.output.xlsx import write_sheet


def ledger_xlsx(rt: Runtime, actor: Actor, pool_id: int, headings: list[str], out: str | BinaryIO) -> int:
    """Every entry of the pool, oldest first; returns the number of entries."""
    return write_sheet(out, headings, ledger_rows(rt, actor, pool_id))
