"""A whole morning in simulated time against the real database: ticks, replies and arrivals.

The simulator moves an injected clock a minute at a time from the first register opening to
the last deadline, applies scripted events through the same services the web app and staff
use, runs the same tick as the real flow, and reports what happened at each minute.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from chase.models import DslAlert, StaffTask, WelfareCheck, WelfareCheckEvent
from chase.notes import task_name
from chase.plan import school_instant, step_times
from chase.responses import handle_reply, record_task_outcome
from chase.service import chase_tick
from notifications.message import Channel
from notifications.models import OutboxMessage
from school.arrival import register_mark_for_arrival
from school.clock import SCHOOL_TIME_ZONE, FixedClock
from school.database import id_of, session_for
from school.models import AttendanceMark, Contact, Pupil
from school.policy import Policy
from school.schools import LoadedSchool

STEP_WORDS = {
    "open": "welfare check opened",
    "message_parents": "step: message the parents",
    "call_primary": "step: call the primary contact",
    "call_others": "step: call the other contacts",
    "reasonable_steps": "step: every reasonable step",
    "alert_dsl": "step: alert the DSL",
    "explain": "explained",
    "confirm_safe": "confirmed safe",
    "note": "note",
}


@dataclass(frozen=True)
class Scripted:
    """Something that happens during the simulated morning, at a school-time clock time."""

    at: time
    kind: Literal["reply", "arrival", "call_outcome"]
    upn: str
    text: str = ""  # reply: what the parent texts
    code: str = ""  # arrival: the mark (L or U); call_outcome: the outcome recorded


@dataclass(frozen=True)
class Happening:
    """One line of the morning's timeline."""

    at: datetime
    kind: str  # opened, step, message, task, reply, arrival, alert, closed
    pupil: str  # "Amira K. (Y7)"
    what: str

    def line(self) -> str:
        return f"{self.at.astimezone(SCHOOL_TIME_ZONE):%H:%M}  {self.pupil:<22} {self.what}"


def morning_span(policy: Policy, on: date) -> tuple[datetime, datetime]:
    """From the first register opening to a few minutes after the last step of the day."""
    opens = [school_instant(on, w.opens) for w in policy.registers]
    last = max(t for s in {w.session for w in policy.registers} for t in step_times(policy, s))
    return min(opens), school_instant(on, last) + timedelta(minutes=2)


async def simulate_morning(
    engine: Engine,
    school: LoadedSchool,
    on: date,
    channels: Mapping[str, Channel],
    script: Sequence[Scripted] = (),
    *,
    sessions: Sequence[str] = ("AM",),
) -> list[Happening]:
    """Run the morning (and the afternoon, if asked) and return its timeline in order."""
    policy = school.policy.policy
    start, end = morning_span(policy, on)
    if "PM" not in sessions:
        am_windows = [w for w in policy.registers if w.session == "AM"]
        am_policy = policy.model_copy(update={"registers": am_windows})
        start, end = morning_span(am_policy, on)
    clock = FixedClock(start)
    pending = sorted(script, key=lambda s: s.at)
    happened: list[Happening] = []
    while clock.now() <= end:
        local_now = clock.now().astimezone(SCHOOL_TIME_ZONE).time()
        while pending and pending[0].at <= local_now:
            happened += _apply(engine, school, on, pending.pop(0), clock)
        await chase_tick(engine, school, on, clock, channels)
        happened += _what_happened_at(engine, school.id, clock.now())
        clock.at += timedelta(minutes=1)
    return happened


def _pupil(session: Session, school_id: str, upn: str) -> Pupil:
    pupil = session.scalars(
        select(Pupil).where(col(Pupil.school_id) == school_id, col(Pupil.upn) == upn)
    ).first()
    if pupil is None:
        raise LookupError(f"no pupil {upn} at {school_id}")
    return pupil


def _label(pupil: Pupil) -> str:
    return f"{pupil.given_name} {pupil.family_name[:1]}. (Y{pupil.year_group})"


