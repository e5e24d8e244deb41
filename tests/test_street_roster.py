"""A street (街道) without a congress of its own votes through a deputies' group fixed for it
(`roster.votes_in`): its ballots' roster is the deputies whose record names the street, wherever
the record is filed, and not the deputies filed under the street who vote elsewhere."""
from __future__ import annotations

import pytest

from engine.core import records
from engine.core.actors import SYSTEM
from engine.core.runtime import Runtime
from engine.features.voting import roster_from_records
from engine.kernel.errors import ConfigError
from engine.profile.loader import load_profile
from tests.conftest import CONFIG, overlay

GROUP_FIELD = ("fields:\n  - {id: votes_in, label: 参加票决的街道代表组, label_en: Votes in, type: reference, "
               "to: townships}\n")


def street_profile(folder, votes: str = "roster: {votes_in: votes_in}\n", form: str = GROUP_FIELD):
    return overlay(folder, {"forms/deputy.yaml": form, "votes/township_congress.yaml": votes})


def test_a_streets_ballot_roster_is_the_group_that_votes_for_it(tmp_path, db_url):
    rt = Runtime.open(street_profile(tmp_path / "street"), db_url)
    try:
        for name, filed_under, votes_in in (("王一", "t01", "t02"), ("李二", "t03", "t02"), ("赵三", "t02", "t05"),
                                            ("刘四", "t02", None)):
            records.submit(rt, SYSTEM, "deputy", {"name": name, "township": filed_under,
                                                  **({"votes_in": votes_in} if votes_in else {})})
        assert [name for _, name, _, _ in roster_from_records(rt, "township_congress", "t02")] == ["王一", "李二"]
        assert [name for _, name, _, _ in roster_from_records(rt, "township_congress", "t05")] == ["赵三"]
    finally:
        rt.db.dispose()


def test_votes_in_must_be_a_township_field_of_the_roster_form(tmp_path):
    folder = street_profile(tmp_path / "bad", votes="roster: {votes_in: name}\n", form="title: '{name}'\n")
    with pytest.raises(ConfigError) as refused:
        load_profile(folder)
    assert [str(p) for p in refused.value.problems] == [
        f"{folder}/votes/township_congress.yaml:1: At VoteRules(id='township_congress') -> roster -> votes_in: "
        f"field 'name' of form 'deputy' is not a township (a reference to townships) "
        f"(merged with {CONFIG}/votes/township_congress.yaml)"]
