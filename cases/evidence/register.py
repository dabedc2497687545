"""What the register says for the pack: the pupil's marks, school weeks and figures."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from school.calendar import SchoolCalendar
from school.codes import CODES
from school.models import Pupil
from school.statistics import PupilStatistics, attendance_statistics
from school.tables import MARKS


@dataclass(frozen=True)
class Week:
    """One school week's sessions, as the chart draws them."""

    monday: date
    possible: int
    attended: int
    authorised: int
    unauthorised: int


def read_marks(
    session: Session, pupil_id: int, start: date, end: date
) -> list[tuple[date, str, str]]:
    rows = session.execute(
        select(MARKS.c.date, MARKS.c.session, MARKS.c.code)
        .where(MARKS.c.pupil_id == pupil_id, MARKS.c.date.between(start, end))
        .order_by(MARKS.c.date, MARKS.c.session)
    ).all()
    return [(r.date, r.session, r.code) for r in rows]


def weeks_of(
    calendar: SchoolCalendar, marks: list[tuple[date, str, str]], start: date, end: date
) -> list[Week]:
    """Every school week from `start` to `end`, with the pupil's sessions in it."""
    counts: dict[int, Counter[str]] = {}
    mondays: dict[int, date] = {}
    for school_day in calendar.days:
        week = school_day.school_week
        if start <= school_day.date <= end and week not in mondays:
            mondays[week] = date.fromordinal(
                school_day.date.toordinal() - school_day.date.weekday()
            )
            counts[week] = Counter()
    for on, _, code in marks:
        found = calendar.day(on)
        known = CODES.get(code)
        if found is None or known is None or found.school_week not in counts:
            continue
        if not known.possible:
            continue
        tally = counts[found.school_week]
        tally["possible"] += 1
        tally["attended"] += known.attendance
        tally["authorised"] += known.authorised
        tally["unauthorised"] += known.unauthorised
    return [
        Week(mondays[w], c["possible"], c["attended"], c["authorised"], c["unauthorised"])
        for w, c in sorted(counts.items())
    ]


def read_figures(session: Session, pupil: Pupil, on: date) -> PupilStatistics | None:
    return next(
        (f for f in attendance_statistics(session, pupil.school_id, on) if f.upn == pupil.upn),
        None,
    )
