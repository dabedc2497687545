"""The benchmark's references (floor SQL, naive loop) give exactly the engine's figures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from bench.statistics_common import (
    FLOOR,
    NAIVE,
    check_same,
    floor_statistics,
    floor_statistics_many,
    naive_statistics,
)
from demo.school_data import generate, write_csvs
from school.clock import FixedClock
from school.register_import import RegisterFiles, import_register
from school.schools import calendar_of, get_school
from school.statistics import attendance_statistics

UNTIL = date(2025, 12, 19)  # the demo register runs to the end of the autumn term
AS_OF_DATES = (
    date(2025, 8, 29),  # before the first school day: nothing counted yet
    date(2025, 10, 1),  # mid half-term
    date(2025, 10, 29),  # in the October half-term holiday
    date(2025, 11, 20),
    UNTIL,  # the last day marked
    date(2026, 1, 2),  # Christmas holiday: counts back to the last school day
)


@pytest.fixture
def demo_school(session: Session, school: str, clock: FixedClock, tmp_path: Path) -> str:
    calendar = calendar_of(get_school(session, school))
    data = generate(40, 3, calendar, [5, 6, 7, 8], until=UNTIL)
    write_csvs(data, tmp_path)
    import_register(session, school, RegisterFiles.in_folder(tmp_path), clock)
    return school


def test_floor_and_naive_give_the_engines_figures(session: Session, demo_school: str) -> None:
    seen = []
    for as_of in AS_OF_DATES:
        engine = attendance_statistics(session, demo_school, as_of)
        check_same(FLOOR, engine, floor_statistics(session, demo_school, as_of), str(as_of))
        many = floor_statistics_many(session, [demo_school], as_of)
        check_same(FLOOR + " (many)", engine, many[demo_school], str(as_of))
        check_same(NAIVE, engine, naive_statistics(session, demo_school, as_of), str(as_of))
        seen.extend(engine)
    # The comparison means something only if the register exercises every figure.
    assert any(f.national_threshold_first_met_on for f in seen)
    assert any(f.national_threshold_met for f in seen)
    assert any(f.consecutive_unauthorised_school_days for f in seen)
    assert any(f.overdue_n_codes for f in seen)
    assert any(f.illness_school_days for f in seen)
    assert any(f.late_before_close_half_term for f in seen)
    assert any(f.late_after_close_term for f in seen)
    assert any(f.aea_sessions for f in seen)
    assert any(f.persistent_absence for f in seen)
    assert any(f.attendance_pct is None for f in seen)
