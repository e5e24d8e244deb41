"""Workflows: graph checks at load, transitions with roles, conditions and decisions, refusals that
change nothing, concurrent actions, automatic transitions and deadlines fired exactly once."""
from __future__ import annotations

import datetime as dt
import shutil
import threading

import pytest
from sqlalchemy import func, select

from engine.kernel.errors import InputError
from engine.core.runtime import Runtime
from engine.core import records
from engine.core.actors import ANONYMOUS, Actor
from engine.jobs import tick
from engine.core.workflow import TransitionRefused, available_actions, set_deadline, transition
from engine.store.tables import AuditEntry, Deadline, Record
from tests.test_config_errors import problems as _problems

SCREENER = Actor("screener", "筛选小组", frozenset({"screening_group"}))
LIAISON = Actor("liaison", "联络员", frozenset({"liaison_staff"}))
CONGRESS = Actor("congress", "人大", frozenset({"congress_staff"}))

WORKFLOW = """\
id: suggestion
label: 建议办理流程
initial: received
states:
  - {id: received, label: 已受理}
  - {id: reserve, label: 储备库, final: true}
  - {id: pending, label: 待研项目库}
  - {id: rejected, label: 未入库, final: true}
  - {id: closed, label: 已关闭, final: true}
transitions:
  - {action: screen, label: 筛选, from: received, to: reserve, roles: [screening_group], form: score_sheet,
     decision: {rules: screening, table: screening, outcome: reserve}}
  - {action: screen, from: received, to: pending, roles: [screening_group], form: score_sheet,
     decision: {rules: screening, table: screening, outcome: pending}}
  - {action: screen, from: received, to: rejected, roles: [screening_group], form: score_sheet,
     decision: {rules: screening, table: screening, outcome: rejected}}
  - {action: revive, label: 重新筛选, from: pending, to: received, roles: [liaison_staff]}
  - {action: fast_track, from: received, to: reserve, roles: [congress_staff], when: "beneficiaries >= 1000"}
  - {action: expire, from: pending, to: closed, automatic: true, deadline: research_due}
  - {action: close_year, from: [received], to: closed, automatic: true, on_date: 2025-12-31}
"""
RULES = """\
id: screening
label: 筛选规则
inputs: {necessity: number, feasibility: number, universality: number, urgency: number}
derived:
  total: necessity + feasibility + universality + urgency
tables:
  - id: screening
    label: 筛选
    hit_policy: FIRST
    rows:
      - {id: reserve, when: total >= 14, outcome: reserve, reason: "合计 {total} 分，达到入库线"}
      - {id: pending, when: total >= 10, outcome: pending, reason: "合计 {total} 分，列入待研"}
    default: {id: low, when: "true", outcome: rejected, reason: "合计 {total} 分，未达 10 分"}
"""
SCORES = """\
id: score_sheet
label: 筛选评分表
title: "评分"
access: {submit: [screening_group], list: [screening_group], view: [screening_group]}
fields:
  - {id: necessity, label: 必要性, type: score, scale: 5, required: true}
  - {id: feasibility, label: 可行性, type: score, scale: 5, required: true}
  - {id: universality, label: 普惠性, type: score, scale: 5, required: true}
  - {id: urgency, label: 紧迫性, type: score, scale: 5, required: true}
"""


@pytest.fixture
def wf_profile(profile_dir):
    for folder in ("documents", "votes", "funds", "delivery", "reports"):  # they name states of the full workflow this one replaces
        shutil.rmtree(profile_dir / folder)
    demo = profile_dir / "demo.yaml"  # and so does the demo's delivery
    text = demo.read_text(encoding="utf-8")
    demo.write_text(text[:text.index("\ndelivery:")] + "\n", encoding="utf-8")  # and what follows it
    (profile_dir / "workflows/suggestion.yaml").write_text(WORKFLOW, encoding="utf-8")
    (profile_dir / "rules").mkdir(exist_ok=True)
    (profile_dir / "rules/screening.yaml").write_text(RULES, encoding="utf-8")
    (profile_dir / "forms/score_sheet.yaml").write_text(SCORES, encoding="utf-8")
    return profile_dir


@pytest.fixture
def wrt(wf_profile, db_url):
    runtime = Runtime.open(wf_profile, db_url)
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def suggestion(wrt, good_suggestion):
    return records.submit(wrt, ANONYMOUS, "suggestion", good_suggestion)


