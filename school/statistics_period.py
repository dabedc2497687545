"""The dates a school's figures are counted over, from its calendar (no database needed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from school.calendar import SchoolCalendar
from school.law import N_CODE_SCHOOL_DAYS, NATIONAL_THRESHOLD_WEEKS


@dataclass(frozen=True)
class Period:
    """The dates the figures are counted over, worked out once from the calendar."""

    as_of: date
    year_start: date
    half_term_start: date
    term_start: date
    window_start: date  # Monday of the first of the 10 school weeks ending with as_of's week
    last_school_day_index: int  # -1 when no school day has happened yet
    overdue_n_before: date  # an N on or before this date is older than the N-code window


def period_for(
    calendar: SchoolCalendar, as_of: date, n_code_school_days: int = N_CODE_SCHOOL_DAYS
) -> Period:
    """The counting period for an as-of date (holiday dates count back to the last school day).

    `n_code_school_days` is the school's window for replacing an N: the law's 5 school days, or
    fewer where its policy says so.
    """
    year_start = calendar.academic_year_start(as_of)
    last = calendar.last_school_day_on_or_before(as_of)
    half_term = calendar.half_term_span(as_of)
    term = calendar.term_span(as_of)
    if last is None:
        return Period(as_of, year_start, as_of, as_of, as_of, -1, date.min)
    first_week = max(last.school_week - (NATIONAL_THRESHOLD_WEEKS - 1), 0)
    first_day = next(d for d in calendar.days if d.school_week == first_week)
    overdue_index = last.day_index - n_code_school_days
    return Period(
        as_of=as_of,
        year_start=year_start,
        half_term_start=half_term[0] if half_term else as_of,
        term_start=term[0] if term else as_of,
        window_start=first_day.date - timedelta(days=first_day.date.weekday()),
        last_school_day_index=last.day_index,
        overdue_n_before=calendar.days[overdue_index].date if overdue_index >= 0 else date.min,
    )
