"""The attendance reports: persistent and severe absence, cohorts and the weekly trend.

Read from the same figures as `attendance stats` (`school.statistics.statistics_for`), with
the pupils' flags and a per-day count of marks each in one statement, so a page and the
command line always agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session

from school.codes import AEA_CODES, POSSIBLE_CODES, PRESENT_CODES
from school.roll import on_roll, year_label
from school.schools import LoadedSchool
from school.statistics import PupilStatistics, statistics_for
from school.tables import MARKS, PUPILS


@dataclass(frozen=True)
class ReportPupil:
    """One line of an absence list."""

    upn: str
    name: str
    year: str
    attendance_pct: float | None
    possible_sessions: int
    absent_sessions: int
    unauthorised_sessions: int


@dataclass(frozen=True)
class Cohort:
    """A group of pupils and their figures together, summed over exact session counts."""

    name: str
    pupils: int
    possible_sessions: int
    attended_sessions: int
    persistent: int
    severe: int

    @property
    def attendance_pct(self) -> float | None:
        return attendance_pct(self.attended_sessions, self.possible_sessions)


@dataclass(frozen=True)
class Week:
    """One school week of the whole school's attendance."""

    monday: date
    possible_sessions: int
    attended_sessions: int

    @property
    def attendance_pct(self) -> float | None:
        return attendance_pct(self.attended_sessions, self.possible_sessions)


def attendance_pct(attended: int, possible: int) -> float | None:
    """Attended (present or approved educational activity) over possible sessions, as %."""
    return 100.0 * attended / possible if possible else None


@dataclass(frozen=True)
class AbsenceReport:
    as_of: date
    persistent: list[ReportPupil]  # below 90%, severe ones included, lowest first
    severe: list[ReportPupil]  # below 50%
    cohorts: list[Cohort]
    weeks: list[Week]


# The cohorts a school reports on, in the DfE's order; year groups follow.
COHORTS: dict[str, Callable[[Any], bool]] = {
    "Whole school": lambda p: True,
    "SEND (EHCP or SEN support)": lambda p: bool(p.ehcp or p.send_support),
    "Free school meals": lambda p: bool(p.fsm),
    "Social worker": lambda p: bool(p.social_worker),
    "Looked after": lambda p: bool(p.looked_after),
}


def absence_report(session: Session, school: LoadedSchool, as_of: date) -> AbsenceReport:
    figures = {f.upn: f for f in statistics_for(session, school, as_of)}
    pupils = list(
        session.execute(
            select(PUPILS).where(on_roll(school.id, as_of)).order_by(PUPILS.c.upn)
        ).all()
    )
    lines = {p.upn: _line(p, figures[p.upn]) for p in pupils if p.upn in figures}
    persistent = [lines[u] for u, f in figures.items() if f.persistent_absence and u in lines]
    persistent.sort(key=lambda r: (r.attendance_pct or 0.0, r.name))
    severe = [r for r in persistent if figures[r.upn].severe_absence]
    groups = dict(COHORTS)
    for year in sorted({p.year_group for p in pupils}):
        groups[f"Year group {year_label(year)}"] = _in_year(year)
    cohorts = [
        _cohort(name, [figures[p.upn] for p in pupils if p.upn in figures and rule(p)])
        for name, rule in groups.items()
    ]
    return AbsenceReport(as_of, persistent, severe, cohorts, weekly_trend(session, school, as_of))


def _in_year(year: int) -> Callable[[Any], bool]:
    return lambda p: bool(p.year_group == year)


def _line(pupil: Any, f: PupilStatistics) -> ReportPupil:
    return ReportPupil(
        upn=f.upn,
        name=f"{pupil.given_name} {pupil.family_name}",
        year=year_label(pupil.year_group),
        attendance_pct=f.attendance_pct,
        possible_sessions=f.possible_sessions,
        absent_sessions=f.authorised_sessions + f.unauthorised_sessions,
        unauthorised_sessions=f.unauthorised_sessions,
    )


def _cohort(name: str, figures: list[PupilStatistics]) -> Cohort:
    return Cohort(
        name=name,
        pupils=len(figures),
        possible_sessions=sum(f.possible_sessions for f in figures),
        attended_sessions=sum(f.present_sessions + f.aea_sessions for f in figures),
        persistent=sum(f.persistent_absence for f in figures),
        severe=sum(f.severe_absence for f in figures),
    )


def weekly_trend(session: Session, school: LoadedSchool, as_of: date) -> list[Week]:
    """The school's attendance week by week this academic year: one grouped statement over
    the marks of the school's pupils, day by day, folded into weeks (a few hundred rows at most)."""
    start = school.calendar.academic_year_start(as_of)
    mark = MARKS.c
    possible = func.sum(case((mark.code.in_(sorted(POSSIBLE_CODES)), 1), else_=0))
    attended = func.sum(case((mark.code.in_(sorted(PRESENT_CODES | AEA_CODES)), 1), else_=0))
    query = (
        select(mark.date, possible, attended)
        .select_from(MARKS.join(PUPILS, PUPILS.c.id == mark.pupil_id))
        .where(PUPILS.c.school_id == school.id, mark.date.between(start, as_of))
        .group_by(mark.date)
    )
    weeks: dict[date, list[int]] = {}
    for day, can, came in session.execute(query):
        day = date.fromisoformat(day) if isinstance(day, str) else day
        totals = weeks.setdefault(day - timedelta(days=day.weekday()), [0, 0])
        totals[0] += int(can or 0)
        totals[1] += int(came or 0)
    return [Week(monday, can, came) for monday, (can, came) in sorted(weeks.items())]
