"""Attendance statistics for every pupil of a school at once, by SQL over the marks (spec §2, §5).

One statement per school: no per-pupil queries. Flows, the command line and the web pages all
read figures from `attendance_statistics`, so they always agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Integer, Select, and_, case, cast, distinct, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from cases.calendar import SchoolCalendar
from cases.codes import (
    AEA_CODES,
    AUTHORISED_CODES,
    NATIONAL_THRESHOLD_CODES,
    POSSIBLE_CODES,
    PRESENT_CODES,
    UNAUTHORISED_CODES,
)
from cases.school_age import is_compulsory_school_age
from cases.schools import calendar_of, get_school
from cases.tables import MARKS, PUPILS, SCHOOL_DAYS

NATIONAL_THRESHOLD_SESSIONS = 10  # spec §5: 10 unauthorised sessions ...
NATIONAL_THRESHOLD_WEEKS = 10  # ... in a rolling 10 school weeks
N_CODE_SCHOOL_DAYS = 5  # spec §3: an N must be replaced within 5 school days


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
    overdue_n_before: date  # an N on or before this date is more than 5 school days old


def period_for(calendar: SchoolCalendar, as_of: date) -> Period:
    """The counting period for an as-of date (holiday dates count back to the last school day)."""
    year_start = calendar.academic_year_start(as_of)
    last = calendar.last_school_day_on_or_before(as_of)
    half_term = calendar.half_term_span(as_of)
    term = calendar.term_span(as_of)
    if last is None:
        return Period(as_of, year_start, as_of, as_of, as_of, -1, date.min)
    first_week = max(last.school_week - (NATIONAL_THRESHOLD_WEEKS - 1), 0)
    first_day = next(d for d in calendar.days if d.school_week == first_week)
    overdue_index = last.day_index - N_CODE_SCHOOL_DAYS
    return Period(
        as_of=as_of,
        year_start=year_start,
        half_term_start=half_term[0] if half_term else as_of,
        term_start=term[0] if term else as_of,
        window_start=first_day.date - timedelta(days=first_day.date.weekday()),
        last_school_day_index=last.day_index,
        overdue_n_before=calendar.days[overdue_index].date if overdue_index >= 0 else date.min,
    )


def statistics_query(school_id: str, period: Period) -> Select[Any]:
    """The one statement computing every pupil's figures; kept public so the benchmark runs it."""
    mark_t, pupil_t, day_t = MARKS, PUPILS, SCHOOL_DAYS
    mark, pupil, day = mark_t.c, pupil_t.c, day_t.c
    code = mark.code
    on_roll = and_(
        pupil.school_id == school_id,
        pupil.admission_date <= period.as_of,
        or_(pupil.leaving_date.is_(None), pupil.leaving_date >= period.as_of),
    )

    # Marks first collapse to one row per pupil, code and counting period (a few dozen per
    # pupil); the per-code sums then run over those rows instead of every mark (2.3x faster).
    buckets = (
        select(
            mark.pupil_id,
            mark.code,
            (mark.date >= period.year_start).label("in_year"),
            (mark.date >= period.window_start).label("in_window"),
            (mark.date >= period.half_term_start).label("in_half_term"),
            (mark.date >= period.term_start).label("in_term"),
            (mark.date <= period.overdue_n_before).label("overdue"),
            func.count().label("n"),
        )
        .select_from(mark_t.join(pupil_t, pupil.id == mark.pupil_id))
        .where(on_roll, mark.date <= period.as_of)
        .group_by(
            mark.pupil_id, mark.code, "in_year", "in_window", "in_half_term", "in_term", "overdue"
        )
        .subquery("buckets")
    )
    g = buckets.c

    def total(when: ColumnElement[bool], codes: Iterable[str]) -> ColumnElement[int]:
        # PostgreSQL sums bigint counts as numeric; the figures are whole numbers.
        summed = func.sum(case((and_(when, g.code.in_(codes)), g.n), else_=0))
        return cast(func.coalesce(summed, 0), Integer)

    totals = (
        select(
            pupil.id.label("pupil_id"),
            total(g.in_year, POSSIBLE_CODES).label("possible"),
            total(g.in_year, PRESENT_CODES).label("present"),
            total(g.in_year, AEA_CODES).label("aea"),
            total(g.in_year, AUTHORISED_CODES).label("authorised"),
            total(g.in_year, UNAUTHORISED_CODES).label("unauthorised"),
            total(g.in_window, NATIONAL_THRESHOLD_CODES).label("rolling"),
            total(g.in_half_term, ["L"]).label("l_half_term"),
            total(g.in_term, ["L"]).label("l_term"),
            total(g.in_half_term, ["U"]).label("u_half_term"),
            total(g.in_term, ["U"]).label("u_term"),
            total(g.overdue, ["N"]).label("overdue_n"),
        )
        .select_from(pupil_t.outerjoin(buckets, g.pupil_id == pupil.id))
        .where(on_roll)
        .group_by(pupil.id)
        .cte("totals")
    )
    # A day counts once however many of its sessions were illness (spec §8.19).
    illness = (
        select(mark.pupil_id, func.count(distinct(mark.date)).label("illness_days"))
        .select_from(mark_t.join(pupil_t, pupil.id == mark.pupil_id))
        .where(on_roll, code == "I", mark.date.between(period.year_start, period.as_of))
        .group_by(mark.pupil_id)
        .cte("illness")
    )

    # Each unauthorised session with the count of such sessions, up to and including it, in its
    # school week and the 9 before: the sessions of the 9 earlier weeks (a RANGE frame) plus its
    # place in its own week. The first date that count reaches 10 is when the threshold was
    # first met. Window functions keep this O(n log n); a self-join was O(n^2) on SQLite.
    window_count = func.count().over(
        partition_by=mark.pupil_id,
        order_by=day.school_week,
        range_=(-(NATIONAL_THRESHOLD_WEEKS - 1), -1),
    ) + func.row_number().over(
        partition_by=(mark.pupil_id, day.school_week), order_by=(mark.date, mark.session)
    )
    unauthorised = (
        select(mark.pupil_id, mark.date, window_count.label("in_window"))
        .select_from(
            mark_t.join(pupil_t, pupil.id == mark.pupil_id).join(
                day_t, and_(day.school_id == pupil.school_id, day.date == mark.date)
            )
        )
        .where(on_roll, mark.date <= period.as_of, code.in_(NATIONAL_THRESHOLD_CODES))
        .subquery("unauthorised")
    )
    first_met = (
        select(unauthorised.c.pupil_id, func.min(unauthorised.c.date).label("first_met"))
        .where(unauthorised.c.in_window >= NATIONAL_THRESHOLD_SESSIONS)
        .group_by(unauthorised.c.pupil_id)
        .cte("first_met")
    )

    # Days on which every session was unauthorised; the run ending on the last school day is
    # the island (consecutive day_index values) that contains it.
    full_days = (
        select(
            mark.pupil_id,
            day.day_index,
            (
                day.day_index
                - func.row_number().over(partition_by=mark.pupil_id, order_by=day.day_index)
            ).label("island"),
        )
        .select_from(
            mark_t.join(pupil_t, pupil.id == mark.pupil_id).join(
                day_t, and_(day.school_id == pupil.school_id, day.date == mark.date)
            )
        )
        .where(on_roll, mark.date <= period.as_of, code.in_(UNAUTHORISED_CODES))
        .group_by(mark.pupil_id, day.day_index, day.sessions)
        .having(func.count() == day.sessions)
        .cte("full_days")
    )
    last = full_days.alias("last_day")
    run = (
        select(full_days.c.pupil_id, func.count().label("run"))
        .select_from(
            full_days.join(
                last,
                and_(
                    last.c.pupil_id == full_days.c.pupil_id,
                    last.c.island == full_days.c.island,
                    last.c.day_index == literal(period.last_school_day_index),
                ),
            )
        )
        .group_by(full_days.c.pupil_id)
        .cte("run")
    )

    return (
        select(
            pupil.upn,
            pupil.date_of_birth,
            totals,
            func.coalesce(illness.c.illness_days, 0).label("illness_days"),
            first_met.c.first_met,
            func.coalesce(run.c.run, 0).label("run"),
        )
        .select_from(
            pupil_t.join(totals, totals.c.pupil_id == pupil.id)
            .outerjoin(illness, illness.c.pupil_id == pupil.id)
            .outerjoin(first_met, first_met.c.pupil_id == pupil.id)
            .outerjoin(run, run.c.pupil_id == pupil.id)
        )
        .order_by(pupil.upn)
    )


def attendance_statistics(session: Session, school_id: str, as_of: date) -> list[PupilStatistics]:
    """Every on-roll pupil's figures as of a date (its last session included), by UPN."""
    calendar = calendar_of(get_school(session, school_id))
    period = period_for(calendar, as_of)
    rows = session.execute(statistics_query(school_id, period)).mappings()
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
        persistent_absence=possible > 0 and 10 * absent >= possible,
        severe_absence=possible > 0 and 2 * absent >= possible,
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
