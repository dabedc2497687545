"""Duties to the local authority as tasks with deadlines, raised by one pass over a school."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from cases.models import LaDuty
from chase.models import ReportedAbsence
from school.calendar import SchoolCalendar
from school.clock import Clock, SystemClock, school_today
from school.codes import AEA_CODES, PRESENT_CODES
from school.database import id_of, insert_ignoring_duplicates
from school.law import DELETION_GROUND_SCHOOL_DAYS
from school.models import Pupil
from school.policy import LaDuties
from school.schools import calendar_of, get_school, policy_of
from school.statistics import Period, PupilStatistics, attendance_statistics, period_for
from school.tables import MARKS, PUPILS, SCHOOL_DAYS

DUTIES = LaDuty.__table__  # type: ignore[attr-defined]
REPORTED = ReportedAbsence.__table__  # type: ignore[attr-defined]

CONTINUOUS_ABSENCE_RETURN = "continuous_absence_return"
SICKNESS_RETURN = "sickness_return"
RECODE_N = "recode_n"
EHCP_INFORM_LA = "ehcp_inform_la"
DELETION_GROUND = "deletion_ground"
# Staff's reasonable grounds to expect more illness (spec §4, §8.19). Kept as an LaDuty row
# with status "done" so it needs no table of its own: it is a record, never a task.
SICKNESS_EXPECTED = "sickness_expected"

OPEN, DONE, DISMISSED = "open", "done", "dismissed"
REGISTER = "register"  # done_by when the register itself discharged the duty

# Spec §4, "Ground I": at least 20 school days, every session G, N or O.
DELETION_GROUND_CODES = ("G", "N", "O")
# Codes on which the pupil was somewhere the school knows of: present, approved activity, or
# attending the other school of a dual registration (spec §1). Any of them ends an absence.
ATTENDING_CODES = frozenset(PRESENT_CODES | AEA_CODES | {"D"})
# "ok" is not a description of joint enquiries by the school and the LA (spec §4 condition 4).
MIN_ENQUIRIES_NOTE = 20


class DutyRefused(ValueError):
    """The action is not allowed on this duty; the message says why and what to do instead."""


@dataclass(frozen=True)
class _Review:
    """What one review of one school needs, read once."""

    school_id: str
    as_of: date
    calendar: SchoolCalendar
    period: Period
    rules: LaDuties
    policy_version: str
    now: dt.datetime
    next_school_day: date


@dataclass(frozen=True)
class _Pupil:
    id: int
    name: str
    ehcp: bool
    medical_need: bool
    social_worker: bool


@dataclass(frozen=True)
class _Expectation:
    """The latest recorded expectation of illness for a pupil in the academic year."""

    expected_total: int
    extra_school_days: int
    reason: str
    recorded_on: str


def review_la_duties(session: Session, school_id: str, as_of: date, clock: Clock) -> list[LaDuty]:
    """Raise every duty due for a school as of a date (its last session included); commits.

    One pass over the whole school: the statistics statement plus a few set-based queries.
    Each duty is inserted only if its (pupil, kind, trigger_key) is new, so a second run, or a
    second worker, raises nothing twice. Recode duties whose mark is no longer N are closed.
    Returns the duties this call raised.
    """
    school = get_school(session, school_id)
    loaded = policy_of(school)
    calendar = calendar_of(school)
    period = period_for(calendar, as_of, loaded.policy.la_duties.n_code_resolution_school_days)
    now = clock.now()
    _close_recoded_n(session, school_id, now)
    if period.last_school_day_index < 0:
        session.commit()
        return []
    review = _Review(
        school_id=school_id,
        as_of=as_of,
        calendar=calendar,
        period=period,
        rules=loaded.policy.la_duties,
        policy_version=loaded.version,
        now=now,
        next_school_day=_next_school_day(calendar, as_of),
    )
    pupils = _pupils(session, school_id)
    figures = [(pupils[f.upn], f) for f in attendance_statistics(session, school_id, as_of)]
    expectations = _expectations(session, school_id, period)
    rows = [
        *_continuous_absence_returns(review, figures),
        *_sickness_returns(session, review, figures, expectations),
        *_recode_n(session, review),
        *_ehcp_informs(review, figures),
        *_deletion_grounds(session, review, figures, expectations),
    ]
    created = insert_ignoring_duplicates(
        session, DUTIES, rows, ["pupil_id", "kind", "trigger_key"], returning=DUTIES.c.id
    )
    raised: list[LaDuty] = []
    if created:
        raised = list(
            session.scalars(
                select(LaDuty)
                .where(col(LaDuty.id).in_(created))
                .order_by(col(LaDuty.kind), col(LaDuty.pupil_id), col(LaDuty.trigger_key))
            )
        )
    session.commit()
    return raised


def record_expected_illness(
    session: Session, pupil_id: int, extra_school_days: int, reason: str, by: str, clock: Clock
) -> LaDuty:
    """Record staff's reasonable grounds to expect more school days of illness (spec §4, §8.19).

    Stored as a done `sickness_expected` row with the illness days so far this year, so the
    expected total is those days plus the extra; later I marks do not count twice. The next
    review raises the sickness return when the expected total reaches the policy's days.
    """
    if extra_school_days < 1:
        raise DutyRefused("the expected extra school days of illness must be at least 1")
    _require(reason, "the reasonable grounds (e.g. 'surgery booked, 7 school days in January')")
    _require(by, "the name and position of the person recording it")
    pupil = session.get(Pupil, pupil_id)
    if pupil is None:
        raise LookupError(f"no pupil with id {pupil_id}")
    today = school_today(clock)
    year_start = calendar_of(get_school(session, pupil.school_id)).academic_year_start(today)
    so_far = session.execute(
        select(func.count(func.distinct(MARKS.c.date))).where(
            MARKS.c.pupil_id == pupil_id,
            MARKS.c.code == "I",
            MARKS.c.date.between(year_start, today),
        )
    ).scalar_one()
    earlier = session.execute(
        select(func.count()).where(
            DUTIES.c.pupil_id == pupil_id, DUTIES.c.kind == SICKNESS_EXPECTED
        )
    ).scalar_one()
    now = clock.now()
    record = LaDuty(
        school_id=pupil.school_id,
        pupil_id=pupil_id,
        kind=SICKNESS_EXPECTED,
        trigger_key=f"{today.isoformat()}#{earlier + 1}",
        summary=f"Expected illness: {extra_school_days} more school days ({reason.strip()})",
        due_on=today,
        status=DONE,
        details={
            "extra_school_days": extra_school_days,
            "illness_school_days_at_record": int(so_far),
            "expected_total": int(so_far) + extra_school_days,
            "reason": reason.strip(),
            "recorded_on": today.isoformat(),
        },
        created_at=now,
        done_at=now,
        done_by=by.strip(),
    )
    session.add(record)
    session.commit()
    return record


def complete_duty(
    session: Session, duty_id: int, by: str, note: str | None, *, clock: Clock | None = None
) -> LaDuty:
    """Mark an open duty done (the return sent, the LA informed); commits.

    A recode duty is done only once the register no longer says N, and the deletion ground
    only through `confirm_deletion_ground`, which demands the joint enquiries.
    """
    _require(by, "the name and position of the person completing it")
    duty = _open_duty(session, duty_id)
    if duty.kind == DELETION_GROUND:
        raise DutyRefused(
            "the deletion ground is confirmed with confirm_deletion_ground, which records the "
            "joint reasonable enquiries by the school and the LA (spec §4 condition 4)"
        )
    if duty.kind == RECODE_N and _still_n(session, duty):
        raise DutyRefused(
            f"the register still has N for {duty.trigger_key}: amend the mark (spec §3), and "
            "the next review closes this duty"
        )
    _finish(duty, DONE, by, (clock or SystemClock()).now(), {"note": note} if note else {})
    session.commit()
    return duty


def dismiss_duty(
    session: Session, duty_id: int, by: str, reason: str, *, clock: Clock | None = None
) -> LaDuty:
    """Dismiss an open duty, with the reason on record; commits.

    An overdue N cannot be dismissed: the law requires the register to be corrected (spec §3).
    """
    _require(by, "the name and position of the person dismissing it")
    _require(reason, "why the duty does not apply")
    duty = _open_duty(session, duty_id)
    if duty.kind == RECODE_N and _still_n(session, duty):
        raise DutyRefused(
            f"an N must be replaced within 5 school days (spec §3): recode {duty.trigger_key} "
            "in the register instead"
        )
    _finish(duty, DISMISSED, by, (clock or SystemClock()).now(), {"dismissed_reason": reason})
    session.commit()
    return duty


def confirm_deletion_ground(
    session: Session,
    duty_id: int,
    enquiries_note: str,
    by: str,
    *,
    clock: Clock | None = None,
) -> LaDuty:
    """Confirm the 20-school-day deletion ground after staff checked what the engine cannot.

    Refused without a note describing the school's and the LA's joint reasonable enquiries
    (spec §4 condition 4), when sickness grounds have been recorded since, or when the register
    since the period began holds any code other than G, N or O. Confirming does not delete
    the pupil: the deletion return and telling a social worker follow (spec §3, §4).
    """
    _require(by, "the name and position of the person confirming it")
    duty = _open_duty(session, duty_id)
    if duty.kind != DELETION_GROUND:
        raise DutyRefused(f"duty {duty_id} is a {duty.kind}, not a deletion ground")
    note = (enquiries_note or "").strip()
    if len(note) < MIN_ENQUIRIES_NOTE:
        raise DutyRefused(
            "describe the reasonable enquiries the school AND the local authority made jointly "
            "and that they failed to find where the pupil is (spec §4 condition 4)"
        )
    start = date.fromisoformat(duty.trigger_key)
    other = session.execute(
        select(MARKS.c.date, MARKS.c.session, MARKS.c.code)
        .where(
            MARKS.c.pupil_id == duty.pupil_id,
            MARKS.c.date >= start,
            MARKS.c.code.not_in(DELETION_GROUND_CODES),
        )
        .order_by(MARKS.c.date, MARKS.c.session)
        .limit(1)
    ).first()
    if other is not None:
        raise DutyRefused(
            f"the register has {other.code} on {other.date} {other.session}: the ground needs "
            "every session since the absence began to be G, N or O (spec §4 condition 2)"
        )
    grounds = session.execute(
        select(func.count()).where(
            DUTIES.c.pupil_id == duty.pupil_id,
            DUTIES.c.kind == SICKNESS_EXPECTED,
            DUTIES.c.due_on >= start,
        )
    ).scalar_one()
    if grounds:
        raise DutyRefused(
            "sickness grounds have been recorded for this pupil: the ground does not apply "
            "(spec §4 condition 3)"
        )
    _finish(
        duty,
        DONE,
        by,
        (clock or SystemClock()).now(),
        {
            "joint_enquiries": note,
            "confirmed": True,
            "next_steps": [
                "deletion return to the LA as soon as the ground is met and no later than "
                "the deletion (REG24 r13(4))",
                "inform the social worker, if the pupil has one",
                "keep the register entry for 6 years",
            ],
        },
    )
    session.commit()
    return duty


def open_duties(session: Session, school_id: str) -> list[LaDuty]:
    """A school's open duties, soonest due first."""
    return list(
        session.scalars(
            select(LaDuty)
            .where(col(LaDuty.school_id) == school_id, col(LaDuty.status) == OPEN)
            .order_by(col(LaDuty.due_on), col(LaDuty.id))
        )
    )


