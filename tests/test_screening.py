"""Stages 2–4 under Sangzhi's profile: score sheets, screening outcomes with reasons, merge and
split, answers to proposers, pre-review, and the role checks of every action."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from engine.kernel.errors import InputError, NotFound, PermissionDenied
from engine.core import records, regroup, sheets
from engine.core.actors import ANONYMOUS, SYSTEM, Actor
from engine.core.workflow import TransitionRefused, last_decision, transition
from engine.store.tables import AuditEntry

SCREENER = Actor("screener", "筛选小组", frozenset({"screening_group"}), township="t02")
LIAISON = Actor("liaison", "联络员", frozenset({"liaison_staff"}), township="t02")
OTHER_TOWNSHIP = Actor("liaison9", "联络员", frozenset({"liaison_staff"}), township="t09")
PANEL = Actor("panel", "审查专班", frozenset({"review_panel"}))
DEPUTY = Actor("deputy", "代表", frozenset({"deputy"}))
CONGRESS = Actor("congress", "人大", frozenset({"congress_staff"}))

REQUIRED_DEPARTMENTS = ["development_reform", "finance", "transport", "agriculture", "water"]


def score(rt, record_id, member, n, f, u, r, actor=SCREENER):
    return sheets.file_sheet(rt, actor, record_id, "screening_score", {
        "member": member, "member_kind": "deputy", "necessity": n, "feasibility": f,
        "universality": u, "urgency": r})


def suggestion(rt, good, **changes):
    return records.submit(rt, ANONYMOUS, "suggestion", {**good, **changes})


def screened(rt, good, marks, actor=SCREENER):
    rec = suggestion(rt, good)
    for i, m in enumerate(marks):
        score(rt, rec.id, f"成员{i}", *m, actor=actor)
    return transition(rt, actor, rec.id, "screen")


@pytest.mark.parametrize("marks, state, reason_part", [
    ([(5, 4, 4, 4), (4, 4, 4, 4), (4, 4, 5, 4), (1, 1, 1, 1)], "reserve", "合计 16 分，达到入库标准"),
    ([(5, 2, 3, 3), (4, 2, 3, 3), (4, 2, 3, 3)], "pending", "目前实施条件尚不成熟（可行性 2 分）"),
    ([(3, 3, 3, 2), (3, 3, 3, 2), (3, 3, 3, 2)], "pending", "合计 11 分，未达到入库标准 15 分"),
    ([(2, 2, 2, 2), (2, 3, 2, 2), (2, 2, 3, 2)], "rejected", "合计 8 分，低于 11 分"),
])
def test_each_screening_outcome_with_its_reason(rt, good_suggestion, marks, state, reason_part):
    view = screened(rt, good_suggestion, marks)
    assert view.state == state
    decision = last_decision(rt, view.id)
    assert reason_part in decision["reason"]
    assert decision["rules"] == "screening" and decision["version"] == rt.version
    assert decision["rule_file"].endswith("rules/screening.yaml")


def test_trimmed_mean_drops_the_highest_and_lowest_mark(rt, good_suggestion):
    # necessity 5, 4, 4, 1: without 5 and 1 the mean is 4 (a plain mean would be 3.5)
    view = screened(rt, good_suggestion, [(5, 4, 4, 4), (4, 4, 4, 4), (4, 4, 5, 4), (1, 1, 1, 1)])
    assert last_decision(rt, view.id)["seen"]["n"] == "4"


def test_too_few_sheets_is_refused_with_the_reason_and_changes_nothing(rt, good_suggestion):
    rec = suggestion(rt, good_suggestion)
    score(rt, rec.id, "甲", 5, 5, 5, 5)
    with pytest.raises(TransitionRefused) as info:
        transition(rt, SCREENER, rec.id, "screen")
    assert info.value.code == "condition_false"
    assert info.value.params["explanation"]["reason"] == "目前只有 1 份评分表，筛选至少需要 3 名成员评分"
    assert records.get(rt, LIAISON, rec.id)[0].state == "received"


def test_a_members_later_sheet_replaces_the_earlier(rt, good_suggestion):
    rec = suggestion(rt, good_suggestion)
    score(rt, rec.id, "甲", 1, 1, 1, 1)
    for member in ("甲", "乙", "丙"):
        score(rt, rec.id, member, 5, 5, 5, 5)
    filed = sheets.filed_sheets(rt, LIAISON, rec.id)
    assert [s.replaced for s in filed] == [True, False, False, False]
    view = transition(rt, SCREENER, rec.id, "screen")
    assert view.state == "reserve"
    assert last_decision(rt, view.id)["seen"]["members"] == 3


def test_sheets_are_checked_for_role_township_state_and_content(rt, good_suggestion):
    rec = suggestion(rt, good_suggestion)
    with pytest.raises(PermissionDenied):
        score(rt, rec.id, "甲", 5, 5, 5, 5, actor=DEPUTY)
    with pytest.raises(PermissionDenied):
        score(rt, rec.id, "甲", 5, 5, 5, 5, actor=OTHER_TOWNSHIP)
    with pytest.raises(InputError) as info:
        score(rt, rec.id, "甲", 6, 5, 5, 5)
    assert info.value.problems["necessity"].code == "maximum"
    with pytest.raises(NotFound):  # not a sheet of this workflow
        sheets.file_sheet(rt, LIAISON, rec.id, "offline_session", {})
    with pytest.raises(InputError) as info:  # an answer is for suggestions not admitted
        sheets.file_sheet(rt, LIAISON, rec.id, "answer", {"method": "letter", "answered_on": "2025-05-01"})
    assert info.value.problems[""].code == "wrong_state"
    assert sheets.filed_sheets(rt, LIAISON, rec.id) == []
    with pytest.raises(PermissionDenied):
        transition(rt, OTHER_TOWNSHIP, rec.id, "screen")


def test_answers_are_tracked_until_every_proposer_is_answered(rt, good_suggestion):
    low = [(2, 2, 2, 2)] * 3
    a = screened(rt, good_suggestion, low)
    b = screened(rt, good_suggestion, [(3, 3, 3, 2)] * 3)
    c = screened(rt, good_suggestion, [(5, 5, 5, 5)] * 3)
    assert (a.state, b.state, c.state) == ("rejected", "pending", "reserve")
    waiting = sheets.awaiting(rt, LIAISON, "suggestion", "answer")
    assert [r.id for r in waiting.items] == [a.id, b.id] and waiting.total == 2
    with pytest.raises(InputError) as info:  # a phone call needs the staff member's note
        sheets.file_sheet(rt, LIAISON, a.id, "answer", {"method": "phone", "answered_on": "2025-05-02"})
    assert info.value.problems["note"].code == "required"
    sheets.file_sheet(rt, LIAISON, a.id, "answer", {"method": "phone", "answered_on": "2025-05-02",
                                                    "note": "已电话告知，建议人表示理解"})
    assert [r.id for r in sheets.awaiting(rt, LIAISON, "suggestion", "answer").items] == [b.id]
    assert sheets.awaiting(rt, OTHER_TOWNSHIP, "suggestion", "answer").total == 0  # its own township only
    with pytest.raises(PermissionDenied):
        sheets.awaiting(rt, ANONYMOUS, "suggestion", "answer")


def test_merged_duplicates_follow_the_project_and_every_proposer_hears(rt, good_suggestion):
    main = suggestion(rt, good_suggestion)
    dup1 = suggestion(rt, good_suggestion, proposer_name="李秀英")
    dup2 = suggestion(rt, good_suggestion, proposer_name="王德明")
    assert regroup.merge(rt, LIAISON, main.id, [dup1.id, dup2.id], "同一条路") == [dup1.id, dup2.id]
    assert records.get(rt, LIAISON, dup1.id)[0].state == "merged"
    related = regroup.related(rt, dup1.id)
    assert [r.id for r in related["merged_into"]] == [main.id]
    assert [r.id for r in regroup.related(rt, main.id)["merged_here"]] == [dup1.id, dup2.id]
    with pytest.raises(InputError):  # a merged duplicate cannot be screened or merged again
        regroup.merge(rt, LIAISON, dup2.id, [dup1.id])
    for member in ("甲", "乙", "丙"):
        score(rt, main.id, member, 2, 2, 2, 2)
    transition(rt, SCREENER, main.id, "screen")
    for rec in (main, dup1, dup2):
        assert records.get(rt, LIAISON, rec.id)[0].state == "rejected"
        assert "低于 11 分" in last_decision(rt, rec.id)["reason"]
    assert sheets.awaiting(rt, LIAISON, "suggestion", "answer").total == 3


def test_merge_is_all_or_nothing_and_checked(rt, good_suggestion):
    main = suggestion(rt, good_suggestion)
    dup = suggestion(rt, good_suggestion)
    screened_one = screened(rt, good_suggestion, [(5, 5, 5, 5)] * 3)
    with pytest.raises(InputError):
        regroup.merge(rt, LIAISON, main.id, [dup.id, screened_one.id])
    assert records.get(rt, LIAISON, dup.id)[0].state == "received"
    with pytest.raises(PermissionDenied):
        regroup.merge(rt, DEPUTY, main.id, [dup.id])
    with pytest.raises(PermissionDenied):
        regroup.merge(rt, OTHER_TOWNSHIP, main.id, [dup.id])


def test_split_makes_parts_that_are_screened_on_their_own(rt, good_suggestion):
    original = suggestion(rt, good_suggestion)
    parts = regroup.split(rt, LIAISON, original.id, [
        {"title": "硬化一组道路", "content": "一组道路为泥土路，雨天无法通行。"},
        {"title": "修建二组便民桥", "content": "二组村民过河只能走漫水桥。", "category": "roads"}])
    assert [p.title for p in parts] == ["硬化一组道路", "修建二组便民桥"]
    assert all(p.state == "received" and p.receipt_code and p.township == "t02" for p in parts)
    assert parts[0].data["proposer_name"] == "张建国"  # the proposer is kept on every part
    assert records.get(rt, LIAISON, original.id)[0].state == "split"
    assert [p.id for p in regroup.related(rt, original.id)["parts"]] == [p.id for p in parts]
    with pytest.raises(InputError) as info:  # every part is validated; nothing is stored on error
        regroup.split(rt, LIAISON, parts[0].id, [{"title": "短"}, {"title": "足够长的标题"}])
    assert "1:title" in info.value.problems
    assert records.get(rt, LIAISON, parts[0].id)[0].state == "received"
    with pytest.raises(InputError):
        regroup.split(rt, LIAISON, parts[0].id, [{"title": "只有一个部分"}])
    with pytest.raises(PermissionDenied):
        regroup.split(rt, SCREENER, parts[0].id, [{"title": "甲部分标题"}, {"title": "乙部分标题"}])


def test_pending_suggestion_goes_back_to_screening_when_conditions_change(rt, good_suggestion):
    view = screened(rt, good_suggestion, [(3, 3, 3, 2)] * 3)
    assert view.state == "pending"
    with pytest.raises(InputError):
        transition(rt, LIAISON, view.id, "reconsider", {"changed_on": "2025-09-01"})
    back = transition(rt, LIAISON, view.id, "reconsider",
                      {"changed_on": "2025-09-01", "what_changed": "省里下达了农村公路专项资金"})
    assert back.state == "received"
    for member in ("甲", "乙", "丙"):  # a re-screening: members score again, their new sheets count
        score(rt, view.id, member, 5, 4, 4, 4)
    assert transition(rt, SCREENER, view.id, "screen").state == "reserve"


def opinions(rt, record_id, table):
    for department, opinion in table.items():
        sheets.file_sheet(rt, PANEL, record_id, "review_opinion",
                          {"department": department, "opinion": opinion, "comment": "审查意见"})


PARTY_OK = {"meeting_date": "2025-04-10", "minutes_ref": "党委会纪要〔2025〕7号", "decision": "approve",
            "estimated_cost": "180000.50"}


def test_prereview_passes_with_every_required_department_and_the_party_committee(rt, good_suggestion):
    view = screened(rt, good_suggestion, [(5, 5, 5, 5)] * 3)
    opinions(rt, view.id, {d: "agree" for d in REQUIRED_DEPARTMENTS[:4]})
    with pytest.raises(TransitionRefused) as info:
        transition(rt, PANEL, view.id, "review", PARTY_OK)
    assert "尚未全部录入（已录入 4 条）" in info.value.params["explanation"]["reason"]
    opinions(rt, view.id, {"water": "conditional"})
    with pytest.raises(InputError) as info:  # approving needs the estimated cost
        transition(rt, PANEL, view.id, "review", {**PARTY_OK, "estimated_cost": None})
    assert info.value.problems["estimated_cost"].code == "required"
    with pytest.raises(TransitionRefused):
        transition(rt, CONGRESS, view.id, "review", PARTY_OK)
    done = transition(rt, PANEL, view.id, "review", PARTY_OK)
    assert done.state == "candidate"
    decision = last_decision(rt, view.id)
    assert decision["reason"] == "审查专班 5 个单位均同意，乡镇党委会议同意列为候选项目，估算投资 180000.5 元"
    assert Decimal(decision["seen"]["estimated_cost"]) == Decimal("180000.50")
    party = [s.view for s in sheets.filed_sheets(rt, PANEL, view.id) if s.view.form_id == "party_decision"]
    assert party[0].data["minutes_ref"] == "党委会纪要〔2025〕7号"


def test_prereview_fails_on_a_disagreement_or_the_party_committee(rt, good_suggestion):
    a = screened(rt, good_suggestion, [(5, 5, 5, 5)] * 3)
    opinions(rt, a.id, {**{d: "agree" for d in REQUIRED_DEPARTMENTS}, "experts": "disagree"})
    assert transition(rt, PANEL, a.id, "review", PARTY_OK).state == "not_candidate"
    assert last_decision(rt, a.id)["reason"] == "审查专班中有单位不同意（experts），初审未通过"
    b = screened(rt, good_suggestion, [(5, 5, 5, 5)] * 3)
    opinions(rt, b.id, {d: "agree" for d in REQUIRED_DEPARTMENTS})
    assert transition(rt, PANEL, b.id, "review", {**PARTY_OK, "decision": "reject"}).state == "not_candidate"
    assert last_decision(rt, b.id)["reason"] == "乡镇党委会议未同意列为候选项目"


def test_a_department_can_correct_its_opinion(rt, good_suggestion):
    view = screened(rt, good_suggestion, [(5, 5, 5, 5)] * 3)
    opinions(rt, view.id, {d: "agree" for d in REQUIRED_DEPARTMENTS})
    opinions(rt, view.id, {"finance": "disagree"})
    opinions(rt, view.id, {"finance": "conditional"})  # the finance bureau's latest word counts
    assert transition(rt, PANEL, view.id, "review", PARTY_OK).state == "candidate"


def test_every_action_is_audited_with_who_did_it(rt, good_suggestion):
    view = screened(rt, good_suggestion, [(2, 2, 2, 2)] * 3)
    with rt.db.read() as session:
        rows = session.execute(select(AuditEntry.action, AuditEntry.actor).where(
            AuditEntry.entity_id == str(view.id)).order_by(AuditEntry.id)).all()
    assert rows == [("record.submit", "public"), ("sheet.file", "screener"), ("sheet.file", "screener"),
                    ("sheet.file", "screener"), ("record.transition", "screener")]


def test_pools_carry_over_into_the_next_year(rt, profile_dir, db_url, good_suggestion):
    """Next year's profile (a new version) sees last year's pools: a pending suggestion goes back to
    screening under the new year's rules once migrated; a reserve project can still be reviewed."""
    from engine.core.runtime import Runtime
    from engine.core.versions import migrate_records
    pending = screened(rt, good_suggestion, [(3, 3, 3, 2)] * 3)
    reserve = screened(rt, good_suggestion, [(5, 5, 5, 5)] * 3)
    county = profile_dir / "county.yaml"
    county.write_text(county.read_text(encoding="utf-8").replace("year: 2025", "year: 2026"), encoding="utf-8")
    rules = profile_dir / "rules/screening.yaml"  # next year the reserve line is 11
    rules.write_text(rules.read_text(encoding="utf-8").replace("- total >= 15", "- total >= 11"), encoding="utf-8")
    next_year = Runtime.open(profile_dir, db_url)
    try:
        assert next_year.version != rt.version
        assert migrate_records(next_year, "suggestion").moved == 2
        page = records.list_records(next_year, LIAISON, "suggestion", {"state": "pending"})
        assert [r.id for r in page.items] == [pending.id]
        transition(next_year, LIAISON, pending.id, "reconsider",
                   {"changed_on": "2026-03-01", "what_changed": "新一年度资金到位"})
        for member in ("甲", "乙", "丙"):
            score(next_year, pending.id, member, 3, 3, 3, 3)
        assert transition(next_year, SCREENER, pending.id, "screen").state == "reserve"
        assert last_decision(next_year, pending.id)["version"] == next_year.version
        opinions(next_year, reserve.id, {d: "agree" for d in REQUIRED_DEPARTMENTS})
        assert transition(next_year, PANEL, reserve.id, "review", PARTY_OK).state == "candidate"
    finally:
        next_year.db.dispose()


