"""A province on one machine: reactions whose state lives in the database (across processes,
restarts and crashes), set-based bulk moves and sheets, and bulk work by two processes at once."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import func, select

from engine.core.runtime import Runtime
from engine.core.rules_host import pending_in_process
from engine.core import reactions, records, sheets
from engine.core.actors import ANONYMOUS, SYSTEM, Actor
from engine.core.bulk import bulk_action
from engine.jobs import tick
from engine.core.workflow import transition
from engine.store.tables import AuditEntry, Deadline, ReactionEvent, ReactionState, Record
from tests.conftest import CONFIG, ROOT
from tests.test_workflow import OPINION, SCREENER as WF_SCREENER, scores, wf_profile  # noqa: F401 (fixture)

SCREENER = Actor("screener", "筛选小组", frozenset({"screening_group"}), township="t02")
PANEL = Actor("panel", "审查专班", frozenset({"review_panel"}))

THREE_OPINIONS = """
reactions:
  - {id: three_agreed, event: submitted, name: opinion, count: 3, where: "opinion == 'agree'",
     do: {notify: congress_staff}}
"""


@pytest.fixture
def opinion_profile(wf_profile):
    (wf_profile / "forms/opinion.yaml").write_text(OPINION, encoding="utf-8")
    path = wf_profile / "workflows/suggestion.yaml"
    path.write_text(path.read_text(encoding="utf-8") + THREE_OPINIONS, encoding="utf-8")
    return wf_profile


def _notified(rt) -> list[str]:
    with rt.db.read() as session:
        return list(session.scalars(select(AuditEntry.entity_id).where(AuditEntry.action == "notify")))


SUBMIT_OPINION = textwrap.dedent("""
    import sys
    from engine.core.runtime import Runtime
    from engine.core import records
    from engine.core.actors import Actor
    rt = Runtime.open(sys.argv[1], sys.argv[2])
    records.submit(rt, Actor("panel", "审查专班", frozenset({"review_panel"})), "opinion",
                   {"subject": sys.argv[3], "department": sys.argv[4], "opinion": "agree"})
""")


def test_a_count_of_three_fires_once_across_three_processes(opinion_profile, db_url, good_suggestion):
    rt = Runtime.open(opinion_profile, db_url)
    project = records.submit(rt, ANONYMOUS, "suggestion", good_suggestion)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for department in ("finance", "transport", "water"):  # each opinion from a process of its own
        run = subprocess.run([sys.executable, "-c", SUBMIT_OPINION, str(opinion_profile), db_url, str(project.id),
                              department], env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert _notified(rt) == ([] if department != "water" else [str(project.id)])
    with rt.db.read() as session:  # the three events were consumed: nothing is left pending
        assert session.scalar(select(func.count()).select_from(ReactionState)) == 0
        assert session.scalar(select(func.count()).select_from(ReactionEvent).where(
            ReactionEvent.done_at.is_(None))) == 0
    rt.db.dispose()


def test_a_partial_count_survives_a_restart(opinion_profile, db_url, good_suggestion):
    def opinion(rt, project, department):
        records.submit(rt, PANEL, "opinion", {"subject": str(project.id), "department": department, "opinion": "agree"})

    first = Runtime.open(opinion_profile, db_url)
    project = records.submit(first, ANONYMOUS, "suggestion", good_suggestion)
    opinion(first, project, "finance")
    opinion(first, project, "transport")
    first.db.dispose()
    with Runtime.open(opinion_profile, db_url).db.read() as session:  # what counts so far is stored
        state = session.scalars(select(ReactionState)).one()
        assert (state.record_id, len(state.pending)) == (project.id, 2)
    second = Runtime.open(opinion_profile, db_url)  # as after a restart: a fresh runtime, same database
    opinion(second, project, "water")
    assert _notified(second) == [str(project.id)]
    second.db.dispose()


def test_no_per_record_state_stays_in_the_process(opinion_profile, db_url, good_suggestion):
    rt = Runtime.open(opinion_profile, db_url)
    reaction_set = rt.reactions("suggestion")
    # More records than durable-rules keeps sessions for (it refuses the 1,025th): each posts an event
    projects = [records.submit(rt, ANONYMOUS, "suggestion", good_suggestion) for _ in range(1100)]
    for project in projects:
        records.submit(rt, PANEL, "opinion", {"subject": str(project.id), "department": "finance",
                                              "opinion": "agree"})
        assert pending_in_process(reaction_set) == []
    with rt.db.read() as session:  # the counts are in the database, one row a record
        assert session.scalar(select(func.count()).select_from(ReactionState)) == 1100
    rt.db.dispose()


def test_a_crash_between_the_commit_and_its_reaction_is_finished_by_tick(wf_profile, db_url, good_suggestion,
                                                                          monkeypatch):
    path = wf_profile / "workflows/suggestion.yaml"
    path.write_text(path.read_text(encoding="utf-8") + """
reactions:
  - {id: research_clock, event: transition, name: screen, do: {deadline: research_due, days: 30}}