def state_of(rt, record_id):
    with rt.db.read() as session:
        return session.get(Record, record_id).state


def audit_count(rt):
    with rt.db.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry))


def scores(n, f, u, g):
    return {"necessity": n, "feasibility": f, "universality": u, "urgency": g}


@pytest.mark.parametrize("sheet, state, reason", [
    (scores(4, 4, 3, 4), "reserve", "合计 15 分，达到入库线"),
    (scores(3, 3, 2, 3), "pending", "合计 11 分，列入待研"),
    (scores(1, 2, 1, 1), "rejected", "合计 5 分，未达 10 分"),
])
def test_screening_by_decision_table(wrt, suggestion, sheet, state, reason):
    view = transition(wrt, SCREENER, suggestion.id, "screen", sheet)
    assert view.state == state
    with wrt.db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "record.transition")).one()
        scored = session.scalars(select(Record).where(Record.form_id == "score_sheet")).one()
    assert entry.before == {"state": "received"} and entry.after["state"] == state
    assert entry.after["decision"]["reason"] == reason and entry.after["decision"]["version"] == wrt.version
    assert entry.after["data_record"] == scored.id and scored.data == sheet


def test_refused_transitions_change_nothing(wrt, suggestion):
    before = audit_count(wrt)
    cases = [
        (LIAISON, "screen", scores(4, 4, 4, 4), "not_allowed"),
        (LIAISON, "revive", None, "wrong_state"),
        (CONGRESS, "fast_track", None, "condition_false"),   # 420 beneficiaries, not 1000
        (SCREENER, "teleport", None, "unknown_action"),
        (ANONYMOUS, "screen", scores(4, 4, 4, 4), "not_allowed"),
    ]
    for who, action, data, code in cases:
        with pytest.raises(TransitionRefused) as info:
            transition(wrt, who, suggestion.id, action, data)
        assert info.value.code == code, (action, info.value)
    with pytest.raises(InputError):  # the action's form is checked like any form
        transition(wrt, SCREENER, suggestion.id, "screen", scores(9, 4, 4, 4))
    assert state_of(wrt, suggestion.id) == "received" and audit_count(wrt) == before


def test_available_actions_follow_state_and_role(wrt, suggestion):
    assert [t.action for t in available_actions(wrt, SCREENER, suggestion)] == ["screen"]
    assert [t.action for t in available_actions(wrt, CONGRESS, suggestion)] == ["fast_track"]
    assert available_actions(wrt, LIAISON, suggestion) == []


def test_two_people_acting_at_once_cannot_both_succeed(wrt, suggestion):
    transition(wrt, SCREENER, suggestion.id, "screen", scores(3, 3, 2, 3))  # -> pending
    results: list[str] = []
    barrier = threading.Barrier(6)

    def act():
        barrier.wait()
        try:
            transition(wrt, LIAISON, suggestion.id, "revive")
            results.append("ok")
        except TransitionRefused as exc:
            results.append(exc.code)
    threads = [threading.Thread(target=act) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # the record is locked for the transaction, so the five late ones see it already moved
    assert sorted(results) == ["ok"] + ["wrong_state"] * 5
    assert state_of(wrt, suggestion.id) == "received"


def test_deadline_fires_exactly_once_even_with_two_ticks_at_once(wrt, suggestion):
    transition(wrt, SCREENER, suggestion.id, "screen", scores(3, 3, 2, 3))  # -> pending
    due = dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)
    set_deadline(wrt, suggestion.id, "research_due", due, {})
    assert tick(wrt, at=due - dt.timedelta(days=1)).deadlines_fired == 0
    fired: list[int] = []
    barrier = threading.Barrier(3)

    def run():
        barrier.wait()
        fired.append(tick(wrt, at=due).deadlines_fired)
    threads = [threading.Thread(target=run) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(fired) == [0, 0, 1]
    assert tick(wrt, at=due).deadlines_fired == 0
    assert state_of(wrt, suggestion.id) == "closed"
    with wrt.db.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "deadline.fired")) == 1
        assert session.scalars(select(Deadline.fired_at)).one() is not None


