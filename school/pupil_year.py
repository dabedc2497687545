"""One pupil's school year as marks by day and session, and attendance to each week's end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session

from school.calendar import SESSIONS, SchoolCalendar
from school.codes import ATTENDANCE_CODES, POSSIBLE_CODES
from school.tables import MARKS


@dataclass(frozen=True)
class WeekFigure:
    """Attendance over the year to the end of one school week (Mon-Sun)."""

    monday: date
    possible: int
    attended: int

    @property
    def pct(self) -> float | None:
        # The same rate as the DfE figure: (present + approved activity) / possible sessions.
        return 100.0 * self.attended / self.possible if self.possible else None


@dataclass(frozen=True)
class PupilYear:
    """A pupil's marks this academic year to `as_of`, keyed by (date, "AM"|"PM")."""

    start: date
    as_of: date
    marks: dict[tuple[date, str], str]

    def weeks(self, calendar: SchoolCalendar) -> list[WeekFigure]:
        """Attendance to the end of each school week of the year so far, cumulatively, so
        the last point is the year's figure as `attendance stats` gives it."""
        mondays = sorted(
            {
                d.date - timedelta(days=d.date.weekday())
                for d in calendar.days
                if self.start <= d.date <= self.as_of
            }
        )
        possible = attended = 0
        by_week: dict[date, list[str]] = {}
        for (day, _), code in self.marks.items():
            by_week.setdefault(day - timedelta(days=day.weekday()), []).append(code)
        figures = []
        for monday in mondays:
            codes = by_week.get(monday, [])
            possible += sum(1 for c in codes if c in POSSIBLE_CODES)
            attended += sum(1 for c in codes if c in ATTENDANCE_CODES)
            figures.append(WeekFigure(monday, possible, attended))
        return figures


def pupil_year(session: Session, calendar: SchoolCalendar, pupil_id: int, as_of: date) -> PupilYear:
    """The pupil's marks from the start of `as_of`'s academic year to `as_of`: one query."""
    start = calendar.academic_year_start(as_of)
    rows = session.execute(
        select(MARKS.c.date, MARKS.c.session, MARKS.c.code).where(
            MARKS.c.pupil_id == pupil_id, MARKS.c.date.between(start, as_of)
        )
    ).all()
    marks = {(r.date, r.session): r.code for r in rows if r.session in SESSIONS}
    return PupilYear(start, as_of, marks)
