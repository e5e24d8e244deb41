"""`extends: <name>`: a county extends a template by name (the shipped Sangzhi profile, or a
province's templates in MINSHENG_TEMPLATES), wherever its folder is; an unknown name is refused
with the names there are."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from apps.cli import app
from engine.kernel.errors import ConfigError
from engine.profile.loader import load_profile
from engine.profile.templates import templates
from tests.conftest import CONFIG


def county(folder, extends: str):
    folder.mkdir(parents=True)
    (folder / "profile.yaml").write_text(f"extends: {extends}\n", encoding="utf-8")
    (folder / "county.yaml").write_text("name: 示例县\n", encoding="utf-8")
    return folder


def test_the_shipped_profile_is_extended_by_its_name_from_any_folder(tmp_path):
    assert templates()["sangzhi"].resolve() == CONFIG.resolve()
    profile = load_profile(county(tmp_path / "anywhere" / "deep" / "example", "sangzhi"))
    assert profile.county.name == "示例县"
    assert profile.votes.keys() == load_profile(CONFIG).votes.keys()


def test_a_provinces_templates_come_from_the_folders_it_lists(tmp_path, monkeypatch):
    shelf = tmp_path / "province-templates"
    county(shelf / "hunan-township", str(CONFIG))  # a province template that is itself an overlay
    (shelf / "hunan-township" / "county.yaml").write_text("name: 湖南省乡镇模板\nyear: 2026\n", encoding="utf-8")
    monkeypatch.setenv("MINSHENG_TEMPLATES", f"{tmp_path / 'nothing-here'}:{shelf}")
    profile = load_profile(county(tmp_path / "county", "hunan-township"))
    assert (profile.county.name, profile.county.year) == ("示例县", 2026)  # three levels: Sangzhi, province, county
    result = CliRunner().invoke(app, ["profile", "templates"])
    assert result.exit_code == 0
    listed = dict(line.split(maxsplit=1) for line in result.output.splitlines())
    assert listed == {"hunan-township": str(shelf / "hunan-township"), "sangzhi": str(CONFIG.resolve())}


def test_an_unknown_name_is_refused_with_the_names_there_are(tmp_path):
    folder = county(tmp_path / "our-county", "sangzi")
    with pytest.raises(ConfigError) as refused:
        load_profile(folder)
    assert [str(p) for p in refused.value.problems] == [
        f"{folder}/profile.yaml:1: extends 'sangzi', but there is no profile folder {folder}/sangzi and no "
        "template of that name (did you mean 'sangzhi'?); templates: sangzhi"]
