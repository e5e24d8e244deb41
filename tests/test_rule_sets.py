"""The same engine under a second county's rules, changed in YAML only: screening by weighted
median scores with a negative list and a veto, and a pre-review that only needs no objection
from finance. Sangzhi's own rules are exercised in test_screening.py."""
from __future__ import annotations

import pytest

from engine.core.runtime import Runtime
from engine.core import records, sheets
from engine.core.actors import ANONYMOUS
from engine.core.workflow import TransitionRefused, last_decision, transition
from tests.test_screening import PANEL, PARTY_OK, SCREENER, opinions

WEIGHTED_SCREENING = """\
id: screening
label: 加权筛选规则
inputs:
  necessity: list of number
  feasibility: list of number
  universality: list of number
  urgency: list of number
  category: text
derived:
  members: count(necessity)
  score: 0.4 * median(necessity) + 0.2 * median(feasibility) + 0.3 * median(universality) + 0.1 * median(urgency)
  vetoes: count_of(feasibility, 1)
tables:
  - id: screening
    label: 筛选
    hit_policy: FIRST
    rows:
      - {id: too_few, when: members < 2, outcome: incomplete, reason: "至少需要 2 份评分表"}
      - {id: negative_list, when: "category in ['other']", outcome: rejected, reason: "属于负面清单"}
      - {id: veto, when: vetoes > 0, outcome: rejected, reason: "有 {vetoes} 名成员认为完全不可行（一票否决）"}
      - {id: reserve, when: score >= 4, outcome: reserve, reason: "加权得分 {score}，纳入储备库"}
      - {id: pending, when: score >= 3, outcome: pending, reason: "加权得分 {score}，列入待研"}
    default: {id: low, when: "true", outcome: rejected, reason: "加权得分 {score}，低于 3"}
"""

FINANCE_ONLY = """\
id: prereview
label: 初审规则（财政把关）
inputs:
  disagreed: list of text
  departments: list of text
  decision: text
  estimated_cost: money
tables:
  - id: prereview
    label: 初审
    hit_policy: FIRST
    rows:
      - {id: no_finance, when: "'finance' not in departments", outcome: incomplete, reason: "财政局意见尚未录入"}
      - {id: finance_says_no, when: "'finance' in disagreed", outcome: failed, reason: "财政局不同意"}
      - {id: party, when: "decision == 'approve'", outcome: passed, reason: "财政局无异议，党委会议同意"}
    default: {id: party_no, when: "true", outcome: failed, reason: "党委会议未同意"}
"""


@pytest.fixture
def other_rt(profile_dir, db_url):
    (profile_dir / "rules/screening.yaml").write_text(WEIGHTED_SCREENING, encoding="utf-8")
    (profile_dir / "rules/prereview.yaml").write_text(FINANCE_ONLY, encoding="utf-8")
    rt = Runtime.open(profile_dir, db_url)
    yield rt
    rt.db.dispose()


def screen(rt, good, marks, **changes):
    rec = records.submit(rt, ANONYMOUS, "suggestion", {**good, **changes})
    for i, (n, f, u, r) in enumerate(marks):
        sheets.file_sheet(rt, SCREENER, rec.id, "screening_score", {
            "member": f"成员{i}", "member_kind": "deputy", "necessity": n, "feasibility": f,
            "universality": u, "urgency": r})
    return transition(rt, SCREENER, rec.id, "screen")


@pytest.mark.parametrize("marks, changes, state, reason", [
    ([(5, 4, 4, 3), (4, 4, 4, 3)], {}, "reserve", "加权得分 4.1，纳入储备库"),
    ([(4, 3, 3, 3), (3, 3, 3, 3)], {}, "pending", "加权得分 3.2，列入待研"),
    ([(5, 5, 5, 5), (5, 5, 5, 5)], {"category": "other"}, "rejected", "属于负面清单"),
    ([(5, 5, 5, 5), (5, 1, 5, 5)], {}, "rejected", "有 1 名成员认为完全不可行（一票否决）"),
    ([(2, 2, 2, 2), (2, 3, 2, 2)], {}, "rejected", "加权得分 2.1，低于 3"),
])
def test_weighted_screening_with_a_veto(other_rt, good_suggestion, marks, changes, state, reason):
    view = screen(other_rt, good_suggestion, marks, **changes)
    assert view.state == state
    assert last_decision(other_rt, view.id)["reason"] == reason


def test_two_sheets_suffice_here(other_rt, good_suggestion):
    with pytest.raises(TransitionRefused) as info:
        screen(other_rt, good_suggestion, [(5, 5, 5, 5)])
    assert info.value.params["explanation"]["reason"] == "至少需要 2 份评分表"


def test_prereview_needs_only_finance_here(other_rt, good_suggestion):
    a = screen(other_rt, good_suggestion, [(5, 5, 5, 5)] * 2)
    with pytest.raises(TransitionRefused):
        transition(other_rt, PANEL, a.id, "review", PARTY_OK)
    opinions(other_rt, a.id, {"finance": "conditional", "water": "disagree"})  # water's no does not block
    assert transition(other_rt, PANEL, a.id, "review", PARTY_OK).state == "candidate"
    assert last_decision(other_rt, a.id)["reason"] == "财政局无异议，党委会议同意"
    b = screen(other_rt, good_suggestion, [(5, 5, 5, 5)] * 2)
    opinions(other_rt, b.id, {"finance": "disagree"})
    assert transition(other_rt, PANEL, b.id, "review", PARTY_OK).state == "not_candidate"
    assert last_decision(other_rt, b.id)["reason"] == "财政局不同意"


def test_a_rule_input_nobody_gives_is_found_at_load(profile_dir, monkeypatch):
    from tests.test_config_errors import problems
    (profile_dir / "rules/prereview.yaml").write_text(FINANCE_ONLY.replace(
        "  decision: text\n", "  decision: text\n  legality: text\n"), encoding="utf-8")
    line = (profile_dir / "workflows/suggestion.yaml").read_text(encoding="utf-8").splitlines().index(
        "    decision: {rules: prereview, table: prereview, outcome: passed}") + 1
    found = problems(profile_dir, monkeypatch)
    assert found[0] == (
        f"profile/workflows/suggestion.yaml:{line}: At Workflow(id='suggestion') -> transitions -> Transition[4] -> "
        "decision -> rules: rule file 'prereview' reads input 'legality', which neither form 'suggestion', the "
        "action's form nor `gather` gives (did you mean 'feasibility'?)")