# --- the review's rules, one per kind ---------------------------------------------------


def _continuous_absence_returns(
    review: _Review, figures: list[tuple[_Pupil, PupilStatistics]]
) -> list[dict[str, Any]]:
    """Spec §4 row 1: unauthorised absence for a continuous period of ≥10 school days.

    CSA pupils only (spec §7.1, §8.25). The run is counted by the statistics in school days
    (spec §7.2), ending on the last school day; its first day is the trigger, so the same run
    is returned once and a new run after attendance is returned again. The return is made "at
    intervals agreed with the LA": due the next school day.
    """
    rows = []
    threshold = review.rules.continuous_unauthorised_school_days
    for pupil, f in figures:
        run = f.consecutive_unauthorised_school_days
        if run < threshold or not f.compulsory_school_age:
            continue
        start = review.calendar.days[review.period.last_school_day_index - run + 1].date
        rows.append(
            _row(
                review,
                pupil.id,
                CONTINUOUS_ABSENCE_RETURN,
                start.isoformat(),
                f"Attendance return to the LA: {pupil.name} has had unauthorised absence for "
                f"{run} continuous school days since {start:%a %d %b %Y} (send full name, "
                "address and the cause if known)",
                review.next_school_day,
                {"run_start": start.isoformat(), "school_days": run, "threshold": threshold},
            )
        )
    return rows


