"""Building a school's register for a test through the public import, then reading figures."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path

from sqlmodel import Session

from school.calendar import SchoolCalendar, SchoolDay
from school.clock import Clock
from school.register_import import RegisterFiles, import_register
from school.schools import calendar_of, get_school
from school.statistics import PupilStatistics, attendance_statistics
from tests.register_files import upn, write_marks, write_pupils

# A code for (school day, session), or None for no mark.
Pattern = Callable[[SchoolDay, str], str | None]


def present(day: SchoolDay, session: str) -> str:
    return "/" if session == "AM" else "\\"


def calendar(session: Session, school: str) -> SchoolCalendar:
    return calendar_of(get_school(session, school))


def days_between(cal: SchoolCalendar, first: date, last: date) -> list[SchoolDay]:
    return [d for d in cal.days if first <= d.date <= last]


def build_register(
    session: Session,
    school: str,
    folder: Path,
    clock: Clock,
    pupils: dict[int, Sequence[object]],
    patterns: dict[int, Pattern],
    days: Iterable[SchoolDay],
) -> None:
    """Import the given pupils (rows from pupil_row) and their marks for the given days."""
    folder.mkdir(parents=True, exist_ok=True)
    days = list(days)
    rows = []
    for n, pattern in patterns.items():
        for day in days:
            for sess in day.sessions:
                code = pattern(day, sess)
                if code is not None:
                    # L within every seed's register window (St John Bosco's: 5 min), U after any.
                    minutes = 3 if code == "L" else 45 if code == "U" else ""
                    rows.append([upn(n), day.date.isoformat(), sess, code, minutes])
    write_pupils(folder, pupils.values())
    write_marks(folder, rows)
    import_register(session, school, RegisterFiles.in_folder(folder), clock)


def figures(session: Session, school: str, as_of: date) -> dict[int, PupilStatistics]:
    """Figures keyed by the test pupil number used to make the UPN."""
    by_upn = {f.upn: f for f in attendance_statistics(session, school, as_of)}
    return {n: by_upn[upn(n)] for n in range(1, 1000) if upn(n) in by_upn}


def ill_autumn_half_term(
    session: Session, school: str, folder: Path, clock: Clock, pupil: Sequence[object]
) -> list[SchoolDay]:
    """Pupil 1 (`pupil`, a pupil_row) ill on about 8% of Autumn 1's school days, 4 Sept to
    24 Oct 2025: below 95%, enough for a first letter. Returns the days they were ill."""
    days = days_between(calendar(session, school), date(2025, 9, 4), date(2025, 10, 24))
    ill = {d.date for d in days[::12]} | {d.date for d in days[1::12]}
    pattern = lambda day, sess: "I" if day.date in ill else present(day, sess)
    build_register(session, school, folder, clock, {1: pupil}, {1: pattern}, days)
    return [d for d in days if d.date in ill]
