"""The expression language and decision tables: hit policies, explanations, rejected expressions."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from engine.lang.expr import compile_expression
from engine.lang.syntax import ExprError
from engine.lang.tables import DecisionError
from engine.schema.rules import RuleFile
from engine.lang.rules_compile import compile_rules

NAMES = {"necessity": "number", "score": "number", "cost": "money", "budget": "money", "held_on": "date",
         "deadline": "date", "category": "text", "scores": "list of number", "urgent": "bool",
         "costs": "list of money"}
VALUES = {"necessity": 4, "score": Decimal("3.5"), "cost": Decimal("400000.00"), "budget": Decimal("6730000.00"),
          "held_on": dt.date(2025, 3, 1), "deadline": dt.date(2025, 12, 31), "category": "roads",
          "scores": [Decimal(90), Decimal(70), Decimal(85)], "urgent": True,
          "costs": [Decimal("100.50"), Decimal("200.25")]}


@pytest.mark.parametrize("text, expected", [
    ("necessity + score >= 7.5 and category not in ['office']", True),
    ("avg(scores) >= 80", True),
    ("cost / budget >= 5%", True),                       # percentages are plain numbers: 5% is 0.05
    ("cost <= 500000", True),
    ("cost * 2 > budget", False),
    ("cost / budget < 10%", True),
    ("sum(costs) == 300.75", True),
    ("deadline - held_on", 305),
    ("held_on + 30", dt.date(2025, 3, 31)),
    ("score in 1..5 and necessity in [1, 2, 3, 4]", True),
    ("max(scores) - min(scores)", Decimal(20)),
    ("count(scores)", 3),
    ("min(necessity, score)", Decimal("3.5")),
    ("not urgent or category == 'roads'", True),
    ("abs(-score)", Decimal("3.5")),
    ("held_on >= date('2025-01-01')", True),
    ("-(necessity - 10) * 2", 12),
])
def test_expressions_evaluate(text, expected):
    assert compile_expression(text, NAMES)(VALUES) == expected


def test_missing_values_are_unknown_not_false():
    """DMN's three-valued logic: a comparison with a missing value is unknown (None), and so is
    its negation; a division by zero has no value either."""
    assert compile_expression("cost <= 500000", NAMES)({}) is None
    assert compile_expression("not (cost <= 500000)", NAMES)({}) is None
    assert compile_expression("score / necessity > 1", NAMES)({"score": 1, "necessity": 0}) is None
    assert compile_expression("avg(scores)", NAMES)({"scores": []}) is None
    assert compile_expression("avg(scores)", NAMES)({}) is None
    assert compile_expression("count(scores)", NAMES)({"scores": []}) == 0
    assert compile_expression("count(scores)", NAMES)({}) is None
    assert compile_expression("avg(scores)", NAMES)({"scores": [Decimal(2), None, Decimal(4)]}) == 3
    assert compile_expression("min(necessity, score)", NAMES)({"necessity": 1}) is None


T, F, U = True, False, None


@pytest.mark.parametrize("a, b, conjunction, disjunction", [
    (T, T, T, T), (T, F, F, T), (T, U, U, T), (F, F, F, F), (F, U, F, U), (U, U, U, U),
    (F, T, F, T), (U, T, U, T), (U, F, F, U)])
def test_and_or_not_follow_the_truth_table(a, b, conjunction, disjunction):
    names = {"a": "bool", "b": "bool"}
    values = {k: v for k, v in (("a", a), ("b", b)) if v is not None}
    assert compile_expression("a and b", names)(values) is conjunction
    assert compile_expression("a or b", names)(values) is disjunction
    assert compile_expression("not a", names)(values) is (None if a is None else not a)


@pytest.mark.parametrize("text", ["x == x", "x != 5", "not (x > 18)", "not (x in [1, 2])", "x in 1..5",
                                  "not (x in [1..5))", "abs(x) >= 0", "x * 0 == 0"])
def test_a_missing_value_never_makes_a_row_match(text):
    rules = load_rules(f"""
id: test
label: 测试
inputs: {{x: number}}
tables:
  - id: t
    label: 表
    hit_policy: FIRST
    rows: [{{id: hit, when: "{text}", outcome: hit}}]
    default: {{id: other, when: "true", outcome: unknown}}
