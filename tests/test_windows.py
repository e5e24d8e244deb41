"""A form's submission window: a suggestion intake open from 09-15 to 10-15 every year, without
editing the profile when the year turns; the county's own day; sheets held to their form's
window; refusals in words; mistakes in the window refused at load."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from apps.i18n import problem_text
from engine.core import records, sheets
from engine.core.actors import ANONYMOUS, SYSTEM, Actor
from engine.core.runtime import Runtime
from engine.kernel import clock
from engine.kernel.errors import ConfigError, InputError, Problem
from engine.profile.loader import load_profile
from engine.store.tables import Record
from tests.conftest import CONFIG

SCREENER = Actor("screener", "筛选小组", frozenset({"screening_group"}), township="t02")
UTC = dt.timezone.utc


def windowed(folder, suggestion_window: str, sheet_window: str | None = None):
    (folder / "forms").mkdir(parents=True)
    (folder / "profile.yaml").write_text(f"extends: {CONFIG}\n", encoding="utf-8")
    (folder / "forms" / "suggestion.yaml").write_text(f"access:\n  submit_window: {suggestion_window}\n",
                                                      encoding="utf-8")
    if sheet_window:
        (folder / "forms" / "screening_score.yaml").write_text(f"access:\n  submit_window: {sheet_window}\n",
                                                               encoding="utf-8")
    return folder


@pytest.fixture
def wrt(tmp_path, db_url):
    runtime = Runtime.open(windowed(tmp_path / "autumn", "{from: 09-15, to: 10-15}"), db_url)
    yield runtime
    runtime.db.dispose()


def stored(rt) -> int:
    with rt.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Record))


def submit_on(rt, moment, good, actor=ANONYMOUS):
    with clock.at(moment):
        return records.submit(rt, actor, "suggestion", good)


def test_a_yearly_window_takes_submissions_on_its_days_every_year(wrt, good_suggestion):
    for day in (dt.date(2027, 9, 15), dt.date(2027, 10, 1), dt.date(2027, 10, 15), dt.date(2031, 9, 20)):
        submit_on(wrt, day, good_suggestion)
    assert stored(wrt) == 4
    for day in (dt.date(2027, 9, 14), dt.date(2027, 10, 16), dt.date(2028, 3, 1)):
        with pytest.raises(InputError) as refused:
            submit_on(wrt, day, good_suggestion)
        problem = refused.value.problems[""]
        assert (problem.code, problem.params) == ("form_closed_yearly", {"opens": "09-15", "closes": "10-15"})
    assert stored(wrt) == 4  # a refusal writes nothing


def test_the_window_closes_at_midnight_in_the_countys_time_zone(wrt, good_suggestion):
    # 15:30 UTC on 10-15 is 23:30 in Beijing: still open; 16:30 UTC is 00:30 on 10-16 there: closed
    submit_on(wrt, dt.datetime(2027, 10, 15, 15, 30, tzinfo=UTC), good_suggestion)
    with pytest.raises(InputError):
        submit_on(wrt, dt.datetime(2027, 10, 15, 16, 30, tzinfo=UTC), good_suggestion)
    # and it opens at midnight Beijing time, eight hours before midnight UTC
    submit_on(wrt, dt.datetime(2027, 9, 14, 16, 30, tzinfo=UTC), good_suggestion)
    assert stored(wrt) == 2


def test_a_window_over_the_new_year(tmp_path, db_url, good_suggestion):
    rt = Runtime.open(windowed(tmp_path / "winter", "{from: 12-01, to: 01-31}"), db_url)
    submit_on(rt, dt.date(2027, 12, 20), good_suggestion)
    submit_on(rt, dt.date(2028, 1, 31), good_suggestion)
    with pytest.raises(InputError):
        submit_on(rt, dt.date(2028, 2, 1), good_suggestion)
    rt.db.dispose()


def test_a_window_of_full_dates_holds_for_that_year_only(tmp_path, db_url, good_suggestion):
    rt = Runtime.open(windowed(tmp_path / "once", "{from: 2027-09-15, to: 2027-10-15}"), db_url)
    submit_on(rt, dt.date(2027, 9, 30), good_suggestion)
    with pytest.raises(InputError) as refused:
        submit_on(rt, dt.date(2028, 9, 30), good_suggestion)
    assert refused.value.problems[""].code == "form_closed"
    rt.db.dispose()


def test_the_system_itself_is_not_held_to_the_window(wrt, good_suggestion):
    """The command line's own runs (imports of suggestions collected in the window, the demo)."""
    submit_on(wrt, dt.date(2027, 12, 1), good_suggestion, actor=SYSTEM)
    assert stored(wrt) == 1


def test_a_sheet_is_held_to_its_own_forms_window(tmp_path, db_url, good_suggestion):
    rt = Runtime.open(windowed(tmp_path / "sheets", "{from: 01-01, to: 12-31}", "{from: 10-16, to: 10-31}"), db_url)
    record = submit_on(rt, dt.date(2027, 10, 1), good_suggestion)
    marks = {"member": "成员1", "member_kind": "deputy", "necessity": 4, "feasibility": 4, "universality": 3,
             "urgency": 3}
    with clock.at(dt.date(2027, 10, 1)), pytest.raises(InputError) as refused:
        sheets.file_sheet(rt, SCREENER, record.id, "screening_score", marks)
    assert refused.value.problems[""].params == {"opens": "10-16", "closes": "10-31"}
    with clock.at(dt.date(2027, 10, 20)):
        sheets.file_sheet(rt, SCREENER, record.id, "screening_score", marks)
    rt.db.dispose()


def test_the_refusal_says_when_the_form_opens_in_words():
    closed = Problem("form_closed_yearly", {"opens": "09-15", "closes": "10-15"})
    assert problem_text(closed, "zh") == "本表每年9月15日至10月15日接受填报，现在不在填报期内，请在填报期内再来。"
    assert problem_text(closed, "en") == ("This form takes submissions from 15 September to 15 October each year; "
                                          "it is closed now.")


@pytest.mark.parametrize("window, words", [
    ("{from: 02-29, to: 03-31}", "02-29 is not a day of every year"),
    ("{from: 09-31, to: 10-15}", "'09-31' is not a day of the year"),
    ("{from: 09-15, to: 2027-10-15}", "write both days the same way"),
    ("{from: 2027-10-15, to: 2027-09-15}", "the window ends (2027-09-15) before it starts (2027-10-15)"),
    ("{from: 09-15, until: 10-15}", "until"),
])
def test_a_mistaken_window_is_refused_at_load_with_the_file_and_line(tmp_path, window, words):
    folder = windowed(tmp_path / "bad", window)
    with pytest.raises(ConfigError) as refused:
        load_profile(folder)
    message = str(refused.value)
    assert words in message
    assert f"{folder / 'forms' / 'suggestion.yaml'}:2" in message
    assert "submit_window" in message


def test_a_time_zone_that_does_not_exist_is_refused(tmp_path):
    folder = tmp_path / "zone"
    folder.mkdir()
    (folder / "profile.yaml").write_text(f"extends: {CONFIG}\n", encoding="utf-8")
    (folder / "county.yaml").write_text("time_zone: Asia/Sangzhi\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'Asia/Sangzhi' is not a time zone"):
        load_profile(folder)