def _sickness_returns(
    session: Session,
    review: _Review,
    figures: list[tuple[_Pupil, PupilStatistics]],
    expectations: dict[int, _Expectation],
) -> list[dict[str, Any]]:
    """Spec §4 row 2, §8.19: a pupil coded I who will miss ≥15 school days this year.

    "Will" is met when the illness days so far reach the policy's days, or staff recorded
    grounds to expect the rest (`record_expected_illness`). One return per continuous period
    of sickness: the latest period's first day is the trigger. Due now (the as-of date).
    CSA pupils only, as for every LA attendance return (spec §7.1).
    """
    threshold = review.rules.sickness_school_days
    periods = _latest_sickness_periods(session, review)
    rows = []
    for pupil, f in figures:
        latest = periods.get(pupil.id)
        if latest is None or not f.compulsory_school_age:
            continue
        expected = expectations.get(pupil.id)
        expected_total = max(f.illness_school_days, expected.expected_total if expected else 0)
        if expected_total < threshold:
            continue
        start, end, days = latest
        why = (
            f"{f.illness_school_days} school days of illness this year"
            if f.illness_school_days >= threshold or expected is None
            else f"{f.illness_school_days} school days of illness this year and "
            f"{expected.extra_school_days} more expected ({expected.reason})"
        )
        rows.append(
            _row(
                review,
                pupil.id,
                SICKNESS_RETURN,
                start.isoformat(),
                f"Sickness return to the LA: {pupil.name}, {why}; this period of sickness "
                f"began {start:%a %d %b %Y}",
                review.as_of,
                {
                    "period_start": start.isoformat(),
                    "period_last_day": end.isoformat(),
                    "period_school_days": days,
                    "illness_school_days": f.illness_school_days,
                    "expected_total": expected_total,
                    "expectation": None if expected is None else asdict(expected),
                    "threshold": threshold,
                },
            )
        )
    return rows


