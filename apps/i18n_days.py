"""Days of a profile in words (09-15: 每年9月15日 / 15 September each year) and the words of a
form's submission window. Part of apps.i18n's TEXT and PROBLEMS."""
from __future__ import annotations

import datetime as dt

from engine.schema.days import is_yearly, month_and_day

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")

# Problem parameters that are days of the profile, shown in words.
DAY_PARAMS = ("opens", "closes")

WINDOW_PROBLEMS: dict[str, tuple[str, str]] = {
    "form_closed_yearly": ("本表每年{opens}至{closes}接受填报，现在不在填报期内，请在填报期内再来。",
                           "This form takes submissions from {opens} to {closes} each year; it is closed now."),
    "form_closed": ("本表的填报期为{opens}至{closes}，现在不在填报期内。",
                    "This form took submissions from {opens} to {closes}; it is closed now."),
}

WINDOW_TEXT: dict[str, tuple[str, str]] = {
    "window.yearly": ("填报期：每年{opens}至{closes}", "Open from {opens} to {closes} each year"),
    "window.once": ("填报期：{opens}至{closes}", "Open from {opens} to {closes}"),
}


def day_words(day: str, lang: str = "zh") -> str:
    """09-15 as 9月15日 (15 September); 2026-09-15 as 2026年9月15日 (15 September 2026)."""
    month, day_of_month = month_and_day(day)
    year = "" if is_yearly(day) else str(dt.date.fromisoformat(day).year)
    if lang == "en":
        return f"{day_of_month} {MONTHS_EN[month - 1]}" + (f" {year}" if year else "")
    return (f"{year}年" if year else "") + f"{month}月{day_of_month}日"


def shown_days(params: dict, lang: str = "zh") -> dict:
    """A problem's parameters with its days in words."""
    return {k: day_words(v, lang) if k in DAY_PARAMS and isinstance(v, str) else v for k, v in params.items()}
