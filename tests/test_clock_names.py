"""Rules that hold on some days of every year: `today` and `this_year` in conditions and decision
tables, `date('MM-DD')` for that day of today's year, the county's own day, the value stored with
the decision, and a preview that decides again with the day the decision was made."""
from __future__ import annotations

import datetime as dt

import pytest

from engine.core.runtime import Runtime
from engine.features.preview import preview
from engine.kernel import clock
from engine.kernel.errors import ConfigError
from engine.lang.expr import compile_expression
from engine.lang.rules_compile import compile_rules
from engine.lang.syntax import ExprError
from engine.profile.loader import load_profile
from engine.schema.rules import RuleFile
from tests.conftest import CONFIG, overlay
from tests.test_screening import last_decision, screened

GOOD_MARKS = [(4, 4, 4, 4)] * 3  # 16 points: the reserve pool on any day
# Sangzhi's reserve row, held to a yearly deadline: screened after November, a suggestion goes to
# the pending-research pool however many points it has
LATE = "[total >= 15, lowest >= 3, u >= 3, \"today <= date('11-30')\"]"


def test_a_day_of_every_year_is_read_against_today():
    during = compile_expression("today >= date('09-15') and today <= date('10-15')", {"today": "date"})
    assert during.names == {"today"}
    assert [during({"today": dt.date(year, 10, 1)}) for year in (2026, 2031)] == [True, True]
    assert during({"today": dt.date(2027, 10, 16)}) is False
    assert during({}) is None  # no today: unknown, never true by accident
    assert compile_expression("this_year + 1", {"this_year": "number"})({"this_year": 2026}) == 2027


@pytest.mark.parametrize("text, message", [
    ("x >= date('09-15')", "date('09-15') is that day of today's year: it needs the input 'today' (a date)"),
    ("today >= date('02-29')", "not a date: '02-29'; write YYYY-MM-DD, or MM-DD for that day of every year"),
    ("today >= date('13-01')", "not a date: '13-01'; write YYYY-MM-DD, or MM-DD for that day of every year"),
])
def test_a_day_that_cannot_be_read_is_refused(text, message):
    with pytest.raises(ExprError) as refused:
        compile_expression(text, {"x": "date"} if text.startswith("x") else {"today": "date"})
    assert refused.value.message == message


def test_a_decision_table_reads_today_the_same_on_its_fast_and_its_general_path():
    rules = RuleFile.model_validate({
        "id": "season", "label": "填报季", "inputs": {"today": "date", "marks": "number"},
        "tables": [{"id": "season", "label": "填报季", "hit_policy": "FIRST", "rows": [
            {"id": "closed", "when": "today > date('11-30')", "outcome": "closed", "reason": "{today} 已过本年截止日"},
            {"id": "open", "when": "marks >= 3", "outcome": "open", "reason": "在期内，{marks} 分"}]}]})
    compiled, problems = compile_rules(rules, "test")
    assert problems == []
    table = compiled.tables["season"]
    for marks in (3, 3.0):  # an int takes the generated code; a float (typed to Decimal) the closures
        late = table.decide({"today": dt.date(2027, 12, 5), "marks": marks})
        assert (late.outcome, late.reason) == ("closed", "2027-12-05 已过本年截止日")
        early = table.decide({"today": dt.date(2028, 11, 30), "marks": marks})
        assert early.outcome == "open"


@pytest.fixture
def late_rt(tmp_path, db_url):
    folder = overlay(tmp_path / "late", {"rules/screening.yaml": (
        "inputs:\n  today: date\n"
        "tables:\n  - id: screening\n    rows:\n      - id: reserve\n"
        f"        when: {LATE}\n")})
    runtime = Runtime.open(folder, db_url)
    yield runtime
    runtime.db.dispose()


def test_screening_after_the_yearly_deadline_is_decided_by_the_countys_day_and_explained(late_rt, good_suggestion):
    beijing_first_of_december = dt.datetime(2027, 11, 30, 17, 0, tzinfo=dt.timezone.utc)  # 01:00 on 12-01 there
    with clock.at(beijing_first_of_december):
        view = screened(late_rt, good_suggestion, GOOD_MARKS)
    assert view.state == "pending"
    assert last_decision(late_rt, view.id)["seen"]["today"] == "2027-12-01"
    with clock.at(dt.datetime(2028, 11, 30, 15, 0, tzinfo=dt.timezone.utc)):  # 23:00 on 11-30 in Beijing
        view = screened(late_rt, good_suggestion, GOOD_MARKS)
    assert view.state == "reserve"


def test_preview_decides_again_with_the_day_each_decision_was_made(late_rt, good_suggestion):
    with clock.at(dt.date(2027, 12, 5)):
        assert screened(late_rt, good_suggestion, GOOD_MARKS).state == "pending"
    with clock.at(dt.date(2028, 10, 1)):  # a day the same rules would admit it
        assert screened(late_rt, good_suggestion, GOOD_MARKS).state == "reserve"
        report = preview(late_rt, late_rt.profile)
    assert report.checked == 2 and report.changes == []


def test_a_workflow_condition_may_read_today(tmp_path):
    base = (CONFIG / "workflows" / "suggestion.yaml").read_text(encoding="utf-8")
    folder = overlay(tmp_path / "season", {"workflows/suggestion.yaml": base.replace(
        'when: "count(listed) >= 1"', "when: \"count(listed) >= 1 and today <= date('12-31')\"", 1)})
    assert load_profile(folder).workflows["suggestion"].transitions
    (folder / "workflows" / "suggestion.yaml").write_text(
        base.replace('when: "count(listed) >= 1"', "when: \"today <= date('12-32')\"", 1), encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_profile(folder)
    assert "not a date: '12-32'" in str(refused.value)