def test_calendar_transition_on_its_date(wrt, suggestion):
    assert tick(wrt, at=dt.datetime(2025, 12, 30, tzinfo=dt.timezone.utc)).transitions_taken == 0
    report = tick(wrt, at=dt.datetime(2025, 12, 31, tzinfo=dt.timezone.utc))
    assert report.transitions_taken == 1 and state_of(wrt, suggestion.id) == "closed"
    assert tick(wrt, at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)).transitions_taken == 0


def test_graph_errors(wf_profile, monkeypatch):
    text = WORKFLOW.replace("  - {id: closed, label: 已关闭, final: true}\n",
                            "  - {id: closed, label: 已关闭, final: true}\n  - {id: limbo, label: 悬而未决}\n")
    text = text.replace("to: received, roles: [liaison_staff]}", "to: recieved, roles: []}")
    (wf_profile / "workflows/suggestion.yaml").write_text(text, encoding="utf-8")
    lines = text.splitlines()
    line = lambda needle: next(i for i, l in enumerate(lines, 1) if needle in l)  # noqa: E731
    assert _problems(wf_profile, monkeypatch) == [
        f"profile/workflows/suggestion.yaml:{line('id: limbo')}: At Workflow(id='suggestion') -> states -> "
        "State(id='limbo') -> id: state 'limbo' cannot be reached from 'received'",
        f"profile/workflows/suggestion.yaml:{line('action: revive')}: At Workflow(id='suggestion') -> transitions -> "
        "Transition[3] -> action: action 'revive' has no allowed role; give it roles, or make it automatic",
        f"profile/workflows/suggestion.yaml:{line('action: revive')}: At Workflow(id='suggestion') -> transitions -> "
        "Transition[3] -> to: unknown state 'recieved' (did you mean 'received'?)",
    ]


def test_dead_end_and_bad_references(wf_profile, monkeypatch):
    text = WORKFLOW.replace("{id: reserve, label: 储备库, final: true}", "{id: reserve, label: 储备库}")
    text = text.replace("outcome: pending}}", "outcome: later}}").replace('when: "beneficiaries >= 1000"',
                                                                         'when: "beneficiary >= 1000"')
    (wf_profile / "workflows/suggestion.yaml").write_text(text, encoding="utf-8")
    lines = text.splitlines()
    line = lambda needle: next(i for i, l in enumerate(lines, 1) if needle in l)  # noqa: E731
    assert _problems(wf_profile, monkeypatch) == [
        f"profile/workflows/suggestion.yaml:{line('id: reserve')}: At Workflow(id='suggestion') -> states -> "
        "State(id='reserve') -> id: state 'reserve' is a dead end: add a transition from it, or mark it final: true",
        f"profile/workflows/suggestion.yaml:{line('outcome: later')}: At Workflow(id='suggestion') -> transitions -> "
        "Transition[1] -> decision -> outcome: table 'screening' never decides 'later'; it decides reserve, "
        "pending, rejected",
        f"profile/workflows/suggestion.yaml:{line('fast_track')}: At Workflow(id='suggestion') -> transitions -> "
        "Transition[4] -> when: for form 'suggestion': unknown name 'beneficiary' (did you mean 'beneficiaries'?) "
        "(at column 1 of «beneficiary >= 1000»)",
    ]


def test_records_keep_their_version_until_migrated(wf_profile, db_url, good_suggestion):
    from engine.core.versions import migrate_records
    v1 = Runtime.open(wf_profile, db_url)
    old = records.submit(v1, ANONYMOUS, "suggestion", good_suggestion)
    transition(v1, SCREENER, old.id, "screen", scores(3, 3, 2, 3))            # -> pending, under v1
    # the administrator edits the workflow: reviving now closes the suggestion
    path = wf_profile / "workflows/suggestion.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "{action: revive, label: 重新筛选, from: pending, to: received,",
        "{action: revive, label: 重新筛选, from: pending, to: closed,"), encoding="utf-8")
    v2 = Runtime.open(wf_profile, db_url)
    assert v2.version != v1.version
    new = records.submit(v2, ANONYMOUS, "suggestion", good_suggestion)
    transition(v2, SCREENER, new.id, "screen", scores(3, 3, 2, 3))
    assert transition(v2, LIAISON, new.id, "revive").state == "closed"       # new record: new rules
    assert transition(v2, LIAISON, old.id, "revive").state == "received"     # running record: its own
    transition(v2, SCREENER, old.id, "screen", scores(3, 3, 2, 3))

    assert migrate_records(v2, "suggestion", dry_run=True).moved == 1
    assert state_of(v2, old.id) == "pending"
    report = migrate_records(v2, "suggestion", actor_name="admin")
    assert (report.moved, report.skipped) == (1, [])
    assert transition(v2, LIAISON, old.id, "revive").state == "closed"       # migrated: the new rules
    with v2.db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "record.migrate")).one()
    assert (entry.actor, entry.before, entry.after) == ("admin", {"version": v1.version}, {"version": v2.version})
    assert migrate_records(v2, "suggestion").moved == 0
    v1.db.dispose()
    v2.db.dispose()


