"""The duties' entry points: review a school, complete or dismiss a duty, list what is open.

Recording expected illness is `cases.duties.illness`; confirming Ground I `cases.duties.deletion`.
"""

from __future__ import annotations

import datetime as dt
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from cases.duties.queries import open_duty, still_n
from cases.duties.raising import (
    continuous_absence_returns,
    deletion_grounds,
    ehcp_informs,
    recode_n,
    sickness_returns,
)
from cases.duties.reading import insert_new, read_review
from cases.duties.registration import registration_returns
from cases.duties.rules import (
    DELETION_GROUND,
    DELETION_GROUNDS,
    DELETION_RETURN,
    DISMISSED,
    DONE,
    OPEN,
    RECODE_N,
    REGISTER,
    DutyRefused,
    duty_date,
    finish,
    require,
)
from cases.models import LaDuty
from school.clock import Clock, SystemClock
from school.law import N_CODE_SCHOOL_DAYS
from school.schools import LoadedSchool
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
    _close_recoded_n(session, school.id, clock.now())
    review = read_review(session, school, as_of, clock)
    if review is None:
        session.commit()
        return []
    raised = insert_new(
        session,
        [
            *continuous_absence_returns(review),
            *sickness_returns(session, review),
            *recode_n(session, review),
            *ehcp_informs(review),
            *deletion_grounds(session, review),
            *registration_returns(session, review),
        ],
    )
    session.commit()
    return raised


def complete_duty(
    session: Session,
    duty_id: int,
    by: str,
    note: str | None,
    *,
    ground: str | None = None,
    clock: Clock | None = None,
) -> LaDuty:
    """Mark an open duty done (the return sent, the LA informed); commits.

    A recode duty is done only once the register no longer says N; the deletion ground only
    through `cases.duties.deletion`, which demands the joint enquiries; a deletion return only
    with its ground for deletion (reg 9), unless the ground is already on it.
    """
    require(by, "the name and position of the person completing it")
    duty = open_duty(session, duty_id)
    if duty.kind == DELETION_GROUND:
        raise DutyRefused(
            "the deletion ground is confirmed with `duties confirm-deletion`, which records the "
            "joint reasonable enquiries by the school and the LA (spec §4 condition 4)"
        )
    if duty.kind == RECODE_N and still_n(session, duty):
        raise DutyRefused(
            f"the register still has N for {duty.trigger_key}: amend the mark (spec §3), and "
            "the next review closes this duty"
        )
    recorded: dict[str, object] = {"note": note} if note else {}
    if ground is not None and duty.kind != DELETION_RETURN:
        raise DutyRefused(f"a ground for deletion belongs on a deletion return, not a {duty.kind}")
    if duty.kind == DELETION_RETURN and not (duty.details or {}).get("ground"):
        if ground not in DELETION_GROUNDS:
            raise DutyRefused(
                "a deletion return states the ground for deletion (reg 9): give one of "
                + ", ".join(DELETION_GROUNDS)
            )
        recorded["ground"] = ground
    finish(duty, DONE, by, (clock or SystemClock()).now(), recorded)
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
    duty = open_duty(session, duty_id)
    if duty.kind == RECODE_N and still_n(session, duty):
        raise DutyRefused(
            f"an N must be replaced within {N_CODE_SCHOOL_DAYS} school days (spec §3): recode "
            f"{duty.trigger_key} in the register instead"
        )
    finish(duty, DISMISSED, by, (clock or SystemClock()).now(), {"dismissed_reason": reason})
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
