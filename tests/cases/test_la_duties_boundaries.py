"""The duties' pure decisions at their boundaries: standard transition times, the new-pupil
return's 5th school day, Ground I at 19/20/21 school days, expected illness at 14/15."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from cases.duties.transitions import (
    joined_at_standard_transition,
    left_at_standard_transition,
    new_pupil_return_due,
    year_before,
)
from school.calendar import SchoolCalendar
from tests.cases.test_la_duties import (
    at,
    between,
    expect_illness,
    of_kind,
    pupil_id,
    pupil_row,
    review,
)
from tests.conftest import CALENDAR
from tests.register_builder import build_register, calendar, days_between, present

D = date.fromisoformat
CAL = SchoolCalendar.from_toml(CALENDAR.read_text())
EMMANUEL = [5, 6, 7, 8]


@pytest.mark.parametrize(
    ("year", "admitted", "standard"),
    [
        (5, "2025-08-29", True),  # before the year: first day on roll Thu 4 Sep, the first
        (5, "2025-09-03", True),  # the INSET day before the first school day
        (5, "2025-09-04", True),  # the first school day itself
        (5, "2025-09-05", False),  # a day late
        (6, "2025-09-04", False),  # not the most junior year group
        (5, "2026-09-03", True),  # next year's first school day
    ],
)
def test_joining_at_a_standard_transition(year: int, admitted: str, standard: bool) -> None:
    assert joined_at_standard_transition(CAL, EMMANUEL, year, D(admitted)) is standard


@pytest.mark.parametrize(
    ("year", "left", "standard"),
    [
        (8, "2026-07-20", True),  # the last school day (Tue 21 Jul is INSET)
        (8, "2026-08-31", True),  # in the summer holiday
        (8, "2026-07-17", False),  # the Friday before
        (7, "2026-07-20", False),  # not the final year group
    ],
)
def test_leaving_at_a_standard_transition(year: int, left: str, standard: bool) -> None:
    assert left_at_standard_transition(CAL, EMMANUEL, year, D(left)) is standard


@pytest.mark.parametrize(
    ("entered", "due"),
    [
        ("2025-09-08", "2025-09-15"),  # Mon: Tue to Fri, then Mon
        ("2025-09-13", "2025-09-19"),  # a Saturday: Mon to Fri
        ("2025-10-24", "2025-11-07"),  # last day before half-term
        ("2025-11-13", "2025-11-21"),  # Thu before the INSET Friday
    ],
)
def test_new_pupil_return_due_by_the_fifth_school_day_after_entry(entered: str, due: str) -> None:
    assert new_pupil_return_due(CAL, D(entered)) == D(due)


def test_the_year_of_returns_starts_after_the_last_school_day_before_it() -> None:
    assert year_before(CAL, D("2025-10-01")) == D("2025-07-31")  # before the calendar
    assert year_before(CAL, D("2026-10-01")) == D("2026-07-20")
    assert year_before(CAL, D("2026-08-15")) == D("2025-07-31")  # August: the year just ended


def test_ground_i_at_19_20_and_21_school_days(
    session: Session, school: str, tmp_path: Path
) -> None:
    """Reviewed on Fri 10 Oct 2025: absent O since Mon 15 Sep is 20 school days, since Tue 16 Sep
    19, since Fri 12 Sep 21."""
    cal = calendar(session, school)
    starts = {1: "2025-09-16", 2: "2025-09-15", 3: "2025-09-12"}
    assert [len(days_between(cal, D(s), D("2025-10-10"))) for s in starts.values()] == [19, 20, 21]
    patterns = {n: between(first, "2025-12-19", "O") for n, first in starts.items()}
    build_register(
        session, school, tmp_path, at("2025-10-10"), {n: pupil_row(n) for n in starts}, patterns,
        days_between(cal, D("2025-09-04"), D("2025-10-10")),
    )  # fmt: skip
    raised = of_kind(review(session, school, "2025-10-10"), "deletion_ground")
    assert sorted((d.pupil_id, d.trigger_key, d.details["school_days"]) for d in raised) == [
        (pupil_id(session, 2), "2025-09-15", 20),
        (pupil_id(session, 3), "2025-09-12", 21),
    ]


@pytest.mark.parametrize(("days", "returned"), [(14, False), (15, True)])
def test_expected_illness_at_14_and_15_school_days(
    session: Session, school: str, tmp_path: Path, days: int, returned: bool
) -> None:
    cal = calendar(session, school)
    build_register(
        session, school, tmp_path, at("2025-10-24"), {1: pupil_row(1)}, {1: present},
        days_between(cal, D("2025-09-04"), D("2025-10-24")),
    )  # fmt: skip
    raised = expect_illness(session, school, 1, "2025-11-03", days, "operation", "2025-10-24")
    assert [(d.kind, d.due_on) for d in raised] == (
        [("sickness_return", D("2025-10-24"))] if returned else []
    )
