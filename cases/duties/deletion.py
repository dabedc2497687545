"""Ground I confirmed (spec §4, reg 9(1)(i)): the joint enquiries on record, then the returns.

The engine proposes the 20-school-day ground from the register (`raising.deletion_grounds`);
only staff can confirm what it cannot see: that the school AND the LA, after jointly making
reasonable enquiries, failed to find the child. Confirming names who did so for each, when, and
what was tried; only then are the deletion return and (where the pupil has one) the social
worker's notification raised, due at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from cases.duties.queries import DUTIES, open_duty, parents_of
from cases.duties.reading import insert_new
from cases.duties.registration import LEAVER_FIELDS_TO_ADD, contents
from cases.duties.rules import (
    DELETION_GROUND,
    DELETION_GROUND_CODES,
    DELETION_RETURN,
    DONE,
    GROUND_I,
    INFORM_SOCIAL_WORKER,
    MIN_ENQUIRIES_NOTE,
    OPEN,
    SICKNESS_EXPECTED,
    DutyRefused,
    finish,
    require,
)
from cases.models import LaDuty
from school.clock import Clock, school_today
from school.models import Pupil
from school.tables import MARKS


@dataclass(frozen=True)
class JointEnquiries:
    """Who made the reasonable enquiries for the school and for the LA, when, and what."""

    school_by: str  # "Name, Position"
    la_by: str  # "Name, Role" at the local authority
    on: date  # when the enquiries concluded the child could not be found
    what: str


def confirm_deletion_ground(
    session: Session, duty_id: int, enquiries: JointEnquiries, clock: Clock
) -> tuple[LaDuty, list[LaDuty]]:
    """Confirm a proposed Ground I deletion and raise what the law asks next; commits.

    Refused without both names, a date no later than today and not before the absence began,
    and a description of the joint enquiries; refused too when the register since the absence
    began holds any code other than G, N or O (the pupil turned up, or was ill), or sickness
    grounds were recorded since (spec §4 conditions 2-4). Confirming does not delete the pupil:
    the MIS does, with the leaving date the deletion return is about.
    """
    require(enquiries.school_by, "the name and position of who enquired for the school")
    require(enquiries.la_by, "the name and role of who enquired for the local authority")
    duty = open_duty(session, duty_id)
    if duty.kind != DELETION_GROUND:
        raise DutyRefused(f"duty {duty_id} is a {duty.kind}, not a deletion ground")
    what = (enquiries.what or "").strip()
    if len(what) < MIN_ENQUIRIES_NOTE:
        raise DutyRefused(
            "describe the reasonable enquiries the school AND the local authority made jointly "
            "and that they failed to find where the pupil is (spec §4 condition 4)"
        )
    start, today = date.fromisoformat(duty.trigger_key), school_today(clock)
    if not start <= enquiries.on <= today:
        raise DutyRefused(
            f"the enquiries' date must be between the first day of absence ({start}) and today "
            f"({today})"
        )
    _refuse_if_attended_or_ill(session, duty, start)
    now = clock.now()
    finish(
        duty,
        DONE,
        enquiries.school_by,
        now,
        {
            "confirmed": True,
            "joint_enquiries": what,
            "school_by": enquiries.school_by.strip(),
            "la_by": enquiries.la_by.strip(),
            "enquiries_on": enquiries.on.isoformat(),
        },
    )
    raised = insert_new(session, _returns(session, duty, enquiries, today, now))
    session.commit()
    return duty, raised


def _refuse_if_attended_or_ill(session: Session, duty: LaDuty, start: date) -> None:
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


def _returns(
    session: Session, duty: LaDuty, enquiries: JointEnquiries, today: date, now: Any
) -> list[dict[str, Any]]:
    """The deletion return (its ground known: Ground I) and the social worker's notification."""
    pupil = session.get(Pupil, duty.pupil_id)
    assert pupil is not None  # a duty's pupil is a foreign key
    name = f"{pupil.given_name} {pupil.family_name}"
    parents = parents_of(session, [duty.pupil_id])
    key = f"{GROUND_I} {duty.trigger_key}"
    shared = {
        "school_id": duty.school_id,
        "pupil_id": duty.pupil_id,
        "trigger_key": key,
        "due_on": today,
        "status": OPEN,
        "created_at": now,
        "done_at": None,
        "done_by": None,
    }
    because = {
        "ground": GROUND_I,
        "deletion_ground_duty": duty.id,
        "enquiries_on": enquiries.on.isoformat(),
        "as_of": today.isoformat(),
        "policy_version": (duty.details or {}).get("policy_version"),
    }
    rows = [
        {
            **shared,
            "kind": DELETION_RETURN,
            "summary": f"Deletion return to the LA: {name}, Ground I confirmed (20 school days' "
            f"absence since {duty.trigger_key}, school and LA could not find them); send now, "
            "before the name is deleted (reg 13(4))",
            "details": {
                **because,
                "return": contents(pupil, parents.get(duty.pupil_id, [])),
                "to_add": LEAVER_FIELDS_TO_ADD[1:],
            },
        }
    ]
    if pupil.social_worker:
        rows.append(
            {
                **shared,
                "kind": INFORM_SOCIAL_WORKER,
                "summary": f"Tell {name}'s social worker now: Ground I is confirmed and the name "
                "is to be deleted from the admission register (spec §4)",
                "details": {**because, "reason": "name to be deleted (Ground I)"},
            }
        )
    return rows
