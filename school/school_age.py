"""Compulsory school age (Education Act 1996 s8; spec §7.1)."""

from __future__ import annotations

from datetime import date, timedelta

# CSA starts on the first of these on or after the fifth birthday.
_PRESCRIBED_DAYS = ((3, 31), (8, 31), (12, 31))


def _birthday(born: date, age: int) -> date:
    try:
        return born.replace(year=born.year + age)
    except ValueError:  # born on 29 February
        return date(born.year + age, 3, 1)


def csa_start(born: date) -> date:
    """The first prescribed day (31 Mar, 31 Aug, 31 Dec) on or after the fifth birthday."""
    fifth = _birthday(born, 5)
    for year in (fifth.year, fifth.year + 1):
        for month, day in _PRESCRIBED_DAYS:
            candidate = date(year, month, day)
            if candidate >= fifth:
                return candidate
    raise AssertionError("unreachable: 31 Dec always follows")


def last_friday_in_june(year: int) -> date:
    day = date(year, 6, 30)
    return day - timedelta(days=(day.weekday() - 4) % 7)


def csa_end(born: date) -> date:
    """The school-leaving date: last Friday in June of the school year in which they turn 16."""
    sixteenth = _birthday(born, 16)
    # Turning 16 between 1 Sep and 31 Dec falls in the school year ending the next June.
    leaving_year = sixteenth.year + 1 if sixteenth.month >= 9 else sixteenth.year
    return last_friday_in_june(leaving_year)


def is_compulsory_school_age(born: date, on: date) -> bool:
    """Whether a pupil is of compulsory school age on a date (both ends inclusive)."""
    return csa_start(born) <= on <= csa_end(born)