def _recode_n(session: Session, review: _Review) -> list[dict[str, Any]]:
    """Spec §3, §8.7: an N not replaced within the policy's school days must be recoded.

    One duty per overdue mark, due on the last school day allowed (the 5th after the session),
    proposing the code from a reason already reported for the session, else O.
    """
    days = review.rules.n_code_resolution_school_days
    mark, day, reported = MARKS.c, SCHOOL_DAYS.c, REPORTED.c
    query = (
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
            _on_roll(review.school_id, review.as_of),
            mark.code == "N",
            mark.date <= review.period.overdue_n_before,  # the one reading of the window
        )
    )
    rows = []
    for r in session.execute(query):
        deadline = review.calendar.days[r.day_index + days].date
        proposed = r.suggested_code if r.suggested_code and r.suggested_code != "N" else "O"
        because = f"reason reported: {r.reason}" if r.reason else "no reason is known"
        rows.append(
            _row(
                review,
                r.pupil_id,
                RECODE_N,
                f"{r.date.isoformat()} {r.session}",
                f"Recode the N on {r.date:%a %d %b %Y} {r.session}: not replaced within {days} "
                f"school days; {because}, so propose {proposed}",
                deadline,
                {
                    "date": r.date.isoformat(),
                    "session": r.session,
                    "proposed_code": proposed,
                    "reported_reason": r.reason,
                    "deadline": deadline.isoformat(),
                },
            )
        )
    return rows


def _ehcp_informs(
    review: _Review, figures: list[tuple[_Pupil, PupilStatistics]]
) -> list[dict[str, Any]]:
    """Spec §4 row 3: a pupil with an EHC plan whose attendance falls → inform the LA.

    "Falls" is below the policy's percentage, or persistent absence (spec §2) when the policy
    sets none. Once per half-term (the half-term's first day is the trigger); due the next
    school day.
    """
    if not review.rules.ehcp_inform_la:
        return []
    below_pct = review.rules.ehcp_attendance_below_pct
    half_term = review.period.half_term_start
    rows = []
    for pupil, f in figures:
        if not pupil.ehcp or f.attendance_pct is None:
            continue
        falls = f.attendance_pct < below_pct if below_pct is not None else f.persistent_absence
        if not falls:
            continue
        measure = (
            f"below {below_pct:g}%"
            if below_pct is not None
            else "persistent absence (10% or more missed)"
        )
        rows.append(
            _row(
                review,
                pupil.id,
                EHCP_INFORM_LA,
                half_term.isoformat(),
                f"Inform the LA: {pupil.name} has an EHC plan and attendance of "
                f"{f.attendance_pct:.1f}% this year, {measure}",
                review.next_school_day,
                {
                    "attendance_pct": f.attendance_pct,
                    "below_pct": below_pct,
                    "persistent_absence": f.persistent_absence,
                    "half_term_start": half_term.isoformat(),
                },
            )
        )
    return rows


