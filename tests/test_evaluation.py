"""Stage 10: deputies rate a completed project; Sangzhi's rule (satisfied or basically satisfied
at least 80%) decides; a failed rating is rectified with a public explanation and a deadline from
the profile, then rated again with fresh ratings. Other counties' schemes (three tiers over all
members; weighted groups of raters) are rule files too. And the citizen's one chain."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from engine.output import documents
from engine.kernel.errors import PermissionDenied
from engine.core import records
from engine.output import trace
from engine.core.actors import ANONYMOUS, Actor
from engine.core.sheets import awaiting, file_sheet
from engine.jobs import tick
from engine.core.workflow import TransitionRefused, last_decision, transition
from engine.store.tables import AuditEntry, Deadline, Record
from tests.test_rules import load_rules

DEPUTY = Actor("deputy", "代表", frozenset({"deputy"}), "t02")
CONGRESS = Actor("congress", "县人大工作人员", frozenset({"congress_staff"}))
STANDING = Actor("standing", "县人大常委会", frozenset({"standing_committee"}))
UNIT = Actor("unit", "瑞塔铺镇人民政府", frozenset({"government_unit"}), "t02")
NAMES = ["张建国", "李秀英", "王德明", "刘桂兰", "陈志强", "杨淑珍", "赵国华", "黄玉梅", "周卫东", "吴春花"]
ORDER = {"responsible_unit": "瑞塔铺镇人民政府", "problems": "排水沟堵塞，路面积水。",
         "explanation": "排水设计不足，30日内完成排水沟改造，整改后请代表重新测评。"}


def completed(rt, good) -> int:
    record_id = records.submit(rt, ANONYMOUS, "suggestion", good).id
    with rt.db.transaction() as session:  # as if delivered and accepted (tested in test_delivery)
        session.execute(update(Record).where(Record.id == record_id).values(state="completed"))
    return record_id


def rate(rt, record_id, ratings, names=NAMES):
    for name, rating in zip(names, ratings):
        file_sheet(rt, DEPUTY, record_id, "project_rating", {"rater": name, "rating": rating, "channel": "field_visit"})


def test_sangzhi_rates_at_80_percent(rt, good_suggestion):
    good = completed(rt, good_suggestion)
    rate(rt, good, ["satisfied"] * 3)
    with pytest.raises(TransitionRefused) as info:  # too few ratings: the rule's own words
        transition(rt, CONGRESS, good, "evaluate")
    assert info.value.params["explanation"]["reason"] == "目前只有 3 名代表测评，至少需要 5 名"
    rate(rt, good, ["satisfied"] * 3 + ["basic"] * 4 + ["unsatisfied"] * 2)  # 7 of 9 = 77.78%: a later
    rate(rt, good, ["satisfied"], names=["黄玉梅"])  # rating by the same deputy replaces the earlier: 8 of 9
    view = transition(rt, CONGRESS, good, "evaluate")
    assert view.state == "evaluated"
    assert last_decision(rt, good)["reason"] == ("9 名代表参加测评，满意和基本满意 88.89%（满意 4 名、基本满意 4 名），"
                                                 "达到 80%，测评通过")
    with pytest.raises(PermissionDenied):  # a unit does not rate its own project
        file_sheet(rt, UNIT, completed(rt, good_suggestion), "project_rating", {"rater": "x", "rating": "satisfied"})
    poor = completed(rt, good_suggestion)
    rate(rt, poor, ["satisfied"] * 4 + ["unsatisfied"] * 2)
    with pytest.raises(TransitionRefused) as info:
        transition(rt, DEPUTY, poor, "evaluate")  # deputies rate; congress staff count
    assert info.value.code == "not_allowed"
    assert transition(rt, CONGRESS, poor, "evaluate").state == "rectifying"
    assert last_decision(rt, poor)["reason"] == "6 名代表参加测评，满意和基本满意仅 66.67%，低于 80%，须限期整改并公开说明"


def test_rectification_is_ordered_published_overdue_and_rated_again(rt, good_suggestion):
    project = completed(rt, good_suggestion)
    rate(rt, project, ["unsatisfied"] * 3 + ["basic"] * 3)
    transition(rt, CONGRESS, project, "evaluate")
    assert [v.id for v in awaiting(rt, CONGRESS, "suggestion", "rectification_order").items] == [project]
    file_sheet(rt, STANDING, project, "rectification_order", ORDER)
    assert awaiting(rt, CONGRESS, "suggestion", "rectification_order").total == 0
    with rt.db.read() as session:  # the profile's deadline: 30 days from the order
        due = session.scalar(select(Deadline.due_at).where(Deadline.record_id == project,
                                                           Deadline.name == "rectification_due"))
    ordered = dt.datetime.now(dt.timezone.utc)
    assert abs((due.replace(tzinfo=dt.timezone.utc) - ordered) - dt.timedelta(days=30)) < dt.timedelta(minutes=5)

    # the public notice carries the unit's explanation
    doc = documents.document(rt, "rectification_notice")
    with rt.db.read() as session:
        record = session.get(Record, project)
    row = documents.row_values(rt, doc, record, 1)
    assert row[3:] == ["瑞塔铺镇人民政府", ORDER["explanation"]] and "66.67%" not in row[2] and "50%" in row[2]
    made = documents.notice(rt, ANONYMOUS, "rectification_notice", "t02")
    assert made.content.startswith(b"%PDF")

    result = tick(rt, ordered + dt.timedelta(days=31))  # past due, not reported: overdue, standing committee told
    assert result.deadlines_fired == 1
    assert records.get(rt, CONGRESS, project)[0].state == "rectification_overdue"
    with rt.db.read() as session:
        told = session.scalars(select(AuditEntry.after).where(AuditEntry.action == "notify",
                                                              AuditEntry.entity_id == str(project))).all()
    assert [a["role"] for a in told] == ["standing_committee"]

    transition(rt, UNIT, project, "report_rectified", {"done_on": "2026-01-20", "measures": "已完成排水沟改造。"})
    with pytest.raises(TransitionRefused) as info:  # the ratings before the rectification no longer count
        transition(rt, CONGRESS, project, "evaluate")
    assert info.value.params["explanation"]["reason"] == "目前只有 0 名代表测评，至少需要 5 名"
    rate(rt, project, ["satisfied"] * 5 + ["basic"])
    assert transition(rt, CONGRESS, project, "evaluate").state == "evaluated"

    # the proposer follows it all by receipt code: the rating, the order and its explanation, the report
    steps = trace.trace(rt, project)
    kinds = [(s.kind, s.values.get("action_id") or s.values.get("form")) for s in steps]
    assert kinds == [("submitted", None), ("action", "evaluate"), ("sheet", "整改通知"), ("action", "rectification_late"),
                     ("action", "report_rectified"), ("action", "evaluate"), ("progress", None)]
    order = dict(steps[2].values["fields"])
    assert order["向社会公开的情况说明"] == ORDER["explanation"]
    assert dict(steps[4].values["fields"])["整改措施和结果"] == "已完成排水沟改造。"


THREE_TIERS = """
id: evaluation
label: 三档测评
inputs: {ratings: list of text, members: number}
derived:
  satisfied: count_of(ratings, 'satisfied')
  basic: count_of(ratings, 'basic')
