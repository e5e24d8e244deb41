"""Decision tables as grids (the policy page's 决策表): a line per rule row, the default last; an
edited grid back as the file's values, rewriting only what changed; a changed shape refused."""
from __future__ import annotations

import pytest
import yaml

from engine.profile.grids import decision_grids, grid_edits
from engine.profile.loader import load_profile
from engine.profile.yamledit import EditError, with_values
from tests.conftest import CONFIG
from tests.test_second_county import QINGSHAN

SCREENING = (CONFIG / "rules" / "screening.yaml").read_text(encoding="utf-8")


def typed(grid):
    """What the page hands back for an untouched grid: every cell but the id."""
    return [{c: row[c].text if c in row else None for c in grid.columns if c != "id"} for row in grid.rows]


def test_a_rule_file_reads_as_its_tables():
    [grid] = decision_grids(SCREENING)
    table = load_profile(CONFIG).rules["screening"].tables["screening"]
    assert (grid.table, grid.hit_policy, grid.columns) == ("screening", "FIRST", ("id", "when", "outcome", "reason"))
    assert [r["id"].text for r in grid.rows] == [r.id for r in table.rows] + [table.default.id]
    assert grid.default == table.default.id
    reserve = grid.rows[[r["id"].text for r in grid.rows].index("reserve")]
    assert reserve["when"].text == "total >= 15；lowest >= 3；u >= 3" and reserve["outcome"].text == "reserve"
    assert decision_grids((CONFIG / "county.yaml").read_text(encoding="utf-8")) == []  # not a rule file


def test_every_rule_file_of_both_profiles_makes_grids_that_give_back_the_same_file():
    for folder in (CONFIG, QINGSHAN):
        for path in sorted((folder / "rules").glob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            grids = decision_grids(text)
            assert grids, path
            for grid in grids:
                assert grid_edits(grid, typed(grid)) == {}


def test_an_edited_condition_rewrites_that_value_only():
    [grid] = decision_grids(SCREENING)
    rows = typed(grid)
    at = [r["id"].text for r in grid.rows].index("reserve")
    rows[at]["when"] = "total >= 14 ；lowest >= 3；u >= 3"
    rows[at]["reason"] = rows[at]["reason"] + "。"
    changed = with_values(SCREENING, grid_edits(grid, rows))
    before, after = SCREENING.splitlines(), changed.splitlines()
    assert len(before) == len(after)
    assert [(a, b) for a, b in zip(before, after) if a != b] == [
        ("          - total >= 15", "          - total >= 14"),
        *[(a, b) for a, b in zip(before, after) if a != b and "reason" in a]]
    assert sum(a != b for a, b in zip(before, after)) == 2


TWO_ROWS = """\
tables:
  - id: grade
    hit_policy: FIRST
    rows:
      - {id: high, when: [score >= 90, late == 0], outcome: a, reason: 优秀}
      - {id: low, when: score < 60, outcome: c}
    default: {id: other, when: "true", outcome: b, reason: 合格}
"""


@pytest.mark.parametrize("row, column, value, code, params", [
    ("high", "when", "score >= 90", "part_count", {"parts": 2}),  # a condition removed: the text view's job
    ("low", "reason", "不及格", "row_has_no_value", {}),  # a key the row does not have: added in the text view
    ("high", "id", "top", "row_id", {}),
])
def test_a_changed_shape_is_refused_in_words(row, column, value, code, params):
    [grid] = decision_grids(TWO_ROWS)
    assert grid.columns == ("id", "when", "outcome", "reason") and grid.default == "other"
    rows = [{c: r[c].text if c in r else None for c in grid.columns} for r in grid.rows]
    rows[[r["id"].text for r in grid.rows].index(row)][column] = value
    with pytest.raises(EditError) as refused:
        grid_edits(grid, rows)
    assert refused.value.code == code and refused.value.params == params
    assert row in refused.value.where
    rows = [{c: r[c].text if c in r else None for c in grid.columns if c != "id"} for r in grid.rows]
    rows[0]["when"] = "score >= 85；late == 0"  # the same two parts: written in place, flow style kept
    changed = with_values(TWO_ROWS, grid_edits(grid, rows))
    assert yaml.safe_load(changed)["tables"][0]["rows"][0]["when"] == ["score >= 85", "late == 0"]
    assert changed.replace("'score >= 85'", "score >= 90") == TWO_ROWS
