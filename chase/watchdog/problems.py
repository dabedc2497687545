"""What the watchdog looks for in one school, read set-wise: stuck messages, checks astray,
registers not taken. Each problem has a stable key, so a re-run recognises it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from chase.models import WelfareCheck
from chase.morning import SchoolMorning
from chase.register_guard import registers_not_taken
from chase.rules import year_words
from notifications.claims import LEASE
from notifications.models import OutboxMessage
from school.clock import SCHOOL_TIME_ZONE
from school.models import Pupil
from school.schools import LoadedSchool
from state_machines.welfare_check import OPEN

# A step is late once its time has passed by more than this and it has not run.
STEP_LATE = timedelta(seconds=60)
# A message ready to send is stuck once two catch-up ticks (5 minutes apart) have missed it.
PENDING_STUCK = timedelta(minutes=10)
# A claim's rows are settled by the next run once its lease is over; five minutes past that,
# no run has come to settle them.
SENDING_STUCK = LEASE + timedelta(minutes=5)
# The watchdog's own messages are not watched: one stuck would raise another, without end.
# They are listed by `attendance outbox` like every message.
WATCHDOG_TEMPLATE = "watchdog_alert"


@dataclass(frozen=True)
class Problem:
    """One thing found wrong, in the words the attendance lead reads, under a stable key."""

    key: str
    kind: str  # outbox_stuck, no_deadline, step_late, register_not_taken
    reason: str
    check_id: int | None = None
    message_id: int | None = None


def find_problems(
    session: Session, school: LoadedSchool, now: datetime, register_days: Iterable[date]
) -> list[Problem]:
    """Every problem in the school at `now`; registers are looked at on `register_days` (today,
    and the days of register problems still open, so they clear when the marks come in)."""
    found = [*stuck_messages(session, school.id, now), *checks_astray(session, school.id, now)]
    for day in sorted(set(register_days)):
        morning = SchoolMorning(school, day)
        found += [
            Problem(
                f"register:{day}:{held.session}:{held.year_group}",
                "register_not_taken",
                f"{day:%a %-d %b}: {held.reason}",
            )
            for held in registers_not_taken(session, morning, now)
        ]
    return found


def stuck_messages(session: Session, school_id: str, now: datetime) -> list[Problem]:
    """Messages ready to send and not sent after two ticks, and claims whose lease ran out
    long ago with nobody settling them."""
    message = OutboxMessage
    rows = session.execute(
        select(message, Pupil)
        .outerjoin(WelfareCheck, col(WelfareCheck.id) == message.check_id)
        .outerjoin(Pupil, col(Pupil.id) == WelfareCheck.pupil_id)
        .where(
            col(message.school_id) == school_id,
            col(message.template) != WATCHDOG_TEMPLATE,
            or_(
                and_(
                    col(message.status) == "pending",
                    col(message.next_attempt_at) <= now - PENDING_STUCK,
                ),
                and_(
                    col(message.status) == "sending", col(message.claimed_at) <= now - SENDING_STUCK
                ),
            ),
        )
        .order_by(col(message.id))
    ).tuples()
    problems = []
    for row, pupil in rows:
        about = f", about {pupil_reference(pupil)}" if pupil is not None else ""
        what = f"Message {row.id} ({row.channel} to {row.recipient_label}{about})"
        if row.status == "pending":
            since = row.next_attempt_at
            reason = (
                f"{what} due to send at {when(since)} has not been sent: {minutes(now - since)}"
            )
        else:
            since = row.claimed_at or now
            reason = (
                f"{what} claimed for sending at {when(since)} and never settled: "
                f"{minutes(now - since)}"
            )
        problems.append(
            Problem(
                f"outbox:{row.id}:{row.status}:{row.attempts}",
                "outbox_stuck",
                reason,
                check_id=row.check_id,
                message_id=row.id,
            )
        )
    return problems


def checks_astray(session: Session, school_id: str, now: datetime) -> list[Problem]:
    """Checks still being chased with no next step due, or whose next step is over a minute
    late: the chase has stopped moving them on."""
    rows = session.execute(
        select(WelfareCheck, Pupil)
        .join(Pupil, col(Pupil.id) == WelfareCheck.pupil_id)
        .where(
            col(WelfareCheck.school_id) == school_id,
            col(WelfareCheck.state).in_(OPEN),
            or_(
                col(WelfareCheck.next_due_at).is_(None),
                col(WelfareCheck.next_due_at) < now - STEP_LATE,
            ),
        )
        .order_by(col(WelfareCheck.id))
    ).tuples()
    problems = []
    for check, pupil in rows:
        session_word = _session_word(check.session)
        what = f"{pupil_reference(pupil)}: the {session_word} check of {check.date:%a %-d %b}"
        if check.next_due_at is None:
            reason = (
                f"{what} is open ({check.state.replace('_', ' ')}) with no next step due, "
                "so the chase will never move it on"
            )
            problems.append(
                Problem(f"check:{check.id}:no-deadline", "no_deadline", reason, check_id=check.id)
            )
            continue
        step = check.plan[check.next_step] if check.next_step < len(check.plan) else None
        action = step["action"].replace("_", " ") if step else "next step"
        due = check.next_due_at
        reason = f"{what}: step {check.next_step + 1} ({action}, due {when(due)}) has not run: " + (
            minutes(now - due)
        )
        problems.append(
            Problem(
                f"check:{check.id}:step:{check.next_step}:late",
                "step_late",
                reason,
                check_id=check.id,
            )
        )
    return problems


def pupil_reference(pupil: Pupil) -> str:
    """'Zoe S., Year 7': enough for the school to know who, as in the DSL's alerts."""
    return f"{pupil.given_name} {pupil.family_name[:1]}., {year_words(pupil.year_group)}"


def when(instant: datetime) -> str:
    """'Mon 23 Nov 09:05' in school time."""
    return f"{instant.astimezone(SCHOOL_TIME_ZONE):%a %-d %b %H:%M}"


def minutes(late: timedelta) -> str:
    whole = int(late.total_seconds() // 60)
    return f"{whole} min late" if whole < 120 else f"{whole // 60} h {whole % 60} min late"


def _session_word(session_name: str) -> str:
    return "morning" if session_name == "AM" else "afternoon"