def _apply(
    engine: Engine, school: LoadedSchool, on: date, event: Scripted, clock: FixedClock
) -> list[Happening]:
    with session_for(engine) as session:
        pupil = _pupil(session, school.id, event.upn)
        now = clock.now()
        if event.kind == "reply":
            contact = session.scalars(
                select(Contact)
                .where(col(Contact.pupil_id) == pupil.id)
                .order_by(col(Contact.priority))
            ).first()
            if contact is None or contact.mobile is None:
                return []
            sid = f"SIMULATED{pupil.id:08d}{now:%H%M}"
            reply = handle_reply(session, sid, contact.mobile, event.text, clock)
            return [
                Happening(
                    now,
                    "reply",
                    _label(pupil),
                    f'{contact.relationship} texts: "{event.text}" → {reply.meaning}',
                )
            ]
        if event.kind == "arrival":
            policy = school.policy.policy
            local_time = now.astimezone(SCHOOL_TIME_ZONE).time()
            code, minutes = register_mark_for_arrival(policy, pupil.year_group, "AM", local_time)
            code = event.code or code
            mark = session.scalars(
                select(AttendanceMark).where(
                    col(AttendanceMark.pupil_id) == pupil.id,
                    col(AttendanceMark.date) == on,
                    col(AttendanceMark.session) == "AM",
                )
            ).first()
            # The register marked the absent pupil N (no reason yet); the arrival replaces it.
            mark = mark or AttendanceMark(pupil_id=id_of(pupil), date=on, session="AM", code="N")
            mark.code, mark.minutes_late = code, minutes if code in ("L", "U") else None
            session.add(mark)
            session.commit()
            return [Happening(now, "arrival", _label(pupil), f"arrives, marked {code}")]
        task = session.scalars(
            select(StaffTask)
            .join(WelfareCheck, col(WelfareCheck.id) == StaffTask.check_id)
            .where(
                col(WelfareCheck.pupil_id) == pupil.id,
                col(StaffTask.kind) == "call",
                col(StaffTask.state).in_(["open", "escalated"]),
            )
            .order_by(col(StaffTask.id))
        ).first()
        if task is None:
            return []
        record_task_outcome(session, id_of(task), event.code, "Office (simulated)", clock)
        return [
            Happening(now, "task", _label(pupil), f"call recorded: {event.code.replace('_', ' ')}")
        ]


def _what_happened_at(engine: Engine, school_id: str, now: datetime) -> list[Happening]:
    """Rows this minute's tick wrote: step changes, messages sent, tasks raised, alerts."""
    out: list[Happening] = []
    with session_for(engine) as session:
        checks = {
            c.id: c
            for c in session.scalars(
                select(WelfareCheck).where(col(WelfareCheck.school_id) == school_id)
            )
        }
        pupils = {
            p.id: p
            for p in session.scalars(
                select(Pupil).where(col(Pupil.id).in_({c.pupil_id for c in checks.values()}))
            )
        }

        def who(check_id: int | None) -> str:
            check = checks.get(check_id or -1)
            return _label(pupils[check.pupil_id]) if check else "-"

        for event in session.scalars(
            select(WelfareCheckEvent)
            .where(
                col(WelfareCheckEvent.check_id).in_(list(checks)), col(WelfareCheckEvent.at) == now
            )
            .order_by(col(WelfareCheckEvent.id))
        ):
            what = STEP_WORDS.get(event.trigger, event.trigger.replace("_", " "))
            if event.trigger in ("explain", "confirm_safe", "note") or event.actor != "engine":
                what = f"{what}: {event.reason}"
            elif event.reason.startswith("brought forward"):
                what = f"{what} ({event.reason})"
            out.append(Happening(now, "step", who(event.check_id), what))
        for task in session.scalars(
            select(StaffTask)
            .where(col(StaffTask.school_id) == school_id, col(StaffTask.created_at) == now)
            .order_by(col(StaffTask.id))
        ):
            names = ", ".join(f"{c['name']} ({c['relationship']})" for c in task.contacts or [])
            out.append(
                Happening(
                    now,
                    "task",
                    who(task.check_id),
                    f"task: {task_name(task.kind)}" + (f" — {names}" if names else ""),
                )
            )
        sent: dict[int | None, list[str]] = {}
        for message in session.scalars(
            select(OutboxMessage)
            .where(col(OutboxMessage.school_id) == school_id, col(OutboxMessage.sent_at) == now)
            .order_by(col(OutboxMessage.id))
        ):
            kind = "text" if message.channel == "sms" else "email"
            sent.setdefault(message.check_id, []).append(f"{kind} to {message.recipient_label}")
        for check_id, messages in sent.items():
            out.append(Happening(now, "message", who(check_id), "sent: " + ", ".join(messages)))
        for alert in session.scalars(
            select(DslAlert).where(
                col(DslAlert.school_id) == school_id, col(DslAlert.raised_at) == now
            )
        ):
            out.append(Happening(now, "alert", who(alert.check_id), f"DSL ALERT: {alert.reason}"))
    return out
