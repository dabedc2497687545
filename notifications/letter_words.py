"""The figures and dates in a letter's words: "18½ days", "about 120 hours", "Year 7"."""

from __future__ import annotations

from datetime import date

# A session is half a day. Hours of learning use the DfE's expected minimum school week of
# 32.5 hours (6.5 hours a day) from September 2024: an estimate, so letters say "about".
HOURS_PER_SESSION = 3.25


def days_words(sessions: int) -> str:
    """Sessions as days: 37 -> "18½ days", 1 -> "half a day", 2 -> "1 day"."""
    whole, half = divmod(max(sessions, 0), 2)
    if whole == 0 and half:
        return "half a day"
    number = f"{whole}½" if half else str(whole)
    return f"{number} {'day' if sessions == 2 else 'days'}"


def hours_words(sessions: int) -> str:
    hours = round(sessions * HOURS_PER_SESSION)
    return f"about {hours} hour{'' if hours == 1 else 's'}"


def weeks_words(sessions: int) -> str | None:
    """School weeks to the nearest half (a week is 10 sessions); None under half a week."""
    halves = round(sessions / 5)
    if halves < 1:
        return None
    whole, half = divmod(halves, 2)
    number = ("half a" if whole == 0 else f"{whole}½") if half else str(whole)
    return f"about {number} school week{'' if halves <= 2 else 's'}"


def date_words(on: date) -> str:
    return f"{on.day} {on:%B %Y}"


def day_words(on: date) -> str:
    return f"{on:%A} {on.day} {on:%B %Y}"


def year_group_words(year_group: int) -> str:
    if year_group < 0:
        return "Nursery"
    return "Reception" if year_group == 0 else f"Year {year_group}"