def _deletion_grounds(
    session: Session,
    review: _Review,
    figures: list[tuple[_Pupil, PupilStatistics]],
    expectations: dict[int, _Expectation],
) -> list[dict[str, Any]]:
    """Spec §4 "Ground I", offered only as a proposal for staff to confirm (design principle 7).

    The engine checks what the register shows: (1) continuously absent ≥20 school days up to
    the last school day, (2) every session of that absence G, N or O, (3) no I in it (implied by
    2) and no recorded sickness grounds this year. Condition 3's other causes and condition 4
    (joint enquiries by school and LA) are for staff, and the summary says so.
    """
    by_id = {pupil.id: (pupil, f) for pupil, f in figures}
    rows = []
    for r in session.execute(_absence_runs(review)):
        if r.ground_sessions != r.sessions or r.pupil_id in expectations:
            continue
        pupil, f = by_id[r.pupil_id]
        start = _as_date(r.start)
        cautions = []
        if pupil.medical_need:
            cautions.append(
                "the pupil has a recorded medical need: consider whether sickness grounds apply"
            )
        if not f.compulsory_school_age:
            cautions.append("the pupil is not of compulsory school age")
        then = "make the deletion return to the LA" + (
            " and inform the social worker" if pupil.social_worker else ""
        )
        rows.append(
            _row(
                review,
                r.pupil_id,
                DELETION_GROUND,
                start.isoformat(),
                "proposal: the 20-school-day ground may apply — confirm only if the school AND "
                "the LA, after jointly making reasonable enquiries, have failed to find where "
                f"{pupil.name} is, and the school has no reasonable grounds to believe the pupil "
                "cannot attend through sickness (including mental health, anxiety, EBSA, SEMH) "
                f"or an unavoidable cause. Absent {r.days} school days since "
                f"{start:%a %d %b %Y}, every session G, N or O. Once confirmed, {then}."
                + "".join(f" Note: {c}." for c in cautions),
                review.next_school_day,
                {
                    "period_start": start.isoformat(),
                    "school_days": r.days,
                    "sessions": r.sessions,
                    "codes": {"G": r.g, "N": r.n, "O": r.o},
                    "conditions": {
                        "1 continuously absent >= 20 school days": "met",
                        "2 every session G, N or O": "met",
                        "3 no sickness or unavoidable cause": "no I in the period and no "
                        "recorded sickness grounds; staff must confirm the rest",
                        "4 joint reasonable enquiries by school and LA": "staff must confirm",
                    },
                    "cautions": cautions,
                    "social_worker": pupil.social_worker,
                },
            )
        )
    return rows


# --- set-based queries over the whole school ----------------------------------------------


def _on_roll(school_id: str, as_of: date) -> ColumnElement[bool]:
    """As in the statistics: admitted by the date and not yet left."""
    return and_(
        PUPILS.c.school_id == school_id,
        PUPILS.c.admission_date <= as_of,
        or_(PUPILS.c.leaving_date.is_(None), PUPILS.c.leaving_date >= as_of),
    )


def _marks_on_school_days() -> Any:
    return MARKS.join(PUPILS, PUPILS.c.id == MARKS.c.pupil_id).join(
        SCHOOL_DAYS,
        and_(SCHOOL_DAYS.c.school_id == PUPILS.c.school_id, SCHOOL_DAYS.c.date == MARKS.c.date),
    )


