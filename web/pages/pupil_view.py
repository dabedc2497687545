"""What the pupil page shows: the year's calendar and line, figures, contacts, cases, letters."""

from __future__ import annotations

import calendar as months
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from cases.legal.kept_refusals import legal_refusals
from cases.legal.register import LegalEntry, legal_entries
from cases.models import AttendanceCase, CaseEvent, LegalRefusal, StoredLetter
from school.codes import CODES
from school.database import id_of
from school.models import Contact, Pupil
from school.pupil_year import PupilYear, pupil_year
from school.schools import LoadedSchool
from school.statistics import PupilStatistics, by_upn, statistics_for
from web.charts import CALENDAR_KEYS, LinePoint, attendance_line, calendar_key


@dataclass(frozen=True)
class Half:
    """One session of a day on the calendar: its code, colour key and words."""

    session: str
    code: str
    key: str
    words: str  # "AM: / Present, morning session" for the hover and for screen readers


@dataclass(frozen=True)
class DayCell:
    day: date
    school_day: bool
    halves: tuple[Half, ...]


@dataclass(frozen=True)
class MonthRow:
    label: str
    cells: list[DayCell | None]  # 31 places; None where the month has no such day


@dataclass(frozen=True)
class CaseShown:
    case: AttendanceCase
    events: list[CaseEvent]


@dataclass
class PupilPage:
    pupil: Pupil
    as_of: date
    figures: PupilStatistics | None
    months: list[MonthRow]
    line_svg: str
    weeks: list[tuple[str, float | None]]
    contacts: list[Contact]
    cases: list[CaseShown]
    letters: list[StoredLetter]
    legal: list[LegalEntry] | None  # None: not for this person's role
    refusals: list[tuple[LegalRefusal, Pupil]]
    keys: dict[str, str]


def _half(year: PupilYear, day: date, session: str, as_of: date) -> Half:
    code = year.marks.get((day, session))
    if code is None:
        words = "not yet taken" if day <= as_of else "to come"
        return Half(session, "", "none", f"{session}: {words}")
    meaning = CODES[code].meaning if code in CODES else "unknown code"
    return Half(session, code, calendar_key(code), f"{session}: {code} {meaning}")


def calendar_months(school: LoadedSchool, year: PupilYear) -> list[MonthRow]:
    """The academic year month by month (September to August), each day's sessions."""
    open_days = {d.date: d.sessions for d in school.calendar.days}
    rows = []
    for offset in range(12):
        y = year.start.year + (year.start.month + offset - 1) // 12
        m = (year.start.month + offset - 1) % 12 + 1
        length = months.monthrange(y, m)[1]
        cells: list[DayCell | None] = []
        for n in range(1, 32):
            if n > length:
                cells.append(None)
                continue
            day = date(y, m, n)
            sessions = open_days.get(day, ())
            halves = tuple(_half(year, day, s, year.as_of) for s in sessions)
            cells.append(DayCell(day, bool(sessions), halves))
        if any(c and c.school_day for c in cells):
            rows.append(MonthRow(f"{months.month_abbr[m]} {y}", cells))
    return rows


def pupil_page(
    session: Session, school: LoadedSchool, pupil: Pupil, as_of: date, legal: bool
) -> PupilPage:
    """Everything on the page, in a handful of queries whatever the school's size; the legal
    actions only when `legal` (the person's role may see the legal actions page)."""
    pupil_id = id_of(pupil)
    figures = by_upn(statistics_for(session, school, as_of, [pupil_id])).get(pupil.upn)
    year = pupil_year(session, school.calendar, pupil_id, as_of)
    weeks = [(f"{w.monday:%-d %b}", w.pct) for w in year.weeks(school.calendar)]
    name = f"{pupil.given_name} {pupil.family_name}"
    line = attendance_line(
        [LinePoint(label, pct) for label, pct in weeks],
        f"{name}: attendance this year to the end of each week",
    )
    contacts = list(
        session.scalars(
            select(Contact).where(col(Contact.pupil_id) == pupil_id).order_by(col(Contact.priority))
        )
    )
    cases = list(
        session.scalars(
            select(AttendanceCase)
            .where(col(AttendanceCase.pupil_id) == pupil_id)
            .order_by(col(AttendanceCase.opened_at).desc())
        )
    )
    events: dict[int, list[CaseEvent]] = {}
    if cases:
        for event in session.scalars(
            select(CaseEvent)
            .where(col(CaseEvent.case_id).in_([id_of(c) for c in cases]))
            .order_by(col(CaseEvent.at), col(CaseEvent.id))
        ):
            events.setdefault(event.case_id, []).append(event)
    letters = list(
        session.scalars(
            select(StoredLetter)
            .where(col(StoredLetter.pupil_id) == pupil_id)
            .order_by(col(StoredLetter.decided_at).desc(), col(StoredLetter.id))
        )
    )
    return PupilPage(
        pupil=pupil,
        as_of=as_of,
        figures=figures,
        months=calendar_months(school, year),
        line_svg=line,
        weeks=weeks,
        contacts=contacts,
        cases=[CaseShown(c, events.get(id_of(c), [])) for c in cases],
        letters=letters,
        legal=legal_entries(session, school.id, pupil_id) if legal else None,
        refusals=legal_refusals(session, school.id, pupil_id) if legal else [],
        keys=CALENDAR_KEYS,
    )