""", encoding="utf-8")
    rt = Runtime.open(wf_profile, db_url)
    record = records.submit(rt, ANONYMOUS, "suggestion", good_suggestion)

    def crash(*_args, **_kwargs):
        raise SystemExit("the process died right after the commit")
    monkeypatch.setattr(reactions, "drain", crash)
    with pytest.raises(SystemExit):
        transition(rt, WF_SCREENER, record.id, "screen", scores(3, 3, 2, 3))
    monkeypatch.undo()
    with rt.db.read() as session:  # the move stands and its event waits; no deadline yet
        assert session.get(Record, record.id).state == "pending"
        assert session.scalar(select(func.count()).select_from(Deadline)) == 0
    assert reactions.waiting_events(rt) == 1
    report = tick(rt)
    assert report.reactions_fired == 1
    with rt.db.read() as session:
        assert [d.name for d in session.scalars(select(Deadline))] == ["research_due"]
    assert reactions.waiting_events(rt) == 0
    assert tick(rt).reactions_fired == 0  # once
    rt.db.dispose()


# -- set-based bulk work ----------------------------------------------------------------------

def _seed(rt, good, marks_per_record, township="t02"):
    """Suggestions with score sheets, filed in one bulk call; returns their ids."""
    ids = [records.submit(rt, ANONYMOUS, "suggestion", {**good, "township": township}).id for _ in marks_per_record]
    items = [(record_id, "screening_score", {"member": f"成员{i}", "member_kind": "deputy", "necessity": n,
                                             "feasibility": f, "universality": u, "urgency": g})
             for record_id, marks in zip(ids, marks_per_record) for i, (n, f, u, g) in enumerate(marks)]
    report = sheets.file_sheets(rt, SYSTEM, items, batch=7)
    assert not report.refused and len(report.filed) == len(items)
    return ids


GOOD = [(5, 5, 5, 5)] * 3
LOW = [(2, 2, 2, 2)] * 3


def test_bulk_moves_the_rest_and_reports_the_refused_one(rt, good_suggestion):
    ids = _seed(rt, good_suggestion, [GOOD, GOOD, [(5, 5, 5, 5)], LOW, GOOD])  # the third has one sheet only
    report = bulk_action(rt, SCREENER, "suggestion", "screen", batch=2)
    assert report.considered == 5
    assert dict(report.moved) == {"reserve": 3, "rejected": 1}
    assert dict(report.refused) == {"目前只有 1 份评分表，筛选至少需要 3 名成员评分": 1}
    assert report.examples["目前只有 1 份评分表，筛选至少需要 3 名成员评分"] == [ids[2]]
    assert records.get(rt, SYSTEM, ids[2])[0].state == "received"


def _transition_audit(rt, record_id):
    with rt.db.read() as session:
        return [(a.actor, a.action, a.before, a.after, a.profile_version) for a in session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "record", AuditEntry.entity_id == str(record_id),
                                     AuditEntry.action == "record.transition"))]


def test_bulk_writes_the_same_audit_rows_as_moves_one_at_a_time(rt, good_suggestion):
    marks = [GOOD, LOW, [(4, 4, 3, 3)] * 3, [(5, 2, 3, 3)] * 3]
    singly = _seed(rt, good_suggestion, marks)
    for record_id in singly:
        transition(rt, SCREENER, record_id, "screen")
    together = _seed(rt, good_suggestion, marks)
    bulk_action(rt, SCREENER, "suggestion", "screen")
    for one, bulk in zip(singly, together):
        expected = _transition_audit(rt, one)
        assert expected and _transition_audit(rt, bulk) == expected


def test_bulk_refuses_another_townships_records_for_a_township_user(rt, good_suggestion):
    _seed(rt, good_suggestion, [GOOD], township="t03")
    report = bulk_action(rt, SCREENER, "suggestion", "screen")  # a t02 screener: t03 is not theirs
    assert report.considered == 0


def test_bulk_sheets_report_each_refused_sheet_and_store_the_rest(rt, good_suggestion):
    record = records.submit(rt, ANONYMOUS, "suggestion", good_suggestion)
    report = sheets.file_sheets(rt, SCREENER, [
        (record.id, "screening_score", {"member": "甲", "member_kind": "deputy", "necessity": 5, "feasibility": 5,
                                        "universality": 5, "urgency": 5}),
        (record.id, "screening_score", {"member": "乙", "member_kind": "deputy", "necessity": 9}),  # invalid
        (999999, "screening_score", {"member": "丙"}),  # no such record
    ])
    assert len(report.filed) == 1
    assert [(index, subject) for index, subject, _ in report.refused] == [(1, record.id), (2, 999999)]
    assert len(sheets.filed_sheets(rt, SYSTEM, record.id)) == 1


ACT = [sys.executable, "-m", "apps.cli", "act", "screen", "--config", str(CONFIG)]


def test_two_act_processes_at_once_move_each_record_once(rt, db_url, good_suggestion):
    ids = _seed(rt, good_suggestion, [GOOD, LOW] * 150)
    env = dict(os.environ, DATABASE_URL=db_url, PYTHONPATH=str(ROOT))
    runs = [subprocess.Popen(ACT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)
            for _ in range(2)]
    outputs = [run.communicate(timeout=300)[0].decode() for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    with rt.db.read() as session:
        moves = session.execute(select(AuditEntry.entity_id, func.count()).where(
            AuditEntry.action == "record.transition").group_by(AuditEntry.entity_id)).all()
        states = dict(session.execute(select(Record.state, func.count()).where(Record.form_id == "suggestion")
                                      .group_by(Record.state)).all())
    assert sorted(int(i) for i, _ in moves) == sorted(ids) and {n for _, n in moves} == {1}
    assert states == {"reserve": 150, "rejected": 150}
