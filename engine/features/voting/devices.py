"""Results of electronic voting devices: the device's export, one row per ballot, taken
into a closed round and counted like the ballots cast in the app.

A device knows no deputy, only a keypad, so its ballots are as anonymous as paper ones: they are
written under random ids, in one transaction with its audit row, and counted by the same count.
The file is checked whole first: a column that names no candidate of the round, a mark the
device could not have given, or more ballots than deputies present refuses the file, with each
problem's row, and nothing is written.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

from sqlalchemy import func, select

from engine.core.actors import Actor
from engine.core.runtime import Runtime
from engine.core.tabular import UnreadableRow, open_rows
from engine.features.voting.closing import write_ballots
from engine.features.voting.rounds import VoteRefused, candidates_of, take_round
from engine.kernel.errors import InputError, Problem
from engine.lang.vote_methods import ABSTAIN, NO, YES
from engine.store.audit import audit
from engine.store.tables import Ballot, Record, VoteCandidate

# What devices and their exports write for each mark: codes and symbols here; the words of the
# interface's language (a keypad's labels) come from the caller (apps.i18n_votes.DEVICE_WORDS).
DEVICE_MARKS = {"yes": YES, "y": YES, "1": YES, "√": YES, "✓": YES, "no": NO, "n": NO, "2": NO, "×": NO, "✗": NO,
                "abstain": ABSTAIN, "a": ABSTAIN, "3": ABSTAIN, "": None, "0": None}
MAX_PROBLEMS = 20  # said at most, so a wrong file gives a readable answer


def import_device_ballots(rt: Runtime, actor: Actor, round_id: int, path: Path,
                          words: Mapping[str, str | None] | None = None, ignored: Iterable[str] = ()) -> int:
    """Take a device's ballots into a closed round; returns how many. Columns name the round's
    candidates by record number (92 or #92) or by title; other columns (a ballot number, a
    keypad) are ignored when their heading is in IGNORED or `ignored`. `words`: more marks, in
    the language of the devices (a keypad label -> yes), added to DEVICE_MARKS."""
    marks_known = {**DEVICE_MARKS, **{k.lower(): v for k, v in (words or {}).items()}}
    skipped = IGNORED | {i.lower() for i in ignored}
    stream = open_rows(Path(path))
    try:
        with rt.db.transaction() as session:
            row, rules = take_round(session, rt, actor, round_id, "tellers", "update")
            if rules.roster.weight:  # a keypad does not say whose it is, so not how many votes it carries
                raise VoteRefused("weighted_electronic_only")
            if row.state != "closed":
                raise VoteRefused("device_after_close", state=row.state)
            if session.scalar(select(func.count()).select_from(Ballot).where(
                    Ballot.round_id == round_id, Ballot.channel == "device")):
                raise VoteRefused("device_already_imported")
            candidates = candidates_of(session, round_id)
            titles = dict(session.execute(select(Record.title, Record.id).join(
                VoteCandidate, VoteCandidate.record_id == Record.id).where(VoteCandidate.round_id == round_id)).all())
            columns, problems = _columns(stream.headers, candidates, titles, skipped)
            cast = session.scalar(select(func.count()).select_from(Ballot).where(Ballot.round_id == round_id)) or 0
            room = max(row.present - cast, 0)
            ballots, rows_read = [], 0  # a file with more rows than deputies is counted, not held
            for number, cells in stream.rows:
                if isinstance(cells, UnreadableRow):
                    problems[f"row {number}"] = Problem(cells.code)
                    continue
                marks = {}
                for index, candidate in columns.items():
                    value = str(cells[index] if index < len(cells) and cells[index] is not None else "").strip()
                    mark = marks_known.get(value.lower(), "?")
                    if mark == "?":
                        problems[f"row {number}"] = Problem("device_mark", {"value": value[:20],
                                                                           "column": stream.headers[index]})
                    elif mark is not None:
                        marks[candidate] = mark
                rows_read += 1
                if rows_read <= room:
                    ballots.append(marks)
                if len(problems) >= MAX_PROBLEMS:
                    break
            if problems:
                raise InputError(problems)
            if rows_read > room:
                raise VoteRefused("more_device_ballots_than_present", ballots=rows_read, cast=cast,
                                  present=row.present)
            write_ballots(session, round_id, [(marks, None, "device") for marks in ballots])
            audit(session, actor=actor.username, action="vote.device_imported", entity="vote_round",
                  entity_id=round_id, before=None, after={"file": Path(path).name, "ballots": len(ballots)},
                  version=row.profile_version)
            return len(ballots)
    finally:
        stream.close()


IGNORED = {"ballot", "no.", "number", "keypad", "device"}


def _columns(headers: list[str], candidates: list[str], titles: dict[str, int],
             ignored: set[str]) -> tuple[dict[int, str], dict]:
    """Which column holds which candidate's marks; a heading that names none is a problem."""
    columns: dict[int, str] = {}
    problems: dict[str, Problem] = {}
    for index, heading in enumerate(headers):
        text = heading.strip()
        number = text.lstrip("#")
        if number.isdigit() and number in candidates:
            columns[index] = number
        elif text in titles and str(titles[text]) in candidates:
            columns[index] = str(titles[text])
        elif text.lower() not in ignored and text:
            problems[f"column {heading}"] = Problem("device_column", {"column": heading})
    if not columns and not problems:
        problems["file"] = Problem("device_no_candidates")
    return columns, problems
