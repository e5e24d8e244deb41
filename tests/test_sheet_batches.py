"""Sheets in batches: which records a grid is for. A sheet a record takes once (an answer to the
proposer) lists the oldest records still without one, however many before them have it; a sheet
filed as often as there is news (a progress report) lists every record in its states."""
from __future__ import annotations

from sqlalchemy import update

from engine.core import records, sheets
from engine.core.actors import SYSTEM, Actor
from engine.core.sheet_batches import grid_for
from engine.store.tables import Record

LIAISON = Actor("liaison", "联络员", frozenset({"liaison_staff"}), "t02")


def in_state(rt, good, state: str, n: int) -> list[int]:
    ids = [records.submit(rt, SYSTEM, "suggestion", dict(good, title=f"第{i + 1}条建议")).id for i in range(n)]
    with rt.db.transaction() as session:  # as if screened (tested in test_screening)
        session.execute(update(Record).where(Record.id.in_(ids)).values(state=state))
    return ids


def test_a_grid_of_answers_lists_the_oldest_suggestions_still_unanswered(rt, good_suggestion):
    ids = in_state(rt, good_suggestion, "pending", 6)
    for record_id in ids[:4]:
        sheets.file_sheet(rt, LIAISON, record_id, "answer", {"method": "letter", "answered_on": "2025-05-01"})
    grid = grid_for(rt, LIAISON, "suggestion", "answer", limit=1)
    assert [g.record.id for g in grid.records] == [ids[4]] and grid.total == 2  # not the four answered


def test_a_grid_of_progress_reports_keeps_a_project_that_has_reported_before(rt, good_suggestion):
    unit = Actor("unit", "瑞塔铺镇人民政府", frozenset({"government_unit"}), "t02")
    ids = in_state(rt, good_suggestion, "delivering", 2)
    sheets.file_sheet(rt, unit, ids[0], "progress_report", {"report_date": "2025-06-30", "percent": 40,
                                                            "text": "路基完成"})
    grid = grid_for(rt, unit, "suggestion", "progress_report")
    assert [g.record.id for g in grid.records] == ids and grid.total == 2