tables:
  - id: evaluation
    label: 测评
    hit_policy: FIRST
    rows:
      - {id: satisfied, when: "satisfied > members / 2", outcome: satisfied, reason: "满意 {satisfied} 票，超过全体 {members} 人的半数：满意"}
      - {id: basic, when: "satisfied + basic > members / 2", outcome: basic, reason: "满意和基本满意 {satisfied}+{basic} 票，超过半数：基本满意"}
    default: {id: not_satisfied, when: "true", outcome: unsatisfied, reason: "不满意"}
"""

WEIGHTED = """
id: evaluation
label: 分组加权测评
inputs: {public: list of number, leaders: list of number, online: list of number}
derived:
  score: avg(public) * 0.6 + avg(leaders) * 0.3 + avg(online) * 0.1
tables:
  - id: evaluation
    label: 测评
    hit_policy: FIRST
    rows:
      - {id: passed, when: "score >= 80", outcome: passed, reason: "加权得分 {score}"}
    default: {id: failed, when: "true", outcome: failed, reason: "加权得分 {score}，低于 80 分"}
"""


@pytest.mark.parametrize("ratings, members, outcome", [
    (["satisfied"] * 18 + ["basic"] * 10, 35, "satisfied"),      # 18 of all 35 members: more than half
    (["satisfied"] * 17 + ["basic"] * 1, 35, "basic"),           # 17 alone is not; with 1 basic 18 is
    (["satisfied"] * 17 + ["unsatisfied"] * 10, 35, "unsatisfied"),
    (["satisfied"] * 17, 34, "unsatisfied"),                      # exactly half is not more than half
])
def test_three_tiers_over_all_members(ratings, members, outcome):
    table = load_rules(THREE_TIERS).tables["evaluation"]
    assert table.decide({"ratings": ratings, "members": Decimal(members)}, version="v").outcome == outcome


def test_weighted_groups_of_raters():
    table = load_rules(WEIGHTED).tables["evaluation"]
    values = {"public": [Decimal(90), Decimal(70)], "leaders": [Decimal(85)], "online": [Decimal(40)]}
    decision = table.decide(values, version="v")  # 80*0.6 + 85*0.3 + 40*0.1 = 77.5
    assert (decision.outcome, decision.reason) == ("failed", "加权得分 77.5，低于 80 分")
    values["online"] = [Decimal(90)]  # 82.5
    assert table.decide(values, version="v").outcome == "passed"


def test_a_merged_duplicate_follows_its_projects_chain(rt, good_suggestion):
    from engine.core.actors import SYSTEM
    from engine.core.regroup import merge
    project = records.submit(rt, ANONYMOUS, "suggestion", good_suggestion).id
    duplicate = records.submit(rt, ANONYMOUS, "suggestion", dict(good_suggestion, proposer_name="李秀英",
                                                                 submitted_on="2025-03-09")).id
    merge(rt, SYSTEM, project, [duplicate], "同一诉求")
    with rt.db.transaction() as session:
        session.execute(update(Record).where(Record.id.in_([project, duplicate])).values(state="completed"))
    rate(rt, project, ["satisfied"] * 5)
    transition(rt, CONGRESS, project, "evaluate")
    steps = trace.trace(rt, duplicate)
    assert [s.kind for s in steps[:3]] == ["submitted", "merged", "action"]
    assert steps[0].on == dt.date(2025, 3, 9) and steps[1].values == {"into": project}
    assert steps[2].values["action_id"] == "evaluate" and "测评通过" in steps[2].values["reason"]


def test_a_proposer_not_admitted_reads_why_and_how_they_were_answered(rt, good_suggestion):
    from tests.test_screening import screened
    liaison = Actor("liaison", "联络员", frozenset({"liaison_staff"}), "t02")
    view = screened(rt, good_suggestion, [(2, 2, 2, 2), (2, 3, 2, 2), (2, 2, 3, 2)])
    file_sheet(rt, liaison, view.id, "answer", {"method": "phone", "answered_on": "2025-03-28",
                                                "note": "建议人表示理解，希望明年再提。"})
    steps = trace.trace(rt, view.id)
    assert [s.kind for s in steps] == ["submitted", "action", "sheet"]
    assert "低于 11 分" in steps[1].values["reason"]
    assert steps[2].on == dt.date(2025, 3, 28)
    assert steps[2].values["fields"] == [("答复方式", "电话答复"), ("答复日期", "2025-03-28")]  # not the staff's note
