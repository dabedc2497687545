"""Standard transition times and the new-pupil return's deadline: pure decisions on the calendar.

Reg 13 asks for a return to the LA when a pupil joins or leaves outside the standard transition
times. The engine reads those times from the school's own policy and calendar, the same for every
school: a pupil *joins* at a standard time when they are placed in the school's most junior year
group (the first of the policy's `year_groups`) and their first school day on roll is the first
school day of a school year (reg 13(3)); a pupil *leaves* at a standard time when they are in the
school's final year group (the last of `year_groups`) and their last school day on roll is the
last school day of a school year. Every other admission or deletion is outside them.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Sequence
from datetime import date

from school.calendar import SchoolCalendar, SchoolDay, academic_year_of
from school.law import NEW_PUPIL_RETURN_SCHOOL_DAYS


def first_school_day_after(calendar: SchoolCalendar, day: date) -> int:
    """The index in `calendar.days` of the first school day strictly after a date."""
    return bisect_right([d.date for d in calendar.days], day)


def first_school_day_on_roll(calendar: SchoolCalendar, admitted: date) -> SchoolDay | None:
    index = first_school_day_after(calendar, admitted - dt.timedelta(days=1))
    return calendar.days[index] if index < len(calendar.days) else None


def _first_of_its_year(calendar: SchoolCalendar, day: SchoolDay) -> bool:
    i = day.day_index
    return i == 0 or calendar.days[i - 1].academic_year != day.academic_year


def _last_of_its_year(calendar: SchoolCalendar, day: SchoolDay) -> bool:
    i = day.day_index
    return i == len(calendar.days) - 1 or calendar.days[i + 1].academic_year != day.academic_year


def joined_at_standard_transition(
    calendar: SchoolCalendar, year_groups: Sequence[int], year_group: int, admitted: date
) -> bool:
    """Placed in the most junior year group, starting on the first school day of a school year."""
    first = first_school_day_on_roll(calendar, admitted)
    return (
        year_group == min(year_groups) and first is not None and _first_of_its_year(calendar, first)
    )


def left_at_standard_transition(
    calendar: SchoolCalendar, year_groups: Sequence[int], year_group: int, left: date
) -> bool:
    """In the final year group, on roll to the last school day of a school year."""
    last = calendar.last_school_day_on_or_before(left)
    return year_group == max(year_groups) and last is not None and _last_of_its_year(calendar, last)


def new_pupil_return_due(calendar: SchoolCalendar, entered: date) -> date:
    """The 5th school day after the day the name was entered (reg 13(1)); past the calendar's
    end, a calendar week after, so a return is never left without a date."""
    index = first_school_day_after(calendar, entered) + NEW_PUPIL_RETURN_SCHOOL_DAYS - 1
    if index < len(calendar.days):
        return calendar.days[index].date
    return entered + dt.timedelta(days=7)


def year_before(calendar: SchoolCalendar, as_of: date) -> date:
    """The last school day before the school year in force on a date; where the calendar does
    not reach back that far, 31 July before it (the academic year runs from 1 August).

    Admissions and leaving dates after it belong to this school year's returns.
    """
    start = calendar.academic_year_start(as_of)
    index = first_school_day_after(calendar, start - dt.timedelta(days=1))
    if index > 0:
        return calendar.days[index - 1].date
    return date(academic_year_of(start), 7, 31)
