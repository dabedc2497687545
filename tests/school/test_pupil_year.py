"""A pupil's year week by week: attendance to each week's end, as the DfE rate counts it."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from school.calendar import SchoolCalendar
from school.pupil_year import PupilYear
from tests.conftest import CALENDAR


def test_each_week_carries_the_year_so_far_and_codes_count_as_the_dfe_counts_them() -> None:
    calendar = SchoolCalendar.from_toml(CALENDAR.read_text())
    as_of = date(2026, 9, 25)
    start = calendar.academic_year_start(as_of)
    days = [d for d in calendar.days if start <= d.date <= as_of]
    marks: dict[tuple[date, str], str] = {}
    for d in days:
        for s in d.sessions:
            marks[(d.date, s)] = "/" if s == "AM" else "\\"
    first_monday = days[0].date - timedelta(days=days[0].date.weekday())
    second = first_monday + timedelta(days=7)
    # Week two: an unauthorised day (O O), an approved trip (P) and a non-possible X.
    marks[(second, "AM")], marks[(second, "PM")] = "O", "O"
    marks[(second + timedelta(days=1), "AM")] = "P"
    marks[(second + timedelta(days=2), "PM")] = "X"
    weeks = PupilYear(start, as_of, marks).weeks(calendar)
    assert [w.monday for w in weeks][:2] == [first_monday, second]
    assert weeks[0].pct == 100.0
    first_possible = weeks[0].possible
    assert weeks[1].possible == first_possible + 9  # ten sessions, the X not possible
    assert weeks[1].attended == weeks[1].possible - 2  # P attends; O O do not
    assert weeks[-1].possible == sum(1 for c in marks.values() if c != "X")
    assert all(a.possible <= b.possible for a, b in pairwise(weeks))


def test_no_marks_yet_gives_no_rate() -> None:
    calendar = SchoolCalendar.from_toml(CALENDAR.read_text())
    as_of = date(2026, 9, 4)
    weeks = PupilYear(calendar.academic_year_start(as_of), as_of, {}).weeks(calendar)
    assert weeks and all(w.pct is None for w in weeks)