def test_frozen_state_keeps_its_rules_and_check_says_so(wf_profile, db_url, good_suggestion, monkeypatch):
    from typer.testing import CliRunner
    from apps.cli import app
    from engine.core.versions import migrate_records
    path = wf_profile / "workflows/suggestion.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "{id: pending, label: 待研项目库}", "{id: pending, label: 待研项目库, frozen: true}"), encoding="utf-8")
    v1 = Runtime.open(wf_profile, db_url)
    held = records.submit(v1, ANONYMOUS, "suggestion", good_suggestion)
    transition(v1, SCREENER, held.id, "screen", scores(3, 3, 2, 3))           # -> pending (frozen)
    waiting = records.submit(v1, ANONYMOUS, "suggestion", good_suggestion)     # stays received
    path.write_text(path.read_text(encoding="utf-8").replace("to: received, roles: [liaison_staff]}",
                                                             "to: closed, roles: [liaison_staff]}"), encoding="utf-8")
    v2 = Runtime.open(wf_profile, db_url)
    report = migrate_records(v2, "suggestion")
    assert report.moved == 1 and report.skipped == [
        f"record {held.id}: state 'pending' is frozen (its rules stay as they were)"]
    monkeypatch.setenv("DATABASE_URL", db_url)
    result = CliRunner().invoke(app, ["check", "--with-data", "--config", str(wf_profile)])
    assert result.exit_code == 0
    assert (f"note: 1 suggestion record(s) in state 'pending' are frozen under version {v1.version}: "
            "your edits do not apply to them") in result.output
    assert transition(v2, LIAISON, held.id, "revive").state == "received"    # still the rules it had
    assert state_of(v2, waiting.id) == "received"
    v1.db.dispose()
    v2.db.dispose()


def test_preview_shows_which_decisions_would_change(wf_profile, db_url, good_suggestion, monkeypatch, tmp_path):
    import shutil
    from typer.testing import CliRunner
    from apps.cli import app
    rt = Runtime.open(wf_profile, db_url)
    a = records.submit(rt, ANONYMOUS, "suggestion", dict(good_suggestion, title="甲：修建河道便民桥"))
    b = records.submit(rt, ANONYMOUS, "suggestion", dict(good_suggestion, title="乙：安装村道路灯"))
    transition(rt, SCREENER, a.id, "screen", scores(4, 4, 3, 3))   # 14 -> reserve
    transition(rt, SCREENER, b.id, "screen", scores(5, 5, 5, 5))   # 20 -> reserve
    proposed = tmp_path / "proposed"
    shutil.copytree(wf_profile, proposed)
    rules = proposed / "rules/screening.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("when: total >= 14", "when: total >= 16"),
                     encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", db_url)
    with rt.db.read() as session:
        audit_before = session.scalar(select(func.count()).select_from(AuditEntry))
    result = CliRunner().invoke(app, ["preview", "--config", str(proposed)])
    assert result.exit_code == 0, result.output
    assert "2 stored decision(s) decided again" in result.output and "1 would change" in result.output
    assert (f"record {a.id} «甲：修建河道便民桥»: screening: reserve -> pending (now: 合计 14 分，列入待研; "
            "was: 合计 14 分，达到入库线)") in result.output
    with rt.db.read() as session:  # nothing was written
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
    assert state_of(rt, a.id) == "reserve"
    rt.db.dispose()


REACTIONS = """
reactions:
  - {id: revived_twice, event: transition, name: revive, count: 2, do: {notify: congress_staff}}
  - {id: research_clock, event: transition, name: screen, when: "beneficiaries >= 100",
     do: {deadline: research_due, days: 30}}
"""