def test_reconsidering_is_for_liaison_staff(rt, good_suggestion):
    view = screened(rt, good_suggestion, [(3, 3, 3, 2)] * 3)
    with pytest.raises(TransitionRefused) as info:
        transition(rt, SCREENER, view.id, "reconsider", {"changed_on": "2025-09-01", "what_changed": "资金到位了"})
    assert info.value.code == "not_allowed"


def test_a_single_sheet_is_replaced_by_the_next(rt, good_suggestion):
    """A chosen project has one responsibility list; a new one replaces it; until then it is to do."""
    from sqlalchemy import update as sql_update
    from engine.store.tables import Record as RecordRow
    view = suggestion(rt, good_suggestion)
    with rt.db.transaction() as session:  # as if chosen by the vote (tested in test_voting)
        session.execute(sql_update(RecordRow).where(RecordRow.id == view.id).values(state="chosen"))
    staff = Actor("gov", "实施单位", frozenset({"government_unit"}))
    assert [r.id for r in sheets.awaiting(rt, CONGRESS, "suggestion", "responsibility_list").items] == [view.id]
    base = {"supervising_unit": "县人大常委会", "implementing_unit": "县交通运输局", "leading_official": "李副县长",
            "team": "张三、李四", "deadline": "2025-12-31", "acceptance_standard": "硬化道路2公里，宽4.5米"}
    sheets.file_sheet(rt, staff, view.id, "responsibility_list", base)
    sheets.file_sheet(rt, staff, view.id, "responsibility_list", dict(base, deadline="2025-11-30"))
    assert [s.replaced for s in sheets.filed_sheets(rt, CONGRESS, view.id)] == [True, False]
    assert sheets.awaiting(rt, CONGRESS, "suggestion", "responsibility_list").total == 0


def test_records_ticked_in_a_list_take_an_action_each_by_its_rules(rt, good_suggestion):
    """The list's 批量办理: the ticked suggestions are screened one by one by the rules; one with
    too few sheets and one of another township stay as they are, each with its reason."""
    from engine.core.bulk import act_on_selected
    scored = [suggestion(rt, good_suggestion) for _ in range(2)]
    for rec in scored:
        for i in range(3):
            score(rt, rec.id, f"成员{i}", 5, 5, 5, 5)
    unscored = suggestion(rt, good_suggestion)
    elsewhere = suggestion(rt, good_suggestion, township="t09")
    moves, refused = act_on_selected(rt, SCREENER, "screen", [r.id for r in (*scored, unscored, elsewhere)])
    assert sorted(m.record_id for m in moves) == sorted(r.id for r in scored)
    assert {m.to for m in moves} == {"reserve"}
    reasons = dict(refused)
    assert reasons[elsewhere.id] == "other_township"
    assert "评分表" in reasons[unscored.id]  # the rules' own words: too few sheets
    assert records.get(rt, SYSTEM, unscored.id)[0].state == "received"
