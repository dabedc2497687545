"""The register-taken guard: nobody is chased from a register that is not in.

A year group's register is taken once the policy's share of its pupils on roll have a mark for
the session (an import, or an MIS feed). Until then its pupils are held back: no check, no
message. At the register's close plus the policy's grace the attendance officer gets one alert
per year group, stored once; when the marks arrive the alert is resolved, not deleted, and the
chase picks the pupils up on that tick.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from chase.models import RegisterAlert
from chase.morning import SchoolMorning
from chase.plan import resolve_plan, school_instant
from chase.rules import not_taken_reason, register_taken, taken_resolution
from school.database import insert_ignoring_duplicates
from school.policy import RegisterWindow
from school.roll import on_roll
from school.tables import MARKS, PUPILS

ALERTS = RegisterAlert.__table__  # type: ignore[attr-defined]


@dataclass
class Registers:
    """One register window's year groups at this tick."""

    # Year groups whose register is taken -> True if it came in after an alert was raised.
    taken: dict[int, bool] = field(default_factory=dict)
    held: list[int] = field(default_factory=list)  # year groups held back from the chase


def check_registers(
    session: Session, morning: SchoolMorning, window: RegisterWindow, now: datetime
) -> Registers:
    """Which of the window's year groups may be chased; raises and resolves their alerts."""
    chase = morning.policy.policy.chase
    closes = window.closes.strftime("%H:%M")
    alert_from = _alert_from(morning, window)
    alerts = {
        a.year_group: a
        for a in session.scalars(
            select(RegisterAlert).where(
                col(RegisterAlert.school_id) == morning.school.id,
                col(RegisterAlert.date) == morning.on,
                col(RegisterAlert.session) == window.session,
            )
        )
    }
    registers = Registers()
    raise_rows = []
    for year_group, pupils, marked in session.execute(_coverage(morning, window)):
        alert = alerts.get(year_group)
        if register_taken(pupils, marked, chase.register_taken_pct):
            if alert is not None and alert.resolved_at is None:
                alert.resolved_at = now
                alert.resolution = taken_resolution(pupils, marked)
            registers.taken[year_group] = alert is not None
            continue
        registers.held.append(year_group)
        if now >= alert_from and alert is None:
            raise_rows.append(
                {
                    "school_id": morning.school.id,
                    "date": morning.on,
                    "session": window.session,
                    "year_group": year_group,
                    "closes": closes,
                    "pupils_on_roll": pupils,
                    "pupils_marked": marked,
                    "reason": not_taken_reason(window.session, year_group, pupils, marked, closes),
                    "raised_at": now,
                }
            )
    # A unique key per school, day, session and year group: raised once, whatever the ticks.
    insert_ignoring_duplicates(
        session, ALERTS, raise_rows, ["school_id", "date", "session", "year_group"]
    )
    return registers


def chased_windows(morning: SchoolMorning, now: datetime) -> list[RegisterWindow]:
    """The day's register windows that have closed by `now`, in sessions the school meets and
    the policy chases: the registers whose pupils the chase opens checks for."""
    policy = morning.policy.policy
    return [
        window
        for window in policy.registers
        if window.session in morning.calendar.sessions_on(morning.on)
        and now >= school_instant(morning.on, window.closes)
        and resolve_plan(policy, morning.on, window, vulnerable=False)
    ]


@dataclass(frozen=True)
class NotTaken:
    """A year group's register not taken at close plus the grace, in the guard's own words."""

    session: str
    year_group: int
    reason: str


def registers_not_taken(session: Session, morning: SchoolMorning, now: datetime) -> list[NotTaken]:
    """Every year group whose register is not taken once the guard would alert for it (close
    plus the policy's grace): the guard's rule and moment, read without raising anything."""
    pct = morning.policy.policy.chase.register_taken_pct
    return [
        NotTaken(
            window.session,
            year_group,
            not_taken_reason(
                window.session, year_group, pupils, marked, window.closes.strftime("%H:%M")
            ),
        )
        for window in chased_windows(morning, now)
        if now >= _alert_from(morning, window)
        for year_group, pupils, marked in session.execute(_coverage(morning, window))
        if not register_taken(pupils, marked, pct)
    ]


def _alert_from(morning: SchoolMorning, window: RegisterWindow) -> datetime:
    grace = timedelta(minutes=morning.policy.policy.chase.register_grace_minutes)
    return school_instant(morning.on, window.closes) + grace


def _coverage(morning: SchoolMorning, window: RegisterWindow) -> Any:
    """Per year group of the window: pupils on roll, and how many of them have a mark."""
    query = (
        select(PUPILS.c.year_group, func.count(PUPILS.c.id), func.count(MARKS.c.pupil_id))
        .select_from(PUPILS)
        .outerjoin(
            MARKS,
            and_(
                MARKS.c.pupil_id == PUPILS.c.id,
                MARKS.c.date == morning.on,
                MARKS.c.session == window.session,
            ),
        )
        .where(on_roll(morning.school.id, morning.on))
        .group_by(PUPILS.c.year_group)
        .order_by(PUPILS.c.year_group)
    )
    if window.year_groups is not None:
        query = query.where(PUPILS.c.year_group.in_(list(window.year_groups)))
    return query


def register_alerts(
    session: Session, school_id: str, on: date | None = None, resolved: bool = True
) -> list[RegisterAlert]:
    """A school's register alerts, oldest first: one day's, or every day's; open ones only
    unless `resolved`."""
    query = select(RegisterAlert).where(col(RegisterAlert.school_id) == school_id)
    if on is not None:
        query = query.where(col(RegisterAlert.date) == on)
    if not resolved:
        query = query.where(col(RegisterAlert.resolved_at).is_(None))
    return list(
        session.scalars(
            query.order_by(
                col(RegisterAlert.date), col(RegisterAlert.session), col(RegisterAlert.year_group)
            )
        )
    )
