"""The demo's morning: registers taken for a school day, and a few scripted parent replies."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, or_, select
from sqlmodel import Session, col

from chase.models import ReportedAbsence
from chase.simulation import Scripted
from school.clock import SCHOOL_TIME_ZONE
from school.database import id_of
from school.models import AttendanceMark, Pupil
from school.policy import Policy

REPLIES = [
    "Sorry, {name} has a temperature so I'm keeping them home today",
    "{name} has a dentist appointment this morning, will be in after lunch",
    "What? {name} left for school at 8",
]


def take_morning_register(
    session: Session, school_id: str, policy: Policy, on: date, seed: int = 1
) -> list[Pupil]:
    """Mark the day's AM register: most present, a few late within the register window, a few
    reported by phone before the deadline, and about 2.5% absent with nobody having said why.
    Returns those unexplained pupils."""
    rng = random.Random(seed)
    pupils = list(
        session.scalars(
            select(Pupil)
            .where(
                col(Pupil.school_id) == school_id,
                col(Pupil.admission_date) <= on,
                or_(col(Pupil.leaving_date).is_(None), col(Pupil.leaving_date) >= on),
            )
            .order_by(col(Pupil.upn))
        )
    )
    ids = [id_of(p) for p in pupils]
    session.execute(
        delete(AttendanceMark).where(
            col(AttendanceMark.date) == on, col(AttendanceMark.pupil_id).in_(ids)
        )
    )
    session.execute(
        delete(ReportedAbsence).where(
            col(ReportedAbsence.date) == on, col(ReportedAbsence.pupil_id).in_(ids)
        )
    )
    unexplained = []
    reported_at = datetime.combine(on, time(8, 20), tzinfo=SCHOOL_TIME_ZONE).astimezone(UTC)
    for pupil in pupils:
        roll = rng.random()
        if roll < 0.025:
            unexplained.append(pupil)
        elif roll < 0.05:
            session.add(
                ReportedAbsence(
                    pupil_id=id_of(pupil),
                    date=on,
                    session="AM",
                    reason="parent phoned: ill",
                    suggested_code="I",
                    source="staff",
                    recorded_by="Office",
                    recorded_at=reported_at,
                )
            )
        else:
            late = rng.random() < 0.03
            # Late but before the close: L (reg 10); minutes count from the register opening.
            window = policy.register_window(pupil.year_group, "AM").minutes_open
            session.add(
                AttendanceMark(
                    pupil_id=id_of(pupil),
                    date=on,
                    session="AM",
                    code="L" if late else "/",
                    minutes_late=rng.randint(1, window) if late else None,
                )
            )
    session.commit()
    return unexplained


def demo_script(policy: Policy, unexplained: list[Pupil]) -> list[Scripted]:
    """A few things that happen during the demo morning, timed from the register close."""
    window = policy.register_window(unexplained[0].year_group if unexplained else 0, "AM")
    close = datetime.combine(date.today(), window.closes)

    def at(minutes: int) -> time:
        return (close + timedelta(minutes=minutes)).time()

    script = [
        Scripted(at(6 + 4 * i), "reply", pupil.upn, text=REPLIES[i].format(name=pupil.given_name))
        for i, pupil in enumerate(unexplained[: len(REPLIES)])
    ]
    rest = unexplained[len(REPLIES) :]
    if rest:
        script.append(Scripted(at(20), "arrival", rest[0].upn))  # after close: marked U
    if len(rest) > 1:
        script.append(
            Scripted(at(33), "call_outcome", rest[1].upn, code="answered_reason_to_follow")
        )
    return script
