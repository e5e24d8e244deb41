"""In headless Chromium: the public suggestion page of a county whose intake is open on some days
of the year says when it is open; outside the window it says so instead of showing a form to fill
in for nothing. The windows are set around the real date, as the app runs on the wall clock."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from apps.i18n_days import day_words
from tests.test_browser import SHOTS, page, serving, wait_for_text  # noqa: F401  (fixtures)
from tests.test_windows import windowed

pytestmark = pytest.mark.browser


def yearly(day: dt.date) -> str:
    return "02-28" if (day.month, day.day) == (2, 29) else day.strftime("%m-%d")


def test_the_suggestion_page_says_when_the_intake_is_open(tmp_path, db_url, page):  # noqa: F811
    today = dt.date.today()
    # from yesterday (UTC) to two days after: today in Beijing whatever the hour
    opens, closes = yearly(today - dt.timedelta(days=1)), yearly(today + dt.timedelta(days=2))
    folder = windowed(tmp_path / "open", f"{{from: '{opens}', to: '{closes}'}}")
    with serving(folder, db_url, tmp_path) as server:
        page.goto(f"{server}/new-suggestion")
        wait_for_text(page, f"填报期：每年{day_words(opens)}至{day_words(closes)}")
        expect(page.get_by_role("button", name="提交")).to_be_visible()


def test_outside_the_window_the_page_says_so_and_shows_no_form(tmp_path, db_url, page):  # noqa: F811
    today = dt.date.today()
    opens, closes = yearly(today + dt.timedelta(days=10)), yearly(today + dt.timedelta(days=40))
    folder = windowed(tmp_path / "closed", f"{{from: '{opens}', to: '{closes}'}}")
    with serving(folder, db_url, tmp_path) as server:
        page.goto(f"{server}/new-suggestion")
        wait_for_text(page, f"本表每年{day_words(opens)}至{day_words(closes)}接受填报，现在不在填报期内")
        expect(page.get_by_role("button", name="提交")).to_have_count(0)
        expect(page.get_by_text("建议标题")).to_have_count(0)
        page.screenshot(path=str(SHOTS / "suggestion-window-closed.png"), full_page=True)