def test_reactions_correlate_events_per_record(wf_profile, db_url, good_suggestion):
    path = wf_profile / "workflows/suggestion.yaml"
    path.write_text(path.read_text(encoding="utf-8") + REACTIONS, encoding="utf-8")
    rt = Runtime.open(wf_profile, db_url)
    one = records.submit(rt, ANONYMOUS, "suggestion", good_suggestion)
    other = records.submit(rt, ANONYMOUS, "suggestion", good_suggestion)
    for record in (one, other, one):
        transition(rt, SCREENER, record.id, "screen", scores(3, 3, 2, 3))   # -> pending: research clock set
        transition(rt, LIAISON, record.id, "revive")                       # -> received
    with rt.db.read() as session:
        fired = session.execute(select(AuditEntry.entity_id, AuditEntry.after).where(
            AuditEntry.action == "reaction.fired").order_by(AuditEntry.id)).all()
        notified = session.execute(select(AuditEntry.entity_id, AuditEntry.after).where(
            AuditEntry.action == "notify")).all()
        deadlines = session.scalar(select(func.count()).select_from(Deadline))
    # two revivals of the same record make one notification; the other record's one revival none
    assert [(rid, after["reaction"]) for rid, after in fired] == [
        (str(one.id), "research_clock"), (str(other.id), "research_clock"), (str(one.id), "research_clock"),
        (str(one.id), "revived_twice")]
    assert notified == [(str(one.id), {"role": "congress_staff", "reaction": "revived_twice"})]
    assert deadlines == 3
    rt.db.dispose()


def test_a_failing_reaction_reaches_the_caller(wf_profile, db_url, good_suggestion):
    path = wf_profile / "workflows/suggestion.yaml"
    path.write_text(path.read_text(encoding="utf-8") + """
reactions:
  - {id: rescreen, event: transition, name: revive, do: {transition: screen}}
""", encoding="utf-8")
    rt = Runtime.open(wf_profile, db_url)
    record = records.submit(rt, ANONYMOUS, "suggestion", good_suggestion)
    transition(rt, SCREENER, record.id, "screen", scores(3, 3, 2, 3))
    with pytest.raises(InputError):  # screening needs a score sheet, which a reaction cannot fill in
        transition(rt, LIAISON, record.id, "revive")
    assert state_of(rt, record.id) == "received"  # the revival itself stands
    rt.db.dispose()


OPINION = """\
id: opinion
label: 部门审查意见
title: "{department}"
access: {submit: [review_panel], list: [review_panel], view: [review_panel]}
fields:
  - {id: subject, label: 项目, type: reference, to: "form:suggestion", required: true}
  - {id: department, label: 部门, type: choice, required: true,
     options: [{id: finance, label: 财政}, {id: transport, label: 交通}, {id: water, label: 水利}]}
  - {id: opinion, label: 意见, type: choice, required: true,
     options: [{id: agree, label: 同意}, {id: disagree, label: 不同意}]}
"""


def test_reaction_counts_only_submissions_meeting_where(wf_profile, db_url, good_suggestion):
    (wf_profile / "forms/opinion.yaml").write_text(OPINION, encoding="utf-8")
    path = wf_profile / "workflows/suggestion.yaml"
    path.write_text(path.read_text(encoding="utf-8") + """
reactions:
  - {id: agreed, event: submitted, name: opinion, count: 2, where: "opinion == 'agree'",
     do: {notify: congress_staff}}
""", encoding="utf-8")
    rt = Runtime.open(wf_profile, db_url)
    panel = Actor("panel", "审查专班", frozenset({"review_panel"}))
    project = records.submit(rt, ANONYMOUS, "suggestion", good_suggestion)

    def opinion(department, verdict):
        records.submit(rt, panel, "opinion", {"subject": str(project.id), "department": department,
                                              "opinion": verdict})

    def notified():
        with rt.db.read() as session:
            return session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "notify"))
    opinion("finance", "agree")
    opinion("transport", "disagree")   # does not count
    assert notified() == 0
    opinion("water", "agree")          # the second agreeing opinion about this project
    assert notified() == 1
    rt.db.dispose()


def test_two_tick_processes_fire_a_deadline_once(wrt, wf_profile, db_url, suggestion):
    import os
    import subprocess
    import sys
    transition(wrt, SCREENER, suggestion.id, "screen", scores(3, 3, 2, 3))  # -> pending
    set_deadline(wrt, suggestion.id, "research_due", dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc), {})
    env = dict(os.environ, DATABASE_URL=db_url)
    command = [sys.executable, "-m", "apps.cli", "tick", "--config", str(wf_profile)]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0].decode() for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    assert sorted(o.split(";")[0].strip() for o in outputs) == ["deadlines fired: 0", "deadlines fired: 1"]
    assert state_of(wrt, suggestion.id) == "closed"


