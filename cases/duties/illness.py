"""Expected illness (spec §4 row 2, §8.19): staff's grounds to expect 15 school days of sickness.

A planned operation or a known condition lets the school know, before the register shows it,
that a pupil will miss 15 or more school days this year through sickness. Recording it makes the
sickness return due at once, not when the 15th I is in the register.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from cases.duties.queries import DUTIES
from cases.duties.raising import sickness_returns
from cases.duties.reading import insert_new, read_review
from cases.duties.rules import DONE, SICKNESS_EXPECTED, DutyRefused, require
from cases.models import LaDuty
from school.clock import Clock, school_today
from school.database import id_of
from school.models import Pupil
from school.schools import LoadedSchool
from school.tables import MARKS

EXPECTED_DAYS_MAX = 195  # a school year has 190 school days: more is a typing slip
NOT_GIVEN = "grounds not given"


def record_expected_illness(
    session: Session,
    school: LoadedSchool,
    pupil: Pupil,
    first_day: date,
    school_days: int,
    reason: str | None,
    by: str,
    clock: Clock,
) -> tuple[LaDuty, list[LaDuty]]:
    """Record that a pupil will be off sick for `school_days` school days from `first_day`.

    Stored as a done `sickness_expected` row (a record, never a task) with the expected total
    this year: the school days of illness already in the register outside the expected period,
    plus the expected days. When that total reaches the policy's days (15 by law), the sickness
    return is raised now, due today, for the expected period. Commits; returns the record and
    any return raised.
    """
    if not 1 <= school_days <= EXPECTED_DAYS_MAX:
        raise DutyRefused(f"the expected school days of illness must be 1 to {EXPECTED_DAYS_MAX}")
    if reason is not None:  # left out, the record says so; typed blank, it is a slip
        require(reason, "the reasonable grounds (e.g. 'hip surgery on 12 Jan, 7 school days off')")
    grounds = reason.strip() if reason else NOT_GIVEN
    require(by, "the name and position of the person recording it")
    calendar = school.calendar
    start = calendar.day(first_day)
    if start is None:
        raise DutyRefused(f"{first_day} is not a school day at {school.name}")
    span = calendar.days[start.day_index : start.day_index + school_days]
    last_day = span[-1].date if len(span) == school_days else None  # past the calendar's end
    today = school_today(clock)
    year_start = calendar.academic_year_start(today)
    ill_days = session.execute(
        select(func.count(func.distinct(MARKS.c.date))).where(
            MARKS.c.pupil_id == pupil.id,
            MARKS.c.code == "I",
            MARKS.c.date.between(year_start, today),
            ~MARKS.c.date.between(first_day, last_day or date.max),
        )
    ).scalar_one()
    earlier = session.execute(
        select(func.count()).where(
            DUTIES.c.pupil_id == pupil.id, DUTIES.c.kind == SICKNESS_EXPECTED
        )
    ).scalar_one()
    now = clock.now()
    until = f"to {last_day:%a %d %b %Y}" if last_day else "past the end of the calendar"
    record = LaDuty(
        school_id=school.id,
        pupil_id=id_of(pupil),
        kind=SICKNESS_EXPECTED,
        trigger_key=f"{today.isoformat()}#{earlier + 1}",
        summary=f"Expected illness: {school_days} school days from {first_day:%a %d %b %Y} "
        f"{until} ({grounds})",
        due_on=today,
        status=DONE,
        details={
            "first_day": first_day.isoformat(),
            "last_day": last_day.isoformat() if last_day else None,
            "expected_school_days": school_days,
            "illness_school_days_outside": int(ill_days),
            "expected_total": int(ill_days) + school_days,
            "reason": grounds,
            "recorded_on": today.isoformat(),
            "policy_version": school.policy.version,
        },
        created_at=now,
        done_at=now,
        done_by=by.strip(),
    )
    session.add(record)
    session.flush()
    review = read_review(session, school, today, clock)
    raised: list[LaDuty] = []
    if review is not None:
        mine = [r for r in sickness_returns(session, review) if r["pupil_id"] == pupil.id]
        raised = insert_new(session, mine)
    session.commit()
    return record, raised