""")
    import dataclasses
    table = rules.tables["t"]
    for t in (table, dataclasses.replace(table, fast=None)):
        assert t.decide({}).outcome == "unknown"
        assert t.decide({"x": None}).outcome == "unknown"


@pytest.mark.parametrize("text, message", [
    ("scroe > 3", "unknown name 'scroe' (did you mean 'score'?) (at column 1 of «scroe > 3»)"),
    ("cost > held_on", "cannot compare a money with a date (at column 1 of «cost > held_on»)"),
    ("necessity +", "expected a value, found the end (at column 12 of «necessity +»)"),
    ("avg(category)", "avg() takes a list (at column 1 of «avg(category)»)"),
    ("foo(1)", "unknown function 'foo'; functions are min, max, sum, count, avg, median, trimmed_mean, count_of, contains_all, abs, date (at column 1 of «foo(1)»)"),
    ("score in 5", "'in' needs a list or a range a..b on its right, not a number (at column 10 of «score in 5»)"),
    ("(score > 1", "expected ')', found the end (at column 11 of «(score > 1»)"),
    ("not score", "'not' needs a condition (true or false), not a number (at column 5 of «not score»)"),
    ("date('2025-13-01')", "not a date: '2025-13-01'; write YYYY-MM-DD, or MM-DD for that day of every year (at column 6 of «date('2025-13-01')»)"),
    ("score > 3 extra", "unexpected 'extra' after a complete expression (at column 11 of «score > 3 extra»)"),
    ("score @ 3", "unexpected character '@' (at column 7 of «score @ 3»)"),
    ("", "the expression is empty (at column 1 of «»)"),
    ("category < 3", "cannot compare a text with a number (at column 1 of «category < 3»)"),
    ("urgent > true", "'>' does not order bool values; use == or != (at column 1 of «urgent > true»)"),
    ("held_on + held_on", "cannot add a date and a date (at column 1 of «held_on + held_on»)"),
    ("cost * cost", "cannot multiply a money and a money (at column 1 of «cost * cost»)"),
    ("category in scores", "cannot look for a text in a list of number (at column 1 of «category in scores»)"),
    ("['a', 1]", "a list's items must be of one type; found number, text (at column 1 of «['a', 1]»)"),
    ("sum(held_on, deadline)", "sum() takes a list (at column 1 of «sum(held_on, deadline)»)"),
    ("score and urgent", "'and' needs a condition (true or false), not a number (at column 1 of «score and urgent»)"),
    ("__import__('os')", "unknown function '__import__'; functions are min, max, sum, count, avg, median, trimmed_mean, count_of, contains_all, abs, date "
                         "(at column 1 of «__import__('os')»)"),
    ("score.__class__", "unexpected character '.' (at column 6 of «score.__class__»)"),
])
def test_rejected_expressions(text, message):
    with pytest.raises(ExprError) as info:
        compile_expression(text, NAMES)
    assert info.value.pointed(text) == message


def test_condition_must_be_true_or_false():
    with pytest.raises(ExprError) as info:
        compile_expression("score + 1", NAMES, expect="bool")
    assert info.value.pointed("score + 1") == \
        "expected a bool expression, but this gives a number (at column 1 of «score + 1»)"


_atoms = st.sampled_from(["score", "necessity", "cost", "held_on", "category", "scores", "urgent", "1", "2.5",
                          "80%", "'roads'", "true", "date('2025-01-01')", "[1, 2]", "costs", "0"])
_ops = st.sampled_from(["+", "-", "*", "/", "==", "!=", "<", ">=", "and", "or", "not", "in", "..", "(", ")",
                        "[", "]", ",", "min(", "avg(", "count(", "sum(", "abs(", "median(", "trimmed_mean(", "count_of(", "contains_all(", "@", "'", ""])


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.one_of(_atoms, _ops), max_size=9))
def test_random_expressions_only_raise_config_errors(parts):
    text = " ".join(parts)
    try:
        compiled = compile_expression(text, NAMES)
    except ExprError:
        return
    compiled(VALUES)  # whatever type-checked also runs without an exception
    compiled({})      # even with every input missing


# Expressions built by the grammar, so that every one of them is well formed and well typed: the
# random-token test above mostly exercises the parser's refusals, this one the compiler and runtime.
_numbers = st.recursive(
    st.sampled_from(["score", "necessity", "1", "2.5", "80%", "0", "count(scores)", "avg(scores)", "max(scores)",
                     "trimmed_mean(scores)", "(deadline - held_on)"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda x: f"abs({x})"), inner.map(lambda x: f"-({x})"),
        st.tuples(inner, inner).map(lambda t: f"min({t[0]}, {t[1]})")),
    max_leaves=10)
_conditions = st.recursive(
    st.one_of(st.tuples(_numbers, st.sampled_from(["==", "!=", "<", ">="]), _numbers).map(" ".join),
              st.sampled_from(["urgent", "category == 'roads'", "category in ['roads', 'water']",
                               "held_on < date('2025-06-01')", "cost <= 500000", "score in 1..5"])),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda x: f"not ({x})")),
    max_leaves=8)


@settings(max_examples=400, deadline=None)
@given(_conditions)
def test_well_formed_conditions_compile_and_run(text):
    compiled = compile_expression(text, NAMES, expect="bool")  # must not be refused
    assert compiled(VALUES) in (True, False, None)  # None: unknown (a division by zero, say)
    assert compiled({}) in (True, False, None)  # every input missing


def load_rules(text: str):
    rules = RuleFile.model_validate(yaml.safe_load(text))
    compiled, problems = compile_rules(rules, "rules/test.yaml")
    assert problems == []
    return compiled


TABLE = """
id: test
label: 测试
inputs: {necessity: number, feasibility: number, universality: number, urgency: number, category: text}
derived:
  total: necessity + feasibility + universality + urgency
