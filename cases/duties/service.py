"""The duties' entry points: review a school, record expected illness, complete or dismiss."""

from __future__ import annotations

import datetime as dt
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, col

from cases.duties.facts import Review
from cases.duties.queries import DUTIES, expectations, pupils, still_n
from cases.duties.raising import (
    continuous_absence_returns,
    deletion_grounds,
    ehcp_informs,
    recode_n,
    sickness_returns,
)
from cases.duties.rules import (
    DELETION_GROUND,
    DELETION_GROUND_CODES,
    DISMISSED,
    DONE,
    MIN_ENQUIRIES_NOTE,
    OPEN,
    RECODE_N,
    REGISTER,
    SICKNESS_EXPECTED,
    DutyRefused,
    duty_date,
    finish,
    next_school_day,
    require,
)
from cases.models import LaDuty
from school.clock import Clock, SystemClock, school_today
from school.database import id_of, insert_ignoring_duplicates
from school.law import N_CODE_SCHOOL_DAYS
from school.models import Pupil
from school.schools import LoadedSchool, calendar_of, get_school
from school.statistics import period_for, statistics_for
from school.tables import MARKS


def review_la_duties(
    session: Session, school: LoadedSchool, as_of: date, clock: Clock
) -> list[LaDuty]:
    """Raise every duty due for a school as of a date (its last session included); commits.

    One pass over the whole school: the statistics statement plus a few set-based queries.
    Each duty is inserted only if its (pupil, kind, trigger_key) is new, so a second run, or a
    second worker, raises nothing twice. Recode duties whose mark is no longer N are closed.
    Returns the duties this call raised.
    """
    school_id, loaded, calendar = school.id, school.policy, school.calendar
    period = period_for(calendar, as_of, loaded.policy.la_duties.n_code_resolution_school_days)
    now = clock.now()
    _close_recoded_n(session, school_id, now)
    if period.last_school_day_index < 0:
        session.commit()
        return []
    by_upn = pupils(session, school_id)
    review = Review(
        school_id=school_id,
        as_of=as_of,
        calendar=calendar,
        period=period,
        rules=loaded.policy.la_duties,
        policy_version=loaded.version,
        now=now,
        next_school_day=next_school_day(calendar, as_of),
        figures=[(by_upn[f.upn], f) for f in statistics_for(session, school, as_of)],
        expectations=expectations(session, school_id, period),
    )
    rows = [
        *continuous_absence_returns(review),
        *sickness_returns(session, review),
        *recode_n(session, review),
        *ehcp_informs(review),
        *deletion_grounds(session, review),
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
    require(reason, "the reasonable grounds (e.g. 'surgery booked, 7 school days in January')")
    require(by, "the name and position of the person recording it")
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
    require(by, "the name and position of the person completing it")
    duty = _open_duty(session, duty_id)
    if duty.kind == DELETION_GROUND:
        raise DutyRefused(
            "the deletion ground is confirmed with confirm_deletion_ground, which records the "
            "joint reasonable enquiries by the school and the LA (spec §4 condition 4)"
        )
    if duty.kind == RECODE_N and still_n(session, duty):
        raise DutyRefused(
            f"the register still has N for {duty.trigger_key}: amend the mark (spec §3), and "
            "the next review closes this duty"
        )
    finish(duty, DONE, by, (clock or SystemClock()).now(), {"note": note} if note else {})
    session.commit()
    return duty


def dismiss_duty(
    session: Session, duty_id: int, by: str, reason: str, *, clock: Clock | None = None
) -> LaDuty:
    """Dismiss an open duty, with the reason on record; commits.

    An overdue N cannot be dismissed: the law requires the register to be corrected (spec §3).
    """
    require(by, "the name and position of the person dismissing it")
    require(reason, "why the duty does not apply")
    duty = _open_duty(session, duty_id)
    if duty.kind == RECODE_N and still_n(session, duty):
        raise DutyRefused(
            f"an N must be replaced within {N_CODE_SCHOOL_DAYS} school days (spec §3): recode "
            f"{duty.trigger_key} in the register instead"
        )
    finish(duty, DISMISSED, by, (clock or SystemClock()).now(), {"dismissed_reason": reason})
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
    require(by, "the name and position of the person confirming it")
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
    finish(
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
                MARKS.c.date.in_(sorted({duty_date(d) for d in duties})),
            )
        )
    }
    for duty in duties:
        code = current.get((duty.pupil_id, duty_date(duty), duty.details["session"]))
        if code != "N":
            finish(duty, DONE, REGISTER, now, {"recoded_to": code})


def _open_duty(session: Session, duty_id: int) -> LaDuty:
    duty = session.get(LaDuty, duty_id)
    if duty is None:
        raise LookupError(f"no duty with id {duty_id}")
    if duty.status != OPEN:
        raise DutyRefused(f"duty {id_of(duty)} is already {duty.status}")
    return duty
