"""DMN's other hit policies, output columns, and decisions that feed decisions (cases in the
manner of the DMN Technology Compatibility Kit, levels 2 and 3)."""
from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
import yaml

from engine.lang.rules_compile import compile_rules
from engine.lang.tables import DecisionError
from engine.schema.rules import RuleFile

SCREENING = """
id: test
label: 测试
inputs: {total: number, category: text, cost: money}
tables:
  - id: t
    label: 表
    hit_policy: POLICY
    outcomes: [rejected, pending, reserve]
    rows:
      - {id: office, when: "category == 'office'", outcome: rejected, reason: 负面清单}
      - {id: high, when: "total >= 14", outcome: reserve, reason: "合计 {total} 分"}
      - {id: medium, when: "total >= 10", outcome: pending, reason: "合计 {total} 分，待研"}
      - {id: also_high, when: "total >= 15", outcome: reserve, reason: "合计 {total} 分，高分"}
    default: {id: low, when: "true", outcome: rejected, reason: 未达 10 分}
"""


def load(text: str):
    compiled, problems = compile_rules(RuleFile.model_validate(yaml.safe_load(text)), "rules/test.yaml")
    assert problems == []
    return compiled


def problems_of(text: str):
    compiled, problems = compile_rules(RuleFile.model_validate(yaml.safe_load(text)), "rules/test.yaml")
    assert compiled is None
    return problems


def both(table):
    return table, dataclasses.replace(table, fast=None)


def decide(text: str, values: dict, table: str = "t"):
    """The decision on both paths, which must agree."""
    results = [t.decide(values, "v").explanation() for t in both(load(text).tables[table])]
    assert results[0] == results[1]
    return results[0]


def test_priority_takes_the_matching_row_whose_outcome_comes_first():
    text = SCREENING.replace("POLICY", "PRIORITY")
    office = decide(text, {"total": 16, "category": "office", "cost": 1})
    assert (office["outcome"], office["matched"], office["reason"]) == ("rejected", ["office"], "负面清单")
    roads = decide(text, {"total": 16, "category": "roads", "cost": 1})
    assert (roads["outcome"], roads["matched"]) == ("pending", ["medium"])  # pending outranks reserve here
    assert decide(text, {"total": 3, "category": "roads", "cost": 1})["outcome"] == "rejected"


def test_output_order_lists_the_matches_in_the_order_of_the_outcomes():
    decision = decide(SCREENING.replace("POLICY", "OUTPUT ORDER"), {"total": 16, "category": "office", "cost": 1})
    assert decision["outcome"] == ["rejected", "pending", "reserve", "reserve"]
    assert decision["matched"] == ["office", "medium", "high", "also_high"]  # a tie keeps the rows' order


def test_any_accepts_rows_that_agree_and_names_those_that_do_not():
    text = SCREENING.replace("POLICY", "ANY").replace('id: medium, when: "total >= 10"', 'id: medium, when: "total in [10..14)"')
    agreeing = decide(text, {"total": 16, "category": "roads", "cost": 1})
    assert (agreeing["outcome"], agreeing["matched"]) == ("reserve", ["high"])
    for table in both(load(text).tables["t"]):
        with pytest.raises(DecisionError) as info:
            table.decide({"total": 16, "category": "office", "cost": 1})
        assert str(info.value) == "table 't' is ANY but rows office (rejected), high (reserve), also_high (reserve) give different results"
        assert info.value.code == "disagree"


MULTI = """
id: test
label: 测试
inputs: {total: number, cost: money}
tables:
  - id: grade
    label: 分级
    hit_policy: POLICY
    outputs: {level: text, township_share: number, matching: money}
    rows:
      - {id: a, when: "total >= 14", outcome: fund, outputs: {level: "'A'", township_share: "20%", matching: "cost * 20%"}}
      - {id: b, when: "total >= 10", outcome: fund, outputs: {level: "'B'", township_share: "30%", matching: "cost * 30%"}}
    default: {id: c, when: "true", outcome: none, outputs: {level: "'C'", township_share: "0", matching: "0"}}
"""


def test_a_table_with_several_output_columns():
    first = decide(MULTI.replace("POLICY", "FIRST"), {"total": 12, "cost": Decimal("100000.00")}, "grade")
    assert first["outcome"] == "fund"
    assert first["outputs"] == {"level": "B", "township_share": "0.3", "matching": "30000"}
    every = decide(MULTI.replace("POLICY", "RULE ORDER"), {"total": 15, "cost": Decimal("100000.00")}, "grade")
    assert every["outputs"] == [{"level": "A", "township_share": "0.2", "matching": "20000"},
                                {"level": "B", "township_share": "0.3", "matching": "30000"}]
    none = decide(MULTI.replace("POLICY", "UNIQUE").replace("total >= 10", "total in [10..14)"), {"total": 2, "cost": 5}, "grade")
    assert (none["outcome"], none["outputs"]) == ("none", {"level": "C", "township_share": 0, "matching": 0})