tables:
  - id: t
    label: 表
    hit_policy: POLICY
    AGGREGATE
    rows:
      - {id: veto, when: "category == 'office'", outcome: rejected, reason: "负面清单：{category}", value: "0"}
      - {id: high, when: "total >= 14", outcome: reserve, reason: "合计 {total} 分", value: "total"}
      - {id: medium, when: "total >= 10", outcome: pending, reason: "合计 {total} 分", value: "total / 2"}
    default: {id: low, when: "true", outcome: rejected, reason: "合计 {total} 分，未达 10 分"}
"""


def table_text(policy: str, aggregate: str = "") -> str:
    return TABLE.replace("POLICY", policy).replace("AGGREGATE", f"aggregate: {aggregate}" if aggregate else "")


def table(policy: str, aggregate: str = ""):
    return load_rules(table_text(policy, aggregate)).tables["t"]


HIGH = dict(necessity=4, feasibility=4, universality=3, urgency=4, category="roads")  # total 15
LOW = dict(necessity=1, feasibility=2, universality=1, urgency=1, category="roads")   # total 5


def test_first_hit_policy_and_explanation():
    decision = table("FIRST").decide(HIGH, version="abc123")
    assert (decision.outcome, decision.reason, decision.matched) == ("reserve", "合计 15 分", ("high",))
    assert decision.explanation() == {
        "rules": "test", "table": "t", "outcome": "reserve", "reason": "合计 15 分", "value": 15, "matched": ["high"],
        "seen": {"category": "roads", "feasibility": 4, "necessity": 4, "total": 15, "universality": 3, "urgency": 4},
        "rule_file": "rules/test.yaml", "version": "abc123"}  # the derived total and what it was worked out from


def test_unique_reports_both_rows_on_overlap():
    with pytest.raises(DecisionError) as info:
        table("UNIQUE").decide(HIGH)
    assert str(info.value) == "table 't' is UNIQUE but rows high, medium all match"
    assert table("UNIQUE").decide(dict(HIGH, necessity=1, feasibility=3)).outcome == "pending"  # total 11


def test_default_row_when_nothing_matches():
    decision = table("UNIQUE").decide(LOW)
    assert (decision.outcome, decision.reason, decision.matched) == ("rejected", "合计 5 分，未达 10 分", ())


def test_rule_order_lists_every_match_in_order():
    decision = table("RULE ORDER").decide(dict(HIGH, category="office"))
    assert decision.outcome == ["rejected", "reserve", "pending"]
    assert decision.matched == ("veto", "high", "medium")
    assert decision.reason == ["负面清单：office", "合计 15 分", "合计 15 分"]


@pytest.mark.parametrize("aggregate, expected", [
    ("SUM", Decimal("22.5")), ("MIN", Decimal("7.5")), ("MAX", Decimal(15)), ("COUNT", 2)])
def test_collect_aggregates(aggregate, expected):
    assert table("COLLECT", aggregate).decide(HIGH).value == expected


def test_collect_without_aggregate_lists_outcomes():
    assert table("COLLECT").decide(HIGH).outcome == ["reserve", "pending"]


def test_rule_file_problems_are_located():
    text = table_text("COLLECT", "SUM").replace('"total >= 14"', '"totl >= 14"').replace(
        'reason: "合计 {total} 分", value: "total"}', 'reason: "合计 {totl} 分", value: "total"}')
    compiled, problems = compile_rules(RuleFile.model_validate(yaml.safe_load(text)), "rules/test.yaml")
    assert compiled is None
    assert problems == [
        (("tables", 0, "rows", 1, "when"), "unknown name 'totl' (did you mean 'total'?) (at column 1 of «totl >= 14»)"),
        (("tables", 0, "rows", 1, "reason"),
         "unknown name 'totl' in the reason; known names: necessity, feasibility, universality, urgency, "
         "category, total"),
    ]


_score = st.one_of(st.none(), st.integers(-3, 8), st.decimals(min_value=-5, max_value=10, places=2,
                                                               allow_nan=False, allow_infinity=False))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["FIRST", "UNIQUE", "RULE ORDER", "COLLECT"]),
       st.fixed_dictionaries({k: _score for k in ("necessity", "feasibility", "universality", "urgency")}),
       st.sampled_from(["roads", "office", None]))
def test_compiled_function_agrees_with_the_reference_closures(policy, values, category):
    """The generated fast path and the closures decide the same, with the same explanation."""
    import dataclasses
    fast = table(policy, "SUM" if policy == "COLLECT" else "")
    reference = dataclasses.replace(fast, fast=None)
    values = dict(values, category=category)
    outcomes = []
    for t in (fast, reference):
        try:
            outcomes.append(t.decide(values, "v").explanation())
        except DecisionError as exc:
            outcomes.append(str(exc))
    assert outcomes[0] == outcomes[1]
