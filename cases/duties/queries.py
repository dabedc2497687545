"""The duties' set-based reads over a whole school: pupils, expectations, illness, absence, N."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, literal, or_, select, text
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from cases.duties.facts import Expectation, PupilFacts, Review
from cases.duties.rules import (
    DELETION_GROUND_CODES,
    OPEN,
    SEEN_CODES,
    SICKNESS_EXPECTED,
    DutyRefused,
    as_date,
    duty_date,
)
from cases.models import LaDuty
from chase.models import ReportedAbsence
from school.database import id_of
from school.law import DELETION_GROUND_SCHOOL_DAYS
from school.models import NOT_PRESENT, Contact
from school.roll import on_roll
from school.statistics import Period
from school.tables import MARKS, PUPILS, SCHOOL_DAYS

DUTIES = LaDuty.__table__  # type: ignore[attr-defined]
REPORTED = ReportedAbsence.__table__  # type: ignore[attr-defined]


def marks_on_school_days() -> Any:
    return MARKS.join(PUPILS, PUPILS.c.id == MARKS.c.pupil_id).join(
        SCHOOL_DAYS,
        and_(SCHOOL_DAYS.c.school_id == PUPILS.c.school_id, SCHOOL_DAYS.c.date == MARKS.c.date),
    )


def latest_sickness_periods(session: Session, review: Review) -> dict[int, tuple[date, date, int]]:
    """Each pupil's latest continuous period of sickness this year: first day, last, days.

    A period is consecutive school days (day_index, so weekends and closures do not break it)
    each with at least one I session.
    """
    mark, day = MARKS.c, SCHOOL_DAYS.c
    ill_days = (
        select(
            mark.pupil_id,
            day.date,
            (
                day.day_index
                - func.row_number().over(partition_by=mark.pupil_id, order_by=day.day_index)
            ).label("island"),
        )
        .select_from(marks_on_school_days())
        .where(
            on_roll(review.school_id, review.as_of),
            mark.code == "I",
            mark.date.between(review.period.year_start, review.as_of),
        )
        .group_by(mark.pupil_id, day.day_index, day.date)
        .subquery("ill_days")
    )
    g = ill_days.c
    periods = select(
        g.pupil_id,
        func.min(g.date).label("first"),
        func.max(g.date).label("last"),
        func.count().label("days"),
    ).group_by(g.pupil_id, g.island)
    latest: dict[int, tuple[date, date, int]] = {}
    for r in session.execute(periods):
        first, last = as_date(r.first), as_date(r.last)
        if r.pupil_id not in latest or last > latest[r.pupil_id][1]:
            latest[r.pupil_id] = (first, last, int(r.days))
    return latest


def absence_runs(review: Review) -> Any:
    """Each pupil's run of whole days of absence ending on the last school day, if ≥20 days.

    A day of absence has a mark for every session and none of them a code on which the pupil
    was seen (`SEEN_CODES`: present, L, U, AEA, D); such a day ends a run, and the next run counts
    from the day after it. A day with a missing mark also ends the run, as the register cannot
    show the pupil was absent. School days are numbered, so holidays never break a run.
    """
    mark, day = MARKS.c, SCHOOL_DAYS.c

    def sessions_coded(codes: Iterable[str]) -> ColumnElement[int]:
        return cast(func.sum(case((mark.code.in_(sorted(codes)), 1), else_=0)), Integer)

    # Only a pupil not seen on the last school day can have a run ending on it: the year's
    # marks are read for those pupils alone (a twentieth of the roll, or fewer). The partial
    # index of marks other than present holds the last day's candidates.
    last_day = review.calendar.days[review.period.last_school_day_index].date
    not_seen_on_last_day = select(mark.pupil_id).where(
        text(NOT_PRESENT), mark.date == last_day, mark.code.not_in(sorted(SEEN_CODES))
    )
    absent_days = (
        select(
            mark.pupil_id,
            day.day_index,
            day.date,
            func.count().label("sessions"),
            sessions_coded(DELETION_GROUND_CODES).label("ground"),
            sessions_coded(["G"]).label("g"),
            sessions_coded(["N"]).label("n"),
            sessions_coded(["O"]).label("o"),
            (
                day.day_index
                - func.row_number().over(partition_by=mark.pupil_id, order_by=day.day_index)
            ).label("island"),
        )
        .select_from(marks_on_school_days())
        .where(
            on_roll(review.school_id, review.as_of),
            mark.date <= review.as_of,
            mark.pupil_id.in_(not_seen_on_last_day),
        )
        .group_by(mark.pupil_id, day.day_index, day.date, day.sessions)
        .having(and_(func.count() == day.sessions, sessions_coded(SEEN_CODES) == 0))
        .cte("absent_days")
    )
    a, last = absent_days.c, absent_days.alias("last_day")

    def total(column: Any) -> ColumnElement[int]:
        return cast(func.sum(column), Integer)

    return (
        select(
            a.pupil_id,
            func.min(a.date).label("start"),
            func.count().label("days"),
            total(a.sessions).label("sessions"),
            total(a.ground).label("ground_sessions"),
            total(a.g).label("g"),
            total(a.n).label("n"),
            total(a.o).label("o"),
        )
        .select_from(
            absent_days.join(
                last,
                and_(
                    last.c.pupil_id == a.pupil_id,
                    last.c.island == a.island,
                    last.c.day_index == literal(review.period.last_school_day_index),
                ),
            )
        )
        .group_by(a.pupil_id)
        .having(func.count() >= DELETION_GROUND_SCHOOL_DAYS)
    )


def overdue_n_marks(review: Review) -> Any:
    """Every N older than the policy's window, with its school day and any reported reason."""
    mark, day, reported = MARKS.c, SCHOOL_DAYS.c, REPORTED.c
    return (
        select(
            mark.pupil_id,
            mark.date,
            mark.session,
            day.day_index,
            reported.suggested_code,
            reported.reason,
        )
        .select_from(
            MARKS.join(PUPILS, PUPILS.c.id == mark.pupil_id)
            .join(SCHOOL_DAYS, and_(day.school_id == PUPILS.c.school_id, day.date == mark.date))
            .outerjoin(
                REPORTED,
                and_(
                    reported.pupil_id == mark.pupil_id,
                    reported.date == mark.date,
                    reported.session == mark.session,
                ),
            )
        )
        .where(
            on_roll(review.school_id, review.as_of),
            mark.code == "N",
            mark.date <= review.period.overdue_n_before,  # the one reading of the window
        )
    )


