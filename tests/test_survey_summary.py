"""A household survey entered as its figures, not as 300 sheets: a summary sheet (households
asked, satisfied, basically satisfied) filed on a completed project, gathered and added to the
deputies' ratings by the county's evaluation rule. The profile is the guide's example
(docs/evaluation.md, "A survey's summary"), laid over Sangzhi's."""
from __future__ import annotations

import re

import pytest
import yaml

from apps.i18n import problem_text
from engine.core.runtime import Runtime
from engine.core.sheets import file_sheet
from engine.core.workflow import TransitionRefused, last_decision, transition
from engine.kernel.errors import ConfigError, InputError
from engine.profile.loader import load_profile
from tests.conftest import CONFIG, ROOT
from tests.test_evaluation import CONGRESS, completed, rate


def guide_example(name: str) -> dict:
    """The YAML block of docs/evaluation.md that starts with `# <name>`."""
    text = (ROOT / "docs" / "evaluation.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if b.startswith(f"# {name}\n"))
    return yaml.safe_load(block)


@pytest.fixture
def survey_rt(tmp_path, db_url):
    folder = tmp_path / "survey"
    for sub in ("forms", "workflows", "rules"):
        (folder / sub).mkdir(parents=True)
    (folder / "profile.yaml").write_text(f"extends: {CONFIG}\n", encoding="utf-8")
    (folder / "forms" / "survey_summary.yaml").write_text(
        yaml.safe_dump(guide_example("forms/survey_summary.yaml"), allow_unicode=True, sort_keys=False), encoding="utf-8")
    workflow = guide_example("workflows/suggestion.yaml")
    base = load_profile(CONFIG).workflows["suggestion"]  # sheets have no ids: the list is written whole
    workflow["sheets"] = [{"$replace": True}] + [s.model_dump(by_alias=True, exclude_defaults=True)
                                                 for s in base.sheets] + workflow["sheets"]
    (folder / "workflows" / "suggestion.yaml").write_text(yaml.safe_dump(workflow, allow_unicode=True, sort_keys=False),
                                                          encoding="utf-8")
    (folder / "rules" / "evaluation.yaml").write_text(
        yaml.safe_dump(guide_example("rules/evaluation.yaml"), allow_unicode=True, sort_keys=False), encoding="utf-8")
    runtime = Runtime.open(folder, db_url)
    yield runtime
    runtime.db.dispose()


def test_a_household_surveys_figures_count_with_the_deputies_ratings(survey_rt, good_suggestion):
    project = completed(survey_rt, good_suggestion)
    rate(survey_rt, project, ["satisfied"] * 3 + ["unsatisfied"] * 2)  # the deputies alone: 60%
    file_sheet(survey_rt, CONGRESS, project, "survey_summary",
               {"surveyed_on": "2025-11-20", "households": "300", "satisfied": "250", "basic": "20"})
    assert transition(survey_rt, CONGRESS, project, "evaluate").state == "evaluated"
    decision = last_decision(survey_rt, project)
    assert decision["reason"] == ("5 名代表测评、入户调查 300 户，满意和基本满意合计 273 / 305 即 89.51%，"
                                  "达到 80%，测评通过")


def test_without_a_survey_the_deputies_ratings_decide_alone(survey_rt, good_suggestion):
    project = completed(survey_rt, good_suggestion)
    rate(survey_rt, project, ["satisfied"] * 3 + ["unsatisfied"] * 2)
    assert transition(survey_rt, CONGRESS, project, "evaluate").state == "rectifying"
    assert last_decision(survey_rt, project)["reason"].startswith("5 名代表测评、入户调查 0 户，满意和基本满意合计 3 / 5 即 60%")


def test_a_survey_that_counts_more_satisfied_households_than_it_asked_is_refused_in_the_countys_words(
        survey_rt, good_suggestion):
    project = completed(survey_rt, good_suggestion)
    with pytest.raises(InputError) as refused:
        file_sheet(survey_rt, CONGRESS, project, "survey_summary",
                   {"surveyed_on": "2025-11-20", "households": "300", "satisfied": "290", "basic": "20"})
    assert list(refused.value.problems) == ["basic"]
    problem = refused.value.problems["basic"]
    assert problem_text(problem) == "满意和基本满意的户数合计不能超过调查户数"
    assert problem_text(problem, "en") == ("Satisfied and basically satisfied households cannot be more than "
                                           "the households asked")
    file_sheet(survey_rt, CONGRESS, project, "survey_summary",  # exactly as many: kept
               {"surveyed_on": "2025-11-20", "households": "300", "satisfied": "280", "basic": "20"})
    with pytest.raises(TransitionRefused):  # one summary filed, but no deputy has rated yet
        transition(survey_rt, CONGRESS, project, "evaluate")


def test_a_check_naming_a_field_the_form_lacks_is_a_config_error(tmp_path):
    folder = tmp_path / "typo"
    (folder / "forms").mkdir(parents=True)
    (folder / "profile.yaml").write_text(f"extends: {CONFIG}\n", encoding="utf-8")
    (folder / "forms" / "project_rating.yaml").write_text(
        "checks:\n  - check: ratng != 'unsatisfied' or comment != ''\n    field: coment\n    message: 不满意请说明理由\n",
        encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_profile(folder)
    assert [str(p) for p in refused.value.problems] == [
        f"{folder}/forms/project_rating.yaml:2: At Form(id='project_rating') -> checks -> FormCheck[0] -> check: "
        f"unknown name 'ratng' (did you mean 'rating'?) (at column 1 of «ratng != 'unsatisfied' or comment != ''») "
        f"(merged with {CONFIG}/forms/project_rating.yaml)",
        f"{folder}/forms/project_rating.yaml:3: At Form(id='project_rating') -> checks -> FormCheck[0] -> field: "
        f"form 'project_rating' has no field 'coment' (did you mean 'comment'?) "
        f"(merged with {CONFIG}/forms/project_rating.yaml)"]
