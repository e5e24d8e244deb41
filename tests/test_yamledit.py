"""Values of a profile file edited in a table: only the value's characters change; comments,
layout and quotes stay; the value keeps its kind; an edit that would read otherwise is refused."""
from __future__ import annotations

import glob

import pytest
import yaml

from engine.profile.yamledit import EditError, leaves, with_values
from tests.conftest import CONFIG

TEXT = """\
# the county's screening rule
rows:
  - id: reserve
    when:
      - total >= 15   # the reserve line
      - lowest >= 3
    reason: '合计不低于 15 分'
  - {id: low, when: total < 15, share: 30%, places: 3}
fraction: 1/2
enabled: true
"""


def at(text, where):
    return next(leaf for leaf in leaves(text) if leaf.where == where)


def test_every_value_is_listed_with_its_place_and_line():
    found = {leaf.where: (leaf.value, leaf.line) for leaf in leaves(TEXT)}
    assert found["rows → [reserve] → when → 1"] == ("total >= 15", 5)
    assert found["rows → [low] → places"] == (3, 8)
    assert found["enabled"] == (True, 10)


def test_an_edit_changes_only_that_value():
    edited = with_values(TEXT, {at(TEXT, "rows → [reserve] → when → 1").path: "total >= 14"})
    assert edited == TEXT.replace("total >= 15   #", "total >= 14   #")


def test_values_keep_their_kind_and_their_quotes():
    edited = with_values(TEXT, {at(TEXT, "rows → [low] → places").path: "4",
                                at(TEXT, "rows → [reserve] → reason").path: "合计不低于 14 分",
                                at(TEXT, "fraction").path: "2/3"})
    data = yaml.safe_load(edited)
    assert data["rows"][1]["places"] == 4 and data["fraction"] == "2/3"
    assert "reason: '合计不低于 14 分'" in edited and "# the reserve line" in edited


def test_a_text_that_would_break_a_flow_list_is_quoted():
    edited = with_values(TEXT, {at(TEXT, "rows → [low] → when").path: "total < 15, or less"})
    assert yaml.safe_load(edited)["rows"][1]["when"] == "total < 15, or less"
    assert yaml.safe_load(edited)["rows"][1]["share"] == "30%"


def test_a_list_typed_where_a_number_was_is_refused():
    with pytest.raises(EditError):
        with_values(TEXT, {at(TEXT, "rows → [low] → places").path: "[1, 2]"})


def test_the_shipped_files_are_read_back_unchanged_through_an_edit_of_nothing():
    for name in glob.glob(str(CONFIG / "**/*.yaml"), recursive=True):
        text = open(name, encoding="utf-8").read()
        assert leaves(text), name
        first = leaves(text)[0]
        assert with_values(text, {first.path: str(first.value) if isinstance(first.value, str) else
                                  yaml.safe_dump(first.value).split("\n")[0]}) == text, name
