"""The guide's examples are real: each YAML example marked with its kind is valid config."""
from __future__ import annotations

import re

import pytest
import yaml

from engine.schema.forms import Field, Form
from engine.schema.delivery import Delivery
from engine.schema.imports import ImportMapping
from engine.schema.reports import Report
from engine.schema.workflow import Reaction, Transition, Workflow
from engine.schema.rules import RuleFile
from engine.lang.rules_compile import compile_rules
from engine.schema.fieldtypes import FIELD_TYPES
from tests.conftest import ROOT

DOCS = ROOT / "docs"
KINDS = {"form": Form, "field": Field, "import": ImportMapping, "rules": RuleFile, "workflow": Workflow,
         "transition": Transition, "reaction": Reaction, "delivery": Delivery, "report": Report}


def examples():
    for page in sorted(DOCS.glob("*.md")):
        for block in re.findall(r"```yaml\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            first = block.splitlines()[0].strip()
            if first.startswith("# ") and first[2:] in KINDS:
                yield pytest.param(first[2:], block, id=f"{page.name}:{first[2:]}")


@pytest.mark.parametrize("kind, block", list(examples()))
def test_example_is_valid(kind, block):
    obj = KINDS[kind].model_validate(yaml.safe_load(block))
    if kind == "rules":  # its expressions type-check, and the table decides as the guide says
        compiled, problems = compile_rules(obj, "docs")
        assert problems == []
        if "matching" in compiled.tables:  # rules.md: a decision that reads another
            decision = compiled.tables["matching"].decide({"total": 15, "cost": 200000, "households": 300})
            assert [s["outcome"] for s in decision.steps] == ["A"]
            assert (decision.outcome, decision.reason) == ("county_funds", "评分等级 A，乡镇配套 0.2 即 40000 元")
        elif "list of number" in block:  # screening.md: members' score lists
            decision = compiled.tables["screening"].decide(
                {"necessity": [5, 4, 4, 1], "feasibility": [4, 4, 5], "universality": [4, 3, 4], "urgency": [3, 4, 4]})
            assert (decision.outcome, decision.reason) == ("reserve", "合计 16 分，达到入库标准，纳入项目储备库")
        else:
            decision = compiled.tables["screening"].decide(
                {"necessity": 4, "feasibility": 4, "universality": 3, "urgency": 4, "category": "roads"})
            assert (decision.outcome, decision.reason) == ("reserve", "四项合计 15 分，达到入库线 14 分")


def test_there_are_examples():
    assert {kind for kind, _ in (p.values for p in examples())} == set(KINDS)


def test_every_field_type_is_in_the_guide():
    table = (DOCS / "forms.md").read_text(encoding="utf-8")
    assert [t for t in FIELD_TYPES if f"| `{t}` |" not in table] == []