def pupils(session: Session, school_id: str) -> dict[str, PupilFacts]:
    p = PUPILS.c
    rows = session.execute(
        select(
            p.id, p.upn, p.given_name, p.family_name, p.ehcp, p.medical_need, p.social_worker
        ).where(p.school_id == school_id)
    )
    return {
        r.upn: PupilFacts(
            r.id, f"{r.given_name} {r.family_name}", r.ehcp, r.medical_need, r.social_worker
        )
        for r in rows
    }


def expectations(session: Session, school_id: str, period: Period) -> dict[int, Expectation]:
    """The latest expectation of illness per pupil recorded this academic year by the date."""
    found: dict[int, Expectation] = {}
    records = session.scalars(
        select(LaDuty)
        .where(
            col(LaDuty.school_id) == school_id,
            col(LaDuty.kind) == SICKNESS_EXPECTED,
            col(LaDuty.due_on).between(period.year_start, period.as_of),
        )
        .order_by(col(LaDuty.due_on), col(LaDuty.id))
    )
    for record in records:  # later records replace earlier ones: staff may revise them
        d = record.details or {}
        found[record.pupil_id] = Expectation(
            int(d["expected_total"]),
            int(d["expected_school_days"]),
            d["first_day"],
            d["last_day"],
            d["reason"],
            d["recorded_on"],
        )
    return found


def still_n(session: Session, duty: LaDuty) -> bool:
    code = session.execute(
        select(MARKS.c.code).where(
            MARKS.c.pupil_id == duty.pupil_id,
            MARKS.c.date == duty_date(duty),
            MARKS.c.session == duty.details["session"],
        )
    ).scalar_one_or_none()
    return code == "N"


def joiners_and_leavers(session: Session, school_id: str, after: date, as_of: date) -> list[Any]:
    """Pupils admitted after a date up to the as-of date, or with a leaving date after it."""
    p = PUPILS.c
    return list(
        session.execute(
            select(PUPILS)
            .where(
                p.school_id == school_id,
                or_(
                    and_(p.admission_date > after, p.admission_date <= as_of),
                    p.leaving_date > after,
                ),
            )
            .order_by(p.id)
        )
    )


def parents_of(session: Session, pupil_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Each pupil's contacts, in calling order, as a return to the LA lists them."""
    found: dict[int, list[dict[str, Any]]] = {}
    ids = sorted(set(pupil_ids))
    if not ids:
        return found
    for contact in session.scalars(
        select(Contact)
        .where(col(Contact.pupil_id).in_(ids))
        .order_by(col(Contact.pupil_id), col(Contact.priority))
    ):
        found.setdefault(contact.pupil_id, []).append(
            {
                "name": contact.name,
                "relationship": contact.relationship,
                "parental_responsibility": contact.parental_responsibility,
                "address": contact.postal_address(),
                "phone": contact.mobile,
                "email": contact.email,
            }
        )
    return found


def pupils_with(session: Session, school_id: str, kind: str) -> set[int]:
    """The pupils of a school with a duty of this kind, whatever its status."""
    return set(
        session.scalars(
            select(DUTIES.c.pupil_id).where(DUTIES.c.school_id == school_id, DUTIES.c.kind == kind)
        )
    )


def open_duty(session: Session, duty_id: int) -> LaDuty:
    """An open duty by id: a wrong id or a finished duty is refused, never passed over."""
    duty = session.get(LaDuty, duty_id)
    if duty is None:
        raise LookupError(f"no duty with id {duty_id}")
    if duty.status != OPEN:
        raise DutyRefused(f"duty {id_of(duty)} is already {duty.status}")
    return duty
