"""A township's exceptions, where the county allows them (issue 16): a mountain township admits a
suggestion to the reserve pool from 14 points instead of 15, by its own rule file that holds only
that row; its records are decided by it, every other township's by the county's; preview and
stored versions follow; a township changing what the county does not allow is refused in words."""
from __future__ import annotations

import pytest
import yaml

from engine.core.actors import Actor
from engine.core.runtime import Runtime
from engine.core.versions import load_version
from engine.core.workflow import last_decision
from engine.features.preview import preview
from engine.kernel.errors import ConfigError
from engine.profile.loader import load_profile
from tests.conftest import CONFIG, overlay
from tests.test_screening import screened

MOUNTAIN = "townships/t02/rules/screening.yaml"
FOURTEEN = """\
# 高寒山区乡镇：储备线 14 分
tables:
  - id: screening
    rows:
      - id: reserve
        when: [total >= 14, lowest >= 3, u >= 3]
        reason: 本乡镇为高寒山区，合计 {total} 分，达到本乡镇入库标准 14 分，纳入项目储备库
"""
MARKS = [(4, 4, 3, 3)] * 3  # 14 points: the mountain township's reserve, the county's pending


def county(folder, files=None, allowed="[screening]"):
    return overlay(folder, {"county.yaml": f"township_rules: {allowed}\n", MOUNTAIN: FOURTEEN, **(files or {})})


@pytest.fixture
def mrt(tmp_path, db_url):
    runtime = Runtime.open(county(tmp_path / "county"), db_url)
    yield runtime
    runtime.db.dispose()


def test_a_townships_own_rules_decide_its_records_only(mrt, good_suggestion):
    mountain = screened(mrt, dict(good_suggestion, township="t02"), MARKS)
    assert mountain.state == "reserve"
    decision = last_decision(mrt, mountain.id)
    assert "达到本乡镇入库标准 14 分" in decision["reason"] and decision["rule_file"].endswith(MOUNTAIN)
    other = screened(mrt, dict(good_suggestion, township="t03"),
                     MARKS, actor=Actor("s3", "筛选小组", frozenset({"screening_group"}), township="t03"))
    assert other.state == "pending"
    assert last_decision(mrt, other.id)["rule_file"].endswith("county/rules/screening.yaml")
    # preview on the unchanged profile changes nothing; without the township's file, exactly its record
    assert preview(mrt, mrt.profile).changes == []
    # the stored version (what a record decided under it reads after the files change) has it too
    stored = load_version(mrt.db, mrt.version)
    again = stored.rules_for("screening", "t02").tables["screening"]
    assert again.decide({"necessity": [4] * 3, "feasibility": [4] * 3, "universality": [3] * 3,
                         "urgency": [3] * 3}, stored.version).outcome == "reserve"
    assert stored.rules_for("screening", "t03").tables["screening"].decide(
        {"necessity": [4] * 3, "feasibility": [4] * 3, "universality": [3] * 3, "urgency": [3] * 3},
        stored.version).outcome == "pending"
    plain = load_profile(overlay(mrt.profile.root.parent / "plain", {}))
    assert [(c.record_id, c.before, c.after) for c in preview(mrt, plain).changes] == [(mountain.id, "reserve", "pending")]


def test_the_townships_file_is_part_of_the_version(tmp_path):
    with_file = load_profile(county(tmp_path / "a"))
    without = load_profile(overlay(tmp_path / "b", {"county.yaml": "township_rules: [screening]\n"}))
    assert with_file.version != without.version and MOUNTAIN in with_file.files
    # stored as the township wrote it, an overlay of the county's file, not merged into it
    assert yaml.safe_load(with_file.file_texts()[MOUNTAIN]) == yaml.safe_load(FOURTEEN)
    assert with_file.rules_for("screening", "t02") is not with_file.rules_for("screening", "t03")


@pytest.mark.parametrize("files, allowed, said", [
    ({}, "[]", "county.yaml does not let a township change the rules 'screening' (township_rules: none)"),
    ({}, "[screenin]", "unknown rule file 'screenin' (did you mean 'screening'?)"),
    ({"townships/t99/rules/screening.yaml": FOURTEEN}, "[screening]", "unknown township 't99'"),
    ({"townships/t02/forms/suggestion.yaml": "label: x\n"}, "[screening]",
     "a township's own rules are townships/<township id>/rules/<rule file>.yaml"),
    ({MOUNTAIN: FOURTEEN.replace("reason:", "outcome: admitted\n        reason:")}, "[screening]",
     "outcome(s) admitted are not the county's"),
    ({MOUNTAIN: "inputs:\n  poverty: number\n" + FOURTEEN}, "[screening]",
     "'poverty' is not an input of the county's file, so nothing gives it"),
])
def test_a_township_changing_what_it_may_not_is_refused_in_words(tmp_path, files, allowed, said):
    with pytest.raises(ConfigError) as refused:
        load_profile(county(tmp_path / "county", files, allowed))
    assert said in str(refused.value)


def test_a_bulk_screening_decides_each_record_by_its_townships_rules(mrt, good_suggestion):
    from engine.core import records
    from engine.core.actors import ANONYMOUS, SYSTEM
    from engine.core.bulk import bulk_action
    from tests.test_screening import score
    ids = {}
    for township in ("t02", "t03"):
        record = records.submit(mrt, ANONYMOUS, "suggestion", dict(good_suggestion, township=township))
        for i, marks in enumerate(MARKS):
            score(mrt, record.id, f"成员{i}", *marks, actor=SYSTEM)
        ids[township] = record.id
    report = bulk_action(mrt, SYSTEM, "suggestion", "screen")
    assert report.moved == {"reserve": 1, "pending": 1}
    assert {t: records.get(mrt, SYSTEM, i)[0].state for t, i in ids.items()} == {"t02": "reserve", "t03": "pending"}


def test_a_townships_error_names_its_file_the_line_and_the_key(tmp_path):
    folder = county(tmp_path / "county", {MOUNTAIN: "tables:\n  - id: screening\n    rows:\n      - id: reserve\n"
                                                    "        outcome: admitted\n"})
    with pytest.raises(ConfigError) as refused:
        load_profile(folder)
    assert [str(p) for p in refused.value.problems] == [
        f"{folder}/{MOUNTAIN}:2: At RuleFile(id='screening') -> tables -> Table(id='screening'): outcome(s) admitted "
        "are not the county's: the workflow moves records on incomplete, pending, rejected, reserve "
        f"(merged with {CONFIG}/rules/screening.yaml)"]
