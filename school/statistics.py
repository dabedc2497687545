"""Attendance statistics for every pupil of a school at once, by SQL over the marks (spec §2, §5).

One statement per school: no per-pupil queries. Flows, the command line and the web pages all
read figures from `attendance_statistics`, so they always agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, distinct, func, literal, select, text
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from school.calendar import SchoolCalendar
from school.codes import (
    AEA_CODES,
    AUTHORISED_CODES,
    CODES,
    NATIONAL_THRESHOLD_CODES,
    POSSIBLE_CODES,
    UNAUTHORISED_CODES,
)
from school.law import (
    N_CODE_SCHOOL_DAYS,
    NATIONAL_THRESHOLD_SESSIONS,
    NATIONAL_THRESHOLD_WEEKS,
    persistent_absence,
    severe_absence,
)
from school.models import NOT_PRESENT
from school.roll import on_roll
from school.school_age import is_compulsory_school_age
from school.schools import LoadedSchool, load_school
from school.tables import MARKS, PUPILS, SCHOOL_DAYS


@dataclass(frozen=True, slots=True)
class PupilStatistics:
    """The figures for one pupil as of a date; field names are the JSON keys."""

    upn: str
    possible_sessions: int
    present_sessions: int
    aea_sessions: int
    authorised_sessions: int
    unauthorised_sessions: int
    attendance_pct: float | None
    persistent_absence: bool
    severe_absence: bool
    unauthorised_sessions_rolling_10_school_weeks: int
    national_threshold_met: bool
    national_threshold_first_met_on: date | None
    consecutive_unauthorised_school_days: int
    illness_school_days: int
    late_before_close_half_term: int
    late_before_close_term: int
    late_after_close_half_term: int
    late_after_close_term: int
    overdue_n_codes: int
    compulsory_school_age: bool

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        first = self.national_threshold_first_met_on
        data["national_threshold_first_met_on"] = first.isoformat() if first else None
        return data


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


def _one_pupil(column: Any, pupil_id: int | None) -> list[ColumnElement[bool]]:
    return [] if pupil_id is None else [column == pupil_id]


# Nine marks in ten are / or \: they are only counted (on the mark index), never read. Every
# figure that needs the code comes from the other marks, read once into `others` from the
# partial index ix_mark_not_present.
_NOT_POSSIBLE = sorted(set(CODES) - POSSIBLE_CODES)


def statistics_query(school_id: str, period: Period, pupil_id: int | None = None) -> Select[Any]:
    """The one statement computing every pupil's figures; kept public so the benchmark runs it.

    possible = marks this year - marks of codes that are not possible sessions;
    present  = marks this year - marks other than / and \\ + L marks.
    """
    mark, pupil, day = MARKS.c, PUPILS.c, SCHOOL_DAYS.c
    marks_this_year = (
        select(func.count())
        .where(mark.pupil_id == pupil.id, mark.date.between(period.year_start, period.as_of))
        .scalar_subquery()
    )
    roll = (
        select(pupil.id, pupil.upn, pupil.date_of_birth, marks_this_year.label("marks"))
        .where(on_roll(school_id, period.as_of), *_one_pupil(pupil.id, pupil_id))
        .cte("roll")
        .prefix_with("MATERIALIZED")
    )
    others = (
        select(mark.pupil_id, mark.date, mark.session, mark.code)
        .select_from(MARKS.join(roll, roll.c.id == mark.pupil_id))
        # Written as NOT IN (/, \\) so both databases can read it from the partial index
        # ix_mark_not_present, which holds only these marks (about one in ten).
        .where(text(f"attendance_mark.{NOT_PRESENT}"), mark.date <= period.as_of)
        .cte("others")
        .prefix_with("MATERIALIZED")
    )
    o = others.c
    in_year = o.date >= period.year_start

    def count(*conditions: ColumnElement[bool]) -> Any:
        return func.count().filter(and_(*conditions))

    other_totals = (
        select(
            o.pupil_id,
            count(in_year).label("marks"),
            count(in_year, o.code.in_(_NOT_POSSIBLE)).label("not_possible"),
            count(in_year, o.code == "L").label("late"),
            count(in_year, o.code.in_(AEA_CODES)).label("aea"),
            count(in_year, o.code.in_(AUTHORISED_CODES)).label("authorised"),
            count(in_year, o.code.in_(UNAUTHORISED_CODES)).label("unauthorised"),
            count(o.date >= period.half_term_start, o.code == "L").label("l_half_term"),
            count(o.date >= period.term_start, o.code == "L").label("l_term"),
            count(o.date >= period.half_term_start, o.code == "U").label("u_half_term"),
            count(o.date >= period.term_start, o.code == "U").label("u_term"),
            # A day counts once however many of its sessions were illness (spec §8.19).
            func.count(distinct(o.date)).filter(and_(in_year, o.code == "I")).label("ill_days"),
        )
        .group_by(o.pupil_id)
        .cte("other_totals")
    )
    # Unauthorised sessions in their school weeks. The threshold is first met at the first such
    # session whose 9th predecessor lies less than 10 school weeks earlier (spec §5).
    unauthorised = (
        select(
            o.pupil_id,
            o.date,
            o.code,
            day.day_index,
            day.sessions,
            day.school_week,
            func.lag(day.school_week, NATIONAL_THRESHOLD_SESSIONS - 1)
            .over(partition_by=o.pupil_id, order_by=(o.date, o.session))
            .label("week_back"),
        )
        .select_from(others.join(SCHOOL_DAYS, and_(day.school_id == school_id, day.date == o.date)))
        .where(o.code.in_(NATIONAL_THRESHOLD_CODES))
        .cte("unauthorised")
    )
    u = unauthorised.c
    threshold = (
        select(
            u.pupil_id,
            count(u.date >= period.window_start).label("rolling"),
            count(u.code == "N", u.date <= period.overdue_n_before).label("overdue_n"),
            func.min(case((u.school_week - u.week_back < NATIONAL_THRESHOLD_WEEKS, u.date))).label(
                "first_met"
            ),
        )
        .group_by(u.pupil_id)
        .cte("threshold")
    )
    # Days on which every session was unauthorised, numbered back from the latest; the run
    # ending on the last school day is those whose number matches their distance from it.
    full_days = (
        select(
            u.pupil_id,
            u.day_index,
            func.row_number()
            .over(partition_by=u.pupil_id, order_by=u.day_index.desc())
            .label("back"),
        )
        .group_by(u.pupil_id, u.day_index, u.sessions)
        .having(func.count() == u.sessions)
        .cte("full_days")
    )
    run = (
        select(full_days.c.pupil_id, func.count().label("run"))
        .where(
            full_days.c.day_index + full_days.c.back - 1 == literal(period.last_school_day_index)
        )
        .group_by(full_days.c.pupil_id)
        .cte("run")
    )
    t, r, ot = threshold.c, run.c, other_totals.c

    def zero(column: Any) -> Any:
        return func.coalesce(column, 0)

    return (
        select(
            roll.c.upn,
            roll.c.date_of_birth,
            (roll.c.marks - zero(ot.not_possible)).label("possible"),
            (roll.c.marks - zero(ot.marks) + zero(ot.late)).label("present"),
            zero(ot.aea).label("aea"),
            zero(ot.authorised).label("authorised"),
            zero(ot.unauthorised).label("unauthorised"),
            zero(t.rolling).label("rolling"),
            t.first_met,
            zero(r.run).label("run"),
            zero(ot.ill_days).label("illness_days"),
            zero(ot.l_half_term).label("l_half_term"),
            zero(ot.l_term).label("l_term"),
            zero(ot.u_half_term).label("u_half_term"),
            zero(ot.u_term).label("u_term"),
            zero(t.overdue_n).label("overdue_n"),
        )
        .select_from(
            roll.outerjoin(other_totals, ot.pupil_id == roll.c.id)
            .outerjoin(threshold, t.pupil_id == roll.c.id)
            .outerjoin(run, r.pupil_id == roll.c.id)
        )
        .order_by(roll.c.upn)
    )


def attendance_statistics(session: Session, school_id: str, as_of: date) -> list[PupilStatistics]:
    """Every on-roll pupil's figures as of a date (its last session included), by UPN."""
    return statistics_for(session, load_school(session, school_id), as_of)