def test_reaction_opens_a_task_for_a_role(wf_profile, db_url, good_suggestion):
    from engine.kernel.errors import PermissionDenied
    from engine.core.reactions import complete_task, open_tasks
    path = wf_profile / "workflows/suggestion.yaml"
    path.write_text(path.read_text(encoding="utf-8") + """
reactions:
  - {id: visit, event: transition, name: screen, do: {task: site_visit, role: congress_staff}}
""", encoding="utf-8")
    rt = Runtime.open(wf_profile, db_url)
    record = records.submit(rt, ANONYMOUS, "suggestion", good_suggestion)
    transition(rt, SCREENER, record.id, "screen", scores(3, 3, 2, 3))
    tasks = open_tasks(rt, CONGRESS)
    assert [(t.record_id, t.name, t.role) for t in tasks] == [(record.id, "site_visit", "congress_staff")]
    assert open_tasks(rt, LIAISON) == []
    with pytest.raises(PermissionDenied):
        complete_task(rt, LIAISON, tasks[0].id)
    complete_task(rt, CONGRESS, tasks[0].id)
    assert open_tasks(rt, CONGRESS) == []
    rt.db.dispose()


def test_transition_and_reaction_errors(wf_profile, monkeypatch):
    text = WORKFLOW.replace("  - {action: close_year, from: [received], to: closed, automatic: true, on_date: 2025-12-31}",
                            "  - {action: close_year, from: [received], to: closed, automatic: true}\n"
                            "  - {action: archive, from: pending, to: closed, roles: [congress_staff], on_date: 2025-12-31}")
    text += """
reactions:
  - {id: two_things, event: transition, name: revive, do: {notify: congress_staff, task: visit, role: deputy}}
  - {id: nowhere, event: transition, name: reviv, where: "beneficiaries > 1", do: {transition: teleport}}
"""
    path = wf_profile / "workflows/suggestion.yaml"
    path.write_text(text, encoding="utf-8")
    form = wf_profile / "forms/suggestion.yaml"
    form.write_text(form.read_text(encoding="utf-8").replace(
        "roles: [liaison_staff, deputy, congress_staff, administrator]", "roles: [liaison_staf]"), encoding="utf-8")
    lines = text.splitlines()
    line = lambda needle: next(i for i, l in enumerate(lines, 1) if needle in l)  # noqa: E731
    form_line = next(i for i, l in enumerate(form.read_text(encoding="utf-8").splitlines(), 1) if "liaison_staf]" in l)
    at = "profile/workflows/suggestion.yaml"
    assert _problems(wf_profile, monkeypatch) == [
        f"profile/forms/suggestion.yaml:{form_line}: At Form(id='suggestion') -> fields -> Field(id='channel') -> "
        "roles[0]: unknown role 'liaison_staf' (did you mean 'liaison_staff'?); roles are declared in county.yaml",
        f"{at}:{line('action: close_year')}: At Workflow(id='suggestion') -> transitions -> Transition[6] -> "
        "automatic: an automatic transition needs `when`, `decision`, `on_date` or `deadline`",
        f"{at}:{line('action: archive')}: At Workflow(id='suggestion') -> transitions -> Transition[7] -> "
        "on_date: `on_date` applies to automatic transitions only",
        f"{at}:{line('id: two_things')}: At Workflow(id='suggestion') -> reactions -> Reaction(id='two_things') -> "
        "do: give exactly one of transition, deadline, notify, task",
        # one line: ordered by message
        f"{at}:{line('id: nowhere')}: At Workflow(id='suggestion') -> reactions -> Reaction(id='nowhere') -> "
        "where: `where` applies to submitted events only",
        f"{at}:{line('id: nowhere')}: At Workflow(id='suggestion') -> reactions -> Reaction(id='nowhere') -> "
        "name: unknown action 'reviv' (did you mean 'revive'?)",
        f"{at}:{line('id: nowhere')}: At Workflow(id='suggestion') -> reactions -> Reaction(id='nowhere') -> "
        "do -> transition: unknown action 'teleport'",
    ]