DRG = """
id: test
label: 测试
inputs: {total: number, cost: money, households: number}
tables:
  - id: decision
    label: 结论
    hit_policy: FIRST
    rows:
      - {id: go, when: "priority == 'high' and priority.matching <= 50000", outcome: approve,
         reason: "优先级 {priority}，乡镇配套 {priority.matching} 元"}
    default: {id: wait, when: "true", outcome: defer, reason: "优先级 {priority}"}
  - id: priority
    label: 优先级
    hit_policy: FIRST
    outputs: {matching: money}
    rows:
      - {id: wide, when: "grade == 'A' and households >= 100", outcome: high, outputs: {matching: "cost * grade.share"}}
    default: {id: other, when: "true", outcome: normal, outputs: {matching: "0"}}
  - id: grade
    label: 分级
    hit_policy: UNIQUE
    outputs: {share: number}
    rows:
      - {id: a, when: "total >= 14", outcome: A, outputs: {share: "20%"}}
      - {id: b, when: "total < 14", outcome: B, outputs: {share: "30%"}}
"""


def test_a_decision_reads_the_decisions_it_depends_on_in_their_order():
    decision = decide(DRG, {"total": 15, "cost": Decimal("200000"), "households": 300}, "decision")
    assert (decision["outcome"], decision["reason"]) == ("approve", "优先级 high，乡镇配套 40000 元")
    assert [(s["table"], s["outcome"]) for s in decision["steps"]] == [("grade", "A"), ("priority", "high")]
    assert decision["steps"][1]["outputs"] == {"matching": "40000"}
    assert decision["seen"] == {"priority": "high", "priority.matching": "40000"}
    small = decide(DRG, {"total": 12, "cost": Decimal("200000"), "households": 300}, "decision")
    assert (small["outcome"], small["reason"]) == ("defer", "优先级 normal")
    assert list(load(DRG).tables) == ["decision", "priority", "grade"]  # the file's order is kept


def test_tables_that_read_each_other_in_a_circle_are_refused():
    text = DRG.replace('when: "total >= 14"', 'when: "total >= 14 and decision == \'approve\'"')
    assert problems_of(text) == [(("tables", 0), "tables read each other in a circle: decision → priority → grade "
                                                 "→ decision; a table can only read tables that do not read it")]


@pytest.mark.parametrize("change, where, message", [
    (("    outcomes: [rejected, pending, reserve]\n", ""), ("tables", 0, "hit_policy"),
     "PRIORITY orders the rows by their outcome: list the outcomes in `outcomes`, the most important first"),
    (("outcome: pending,", "outcome: pendng,"), ("tables", 0, "rows", 2, "outcome"),
     "'pendng' is not one of the table's outcomes (did you mean 'pending'?); they are: rejected, pending, reserve"),
])
def test_priority_tables_declare_their_outcomes(change, where, message):
    text = SCREENING.replace("POLICY", "PRIORITY").replace(*change)
    assert problems_of(text) == [(where, message)]


@pytest.mark.parametrize("change, where, message", [
    ((', matching: "cost * 30%"', ""), ("tables", 0, "rows", 1, "outputs"),
     "row 'b' gives no value for the output 'matching' (money)"),
    (('level: "\'B\'"', 'levl: "\'B\'", level: "\'B\'"'), ("tables", 0, "rows", 1, "outputs", "levl"),
     "the table has no output 'levl'; its outputs: level, township_share, matching"),
    (('level: "\'B\'"', 'level: "total"'), ("tables", 0, "rows", 1, "outputs", "level"),
     "expected a text expression, but this gives a number (at column 1 of «total»)"),
])
def test_output_columns_are_checked_when_the_profile_loads(change, where, message):
    assert problems_of(MULTI.replace("POLICY", "FIRST").replace(*change)) == [(where, message)]


def test_a_table_named_like_an_input_is_refused():
    text = MULTI.replace("POLICY", "FIRST").replace("id: grade", "id: total")
    assert (("tables", 0, "id"), "'total' is already the name of an input or a derived value") in problems_of(text)


def test_a_table_that_cannot_decide_refuses_its_record_and_the_bulk_run_goes_on(profile_dir, db_url, good_suggestion):
    """Rows that overlap in a UNIQUE table stop one record's decision, in words; the other records
    of the same batch are screened."""
    from engine.core.bulk import bulk_action
    from engine.core.runtime import Runtime
    from tests.test_screening import SCREENER, score, suggestion

    path = profile_dir / "rules" / "screening.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("hit_policy: FIRST", "hit_policy: UNIQUE", 1),
                    encoding="utf-8")
    rt = Runtime.open(profile_dir, db_url)
    try:
        high, middle = suggestion(rt, good_suggestion), suggestion(rt, good_suggestion)
        for member in ("甲", "乙", "丙"):
            score(rt, high.id, member, 5, 4, 4, 4, actor=SCREENER)    # reserve and pending_total both match
            score(rt, middle.id, member, 3, 3, 3, 3, actor=SCREENER)  # only pending_total
        report = bulk_action(rt, SCREENER, "suggestion", "screen", township="t02")
        assert report.moved == {"pending": 1}
        reason = "table 'screening' is UNIQUE but rows reserve, pending_total all match"
        assert dict(report.refused) == {reason: 1} and report.examples[reason] == [high.id]

        from apps.i18n import refusal_text  # the list's 批量办理 says it in words
        from engine.core.bulk import act_on_selected
        moves, refused = act_on_selected(rt, SCREENER, "screen", [high.id])
        assert moves == [] and refused[0][0] == high.id
        assert refusal_text(refused[0][1]) == "规则表 screening 中 reserve, pending_total 这几行同时符合，规则有重叠，请管理员修正规则"
    finally:
        rt.db.dispose()