def statistics_for(
    session: Session, school: LoadedSchool, as_of: date, pupil_id: int | None = None
) -> list[PupilStatistics]:
    """`attendance_statistics` for a school a door has already loaded (or for one of its
    pupils: the same statement, its roll narrowed to that pupil, for the pupil page)."""
    window = school.policy.policy.la_duties.n_code_resolution_school_days
    period = period_for(school.calendar, as_of, window)
    rows = session.execute(statistics_query(school.id, period, pupil_id)).mappings()
    return [_figures(row, as_of) for row in rows]


def _figures(row: Any, as_of: date) -> PupilStatistics:
    possible = row["possible"]
    attended = row["present"] + row["aea"]
    absent = row["authorised"] + row["unauthorised"]
    first_met = row["first_met"]
    if isinstance(first_met, str):  # SQLite hands MIN() over a date column back as text
        first_met = date.fromisoformat(first_met)
    return PupilStatistics(
        upn=row["upn"],
        possible_sessions=possible,
        present_sessions=row["present"],
        aea_sessions=row["aea"],
        authorised_sessions=row["authorised"],
        unauthorised_sessions=row["unauthorised"],
        attendance_pct=100.0 * attended / possible if possible else None,
        # Classified on exact integers: the DfE classifies on the unrounded rate (spec §2).
        persistent_absence=persistent_absence(absent, possible),
        severe_absence=severe_absence(absent, possible),
        unauthorised_sessions_rolling_10_school_weeks=row["rolling"],
        national_threshold_met=row["rolling"] >= NATIONAL_THRESHOLD_SESSIONS,
        national_threshold_first_met_on=first_met,
        consecutive_unauthorised_school_days=row["run"],
        illness_school_days=row["illness_days"],
        late_before_close_half_term=row["l_half_term"],
        late_before_close_term=row["l_term"],
        late_after_close_half_term=row["u_half_term"],
        late_after_close_term=row["u_term"],
        overdue_n_codes=row["overdue_n"],
        compulsory_school_age=is_compulsory_school_age(row["date_of_birth"], as_of),
    )


def by_upn(figures: Iterable[PupilStatistics]) -> dict[str, PupilStatistics]:
    return {f.upn: f for f in figures}
