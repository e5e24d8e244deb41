"""Profiles that inherit: extends, merge by key and by id, $delete and $replace, removed files,
several levels, errors that name the files of the chain, stored versions, show and diff."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli import app
from engine.kernel.errors import ConfigError
from engine.profile.loader import load_profile
from engine.profile.overview import differences
from tests.conftest import CONFIG

runner = CliRunner()


def write(folder: Path, rel: str, text: str) -> Path:
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def chain(tmp_path, monkeypatch):
    """province (a copy of Sangzhi) <- county <- township: three levels, shown relative to tmp."""
    shutil.copytree(CONFIG, tmp_path / "province")
    write(tmp_path, "county/profile.yaml", "extends: ../province\n")
    write(tmp_path, "county/votes/township_congress.yaml", "majority:\n  of: present\n")
    write(tmp_path, "county/rules/screening.yaml", """\
tables:
  - id: screening
    rows:
      - id: reserve                 # merged into the province's row of that id
        when: [total >= 14, lowest >= 3, u >= 3]
      - id: pending_feasibility     # not used in this county
        $delete: true
      - id: urgent                  # a row of its own, added at the end
        when: r >= 5 and total >= 12
        outcome: pending
        reason: 紧迫性 {r} 分，列入待研项目库
""")
    write(tmp_path, "township/profile.yaml", "extends: ../county\n")
    write(tmp_path, "township/votes/township_congress.yaml", "quorum:\n  at_least: 3/4\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_three_levels_merge_by_key_and_by_id(chain):
    profile = load_profile("township")
    vote = profile.votes["township_congress"]
    assert (vote.majority.of, str(vote.quorum.at_least), vote.tie_break) == ("present", "3/4", "runoff")
    table = profile.rules["screening"].tables["screening"]
    assert [r.id for r in table.rows] == ["too_few_sheets", "reserve", "pending_total", "urgent"]
    reserve = next(r for r in table.rows if r.id == "reserve")
    assert [c.text for c in reserve.conditions] == ["total >= 14", "lowest >= 3", "u >= 3"]
    assert reserve.outcome == "reserve" and reserve.reason.startswith("经乡镇筛选小组")  # kept from the province
    assert len(profile.forms) == len(load_profile("province").forms)


def test_an_error_names_its_file_and_the_files_it_is_merged_with(chain):
    write(chain, "township/votes/township_congress.yaml", "quorum:\n  at_least: most\n")
    with pytest.raises(ConfigError) as info:
        load_profile("township")
    assert [str(p) for p in info.value.problems] == [
        "township/votes/township_congress.yaml:2: At VoteRules(id='township_congress') -> quorum -> at_least: "
        "expected a share such as 1/2, 2/3, 50% or 0.5, got 'most' (merged with province/votes/township_congress.yaml, "
        "county/votes/township_congress.yaml)"]


def test_an_inherited_value_that_breaks_is_reported_where_it_is_written(chain):
    write(chain, "county/profile.yaml", "extends: ../province\nremove: [forms/reconsideration.yaml]\n")
    with pytest.raises(ConfigError) as info:
        load_profile("township")
    [problem] = info.value.problems
    assert problem.file == "province/workflows/suggestion.yaml"
    assert str(problem).endswith("form: unknown form 'reconsideration' (inherited by township)")


def test_replace_a_whole_file_or_item_and_delete_what_is_not_there(chain):
    write(chain, "county/votes/township_congress.yaml",
          (CONFIG / "votes/township_congress.yaml").read_text(encoding="utf-8").replace("of: all_members", "of: present")
          + "$replace: true\n")
    assert load_profile("township").votes["township_congress"].majority.of == "present"
    write(chain, "county/rules/screening.yaml", "tables:\n  - id: screening\n    rows:\n      - id: nothing\n        $delete: true\n")
    with pytest.raises(ConfigError) as info:
        load_profile("township")
    assert [str(p) for p in info.value.problems] == [
        "county/rules/screening.yaml:4: $delete: the base has no item with id 'nothing' here"]


@pytest.mark.parametrize("text, message", [
    ("extends: ../nowhere\n", "township/profile.yaml:1: extends '../nowhere', but "),
    ("extend: ../county\n", "township/profile.yaml:1: unknown key 'extend'; profile.yaml holds extends and remove"),
])
def test_a_chain_that_cannot_be_followed(chain, text, message):
    write(chain, "township/profile.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_profile("township")
    assert str(info.value.problems[0]).startswith(message)


def test_profiles_that_extend_each_other_in_a_circle(chain):
    write(chain, "province/profile.yaml", "extends: ../township\n")
    with pytest.raises(ConfigError) as info:
        load_profile("township")
    assert "profiles extend each other in a circle" in str(info.value)


def test_a_stored_version_of_a_chain_loads_back_the_same(chain, db_url):
    from engine.core.runtime import Runtime
    from engine.core.versions import load_version
    rt = Runtime.open("township", db_url)
    try:
        with rt.db.transaction() as session:
            version = rt.ensure_version(session)
        again = load_version(rt.db, version)
        assert again.version == version == rt.profile.version
        assert again.votes["township_congress"] == rt.profile.votes["township_congress"]
        assert [r.id for r in again.rules["screening"].tables["screening"].rows] == \
            ["too_few_sheets", "reserve", "pending_total", "urgent"]
    finally:
        rt.db.dispose()


def test_a_change_anywhere_in_the_chain_is_a_new_version(chain):
    before = load_profile("township").version
    write(chain, "province/votes/township_congress.yaml",
          (chain / "province/votes/township_congress.yaml").read_text(encoding="utf-8").replace("extra: 1", "extra: 2"))
    assert load_profile("township").version != before


def test_show_names_where_each_value_comes_from(chain):
    result = runner.invoke(app, ["profile", "show", "--config", "township", "--file", "votes/township_congress.yaml"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("# ---- votes/township_congress.yaml  (merged from province/votes/township_congress.yaml, "
                               "county/votes/township_congress.yaml, township/votes/township_congress.yaml)")
    assert "  of: present  # county/votes/township_congress.yaml:2" in lines
    assert "  at_least: 3/4  # township/votes/township_congress.yaml:2" in lines
    assert "tie_break: runoff  # province/votes/township_congress.yaml:19" in lines
    missing = runner.invoke(app, ["profile", "show", "--config", "township", "--file", "votes/nothing.yaml"])
    assert missing.exit_code == 1 and "township has no file votes/nothing.yaml" in missing.output


def test_diff_says_in_words_what_differs(chain):
    result = runner.invoke(app, ["profile", "diff", "province", "township"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "rules/screening.yaml: tables → [screening] → rows → [reserve] → when: [total >= 15, lowest >= 3, u >= 3] → "
        "[total >= 14, lowest >= 3, u >= 3]",
        "rules/screening.yaml: tables → [screening] → rows → [pending_feasibility]: removed",
        "rules/screening.yaml: tables → [screening] → rows → [urgent]: added",
        "votes/township_congress.yaml: majority → of: all_members → present",
        "votes/township_congress.yaml: quorum → at_least: 2/3 → 3/4",
        "5 difference(s).",
    ]
    assert differences(Path("province"), Path("province")) == []


def test_the_new_county_walkthrough_works_as_written(tmp_path, monkeypatch):
    """docs/new-county.md: its files, written where it says, load; `profile diff` prints what it shows."""
    import re
    page = (Path(__file__).parent.parent / "docs" / "new-county.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n# file: (\S+)\n(.*?)```", page, re.S)
    assert [rel for rel, _ in blocks][:1] == ["our-county/profile.yaml"] and len(blocks) == 5
    shutil.copytree(CONFIG, tmp_path / "config")
    for rel, text in blocks:
        write(tmp_path, rel, text)
    monkeypatch.chdir(tmp_path)
    profile = load_profile("our-county")
    assert profile.county.name == "示例县" and profile.votes["township_congress"].majority.of == "present"
    mountain = profile.rules_for("screening", "t02").tables["screening"]  # a township's exception
    scores = {"necessity": [4] * 3, "feasibility": [4] * 3, "universality": [4] * 3, "urgency": [3] * 3}
    assert mountain.decide(scores, "x").outcome == "reserve"
    assert profile.rules_for("screening", "t01").tables["screening"].decide(scores, "x").outcome == "pending"
    shown = re.search(r"prints one line per policy difference, in the files' own words:\n\n```\n(.*?)```", page, re.S)
    result = runner.invoke(app, ["profile", "diff", "config", "our-county"])
    assert result.exit_code == 0
    assert result.output == shown.group(1)
