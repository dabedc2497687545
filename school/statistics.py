"""Attendance statistics for every pupil of a school at once, by SQL over the marks (spec §2, §5).

One statement per school: no per-pupil queries. Flows, the command line and the web pages all
read figures from `attendance_statistics`, so they always agree.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, distinct, func, select, text
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlmodel import Session

from school.codes import (
    AEA_CODES,
    AUTHORISED_CODES,
    CODES,
    NATIONAL_THRESHOLD_CODES,
    POSSIBLE_CODES,
    UNAUTHORISED_CODES,
)
from school.law import NATIONAL_THRESHOLD_SESSIONS, NATIONAL_THRESHOLD_WEEKS
from school.models import NOT_PRESENT
from school.roll import on_roll
from school.schools import LoadedSchool, load_school
from school.statistics_figures import PupilStatistics, figures_from_row
from school.statistics_period import Period, period_for
from school.tables import MARKS, PUPILS, SCHOOL_DAYS

__all__ = ["Period", "PupilStatistics", "attendance_statistics", "period_for", "statistics_for"]


# Nine marks in ten are / or \: they are only counted (on the mark index), never read. Every
# figure that needs the code comes from the other marks, read once into `others` from the
# partial index ix_mark_not_present. Code sets are listed sorted so the compiled text is the same in
# every process (a frozenset's order changes with the hash seed).
_NOT_POSSIBLE = sorted(set(CODES) - POSSIBLE_CODES)


def statistics_query(
    school_id: str, period: Period, pupil_ids: Collection[int] | None = None
) -> Select[Any]:
    """The one statement computing every pupil's figures (or only `pupil_ids`' figures: a
    page about a few pupils need not count the whole school); public so the benchmark runs it.

    possible = marks this year - marks of codes that are not possible sessions;
    present  = marks this year - marks other than / and \\ + L marks.
    """
    mark, pupil, day = MARKS.c, PUPILS.c, SCHOOL_DAYS.c
    # Every value that changes between schools and dates is a named parameter, so the compiled
    # text is one statement for all of them (school/statistics_sql.py keeps it for the quick
    # `stats --format json`, which fills these names from `statement_parameters`).
    school: BindParameter[str] = bindparam("school_id", school_id)
    values: dict[str, BindParameter[Any]] = {
        name: bindparam(name, value) for name, value in asdict(period).items()
    }
    marks_this_year = (
        select(func.count())
        .where(mark.pupil_id == pupil.id, mark.date.between(values["year_start"], values["as_of"]))
        .scalar_subquery()
    )
    on_it = select(pupil.id, pupil.upn, pupil.date_of_birth, marks_this_year.label("marks")).where(
        on_roll(school, values["as_of"])
    )
    if pupil_ids is not None:
        on_it = on_it.where(pupil.id.in_(list(pupil_ids)))
    roll = on_it.cte("roll").prefix_with("MATERIALIZED")
    others = (
        select(mark.pupil_id, mark.date, mark.session, mark.code)
        .select_from(MARKS.join(roll, roll.c.id == mark.pupil_id))
        # Written as NOT IN (/, \\) so both databases can read it from the partial index
        # ix_mark_not_present, which holds only these marks (about one in ten).
        .where(text(f"attendance_mark.{NOT_PRESENT}"), mark.date <= values["as_of"])
        .cte("others")
        .prefix_with("MATERIALIZED")
    )
    o = others.c
    in_year = o.date >= values["year_start"]

    def count(*conditions: ColumnElement[bool]) -> Any:
        return func.count().filter(and_(*conditions))

    other_totals = (
        select(
            o.pupil_id,
            count(in_year).label("marks"),
            count(in_year, o.code.in_(_NOT_POSSIBLE)).label("not_possible"),
            count(in_year, o.code == "L").label("late"),
            count(in_year, o.code.in_(sorted(AEA_CODES))).label("aea"),
            count(in_year, o.code.in_(sorted(AUTHORISED_CODES))).label("authorised"),
            count(in_year, o.code.in_(sorted(UNAUTHORISED_CODES))).label("unauthorised"),
            count(o.date >= values["half_term_start"], o.code == "L").label("l_half_term"),
            count(o.date >= values["term_start"], o.code == "L").label("l_term"),
            count(o.date >= values["half_term_start"], o.code == "U").label("u_half_term"),
            count(o.date >= values["term_start"], o.code == "U").label("u_term"),
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
        .select_from(others.join(SCHOOL_DAYS, and_(day.school_id == school, day.date == o.date)))
        .where(o.code.in_(sorted(NATIONAL_THRESHOLD_CODES)))
        .cte("unauthorised")
    )
    u = unauthorised.c
    threshold = (
        select(
            u.pupil_id,
            count(u.date >= values["window_start"]).label("rolling"),
            count(u.code == "N", u.date <= values["overdue_n_before"]).label("overdue_n"),
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
        .where(full_days.c.day_index + full_days.c.back - 1 == values["last_school_day_index"])
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
    session: Session,
    school: LoadedSchool,
    as_of: date,
    pupil_ids: Collection[int] | None = None,
) -> list[PupilStatistics]:
    """`attendance_statistics` for a school a door has already loaded (for only `pupil_ids`
    when given: the same figures, counted for fewer pupils)."""
    window = school.policy.policy.la_duties.n_code_resolution_school_days
    period = period_for(school.calendar, as_of, window)
    rows = session.execute(statistics_query(school.id, period, pupil_ids)).mappings()
    return [figures_from_row(row, as_of) for row in rows]


def by_upn(figures: Iterable[PupilStatistics]) -> dict[str, PupilStatistics]:
    return {f.upn: f for f in figures}