def _latest_sickness_periods(
    session: Session, review: _Review
) -> dict[int, tuple[date, date, int]]:
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
        .select_from(_marks_on_school_days())
        .where(
            _on_roll(review.school_id, review.as_of),
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
        first, last = _as_date(r.first), _as_date(r.last)
        if r.pupil_id not in latest or last > latest[r.pupil_id][1]:
            latest[r.pupil_id] = (first, last, int(r.days))
    return latest


def _absence_runs(review: _Review) -> Any:
    """Each pupil's run of whole days of absence ending on the last school day, if ≥20 days.

    A day of absence has a mark for every session and none of them an attending code; a day
    with a missing mark ends the run, as the register cannot show the pupil was absent.
    """
    mark, day = MARKS.c, SCHOOL_DAYS.c

    def sessions_coded(codes: Iterable[str]) -> ColumnElement[int]:
        return cast(func.sum(case((mark.code.in_(sorted(codes)), 1), else_=0)), Integer)

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
        .select_from(_marks_on_school_days())
        .where(_on_roll(review.school_id, review.as_of), mark.date <= review.as_of)
        .group_by(mark.pupil_id, day.day_index, day.date, day.sessions)
        .having(and_(func.count() == day.sessions, sessions_coded(ATTENDING_CODES) == 0))
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


def _pupils(session: Session, school_id: str) -> dict[str, _Pupil]:
    p = PUPILS.c
    rows = session.execute(
        select(
            p.id, p.upn, p.given_name, p.family_name, p.ehcp, p.medical_need, p.social_worker
        ).where(p.school_id == school_id)
    )
    return {
        r.upn: _Pupil(
            r.id, f"{r.given_name} {r.family_name}", r.ehcp, r.medical_need, r.social_worker
        )
        for r in rows
    }


def _expectations(session: Session, school_id: str, period: Period) -> dict[int, _Expectation]:
    """The latest expectation of illness per pupil recorded this academic year by the date."""
    found: dict[int, _Expectation] = {}
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
        found[record.pupil_id] = _Expectation(
            int(d["expected_total"]), int(d["extra_school_days"]), d["reason"], d["recorded_on"]
        )
    return found


def _close_recoded_n(session: Session, school_id: str, now: dt.datetime) -> None:
    """Close open recode duties whose mark the register no longer holds as N."""
    duties = session.scalars(
        select(LaDuty).where(
            col(LaDuty.school_id) == school_id,
            col(LaDuty.kind) == RECODE_N,
            col(LaDuty.status) == OPEN,
        )
    ).all()
    if not duties:
        return
    current = {
        (r.pupil_id, r.date, r.session): r.code
        for r in session.execute(
            select(MARKS.c.pupil_id, MARKS.c.date, MARKS.c.session, MARKS.c.code).where(
                MARKS.c.pupil_id.in_(sorted({d.pupil_id for d in duties})),
                MARKS.c.date.in_(sorted({_duty_date(d) for d in duties})),
            )
        )
    }
    for duty in duties:
        code = current.get((duty.pupil_id, _duty_date(duty), duty.details["session"]))
        if code != "N":
            _finish(duty, DONE, REGISTER, now, {"recoded_to": code})


# --- helpers ----------------------------------------------------------------------------


def _row(
    review: _Review,
    pupil_id: int,
    kind: str,
    trigger_key: str,
    summary: str,
    due_on: date,
    details: dict[str, Any],
) -> dict[str, Any]:
    # Every decision records the policy version it was made under (design principle 2).
    return {
        "school_id": review.school_id,
        "pupil_id": pupil_id,
        "kind": kind,
        "trigger_key": trigger_key,
        "summary": summary,
        "due_on": due_on,
        "status": OPEN,
        "details": {
            **details,
            "as_of": review.as_of.isoformat(),
            "policy_version": review.policy_version,
        },
        "created_at": review.now,
        "done_at": None,
        "done_by": None,
    }


def _next_school_day(calendar: SchoolCalendar, after: date) -> date:
    last = calendar.last_school_day_on_or_before(after)
    index = last.day_index + 1 if last else 0
    return calendar.days[index].date if index < len(calendar.days) else after + dt.timedelta(1)


def _open_duty(session: Session, duty_id: int) -> LaDuty:
    duty = session.get(LaDuty, duty_id)
    if duty is None:
        raise LookupError(f"no duty with id {duty_id}")
    if duty.status != OPEN:
        raise DutyRefused(f"duty {id_of(duty)} is already {duty.status}")
    return duty


def _finish(duty: LaDuty, status: str, by: str, now: dt.datetime, details: dict[str, Any]) -> None:
    duty.status = status
    duty.done_at = now
    duty.done_by = by.strip()
    duty.details = {**(duty.details or {}), **details}  # a new dict, so the change is saved


def _still_n(session: Session, duty: LaDuty) -> bool:
    code = session.execute(
        select(MARKS.c.code).where(
            MARKS.c.pupil_id == duty.pupil_id,
            MARKS.c.date == _duty_date(duty),
            MARKS.c.session == duty.details["session"],
        )
    ).scalar_one_or_none()
    return code == "N"


def _duty_date(duty: LaDuty) -> date:
    return date.fromisoformat(duty.details["date"])


def _as_date(value: date | str) -> date:
    # SQLite hands MIN() and MAX() over a date column back as text.
    return date.fromisoformat(value) if isinstance(value, str) else value


def _require(value: str | None, what: str) -> None:
    if not value or not value.strip():
        raise DutyRefused(f"give {what}")
