"""The watchdog's entry points: look over a school, raise each problem once to the attendance
lead (a stored row, and a message), and resolve what has cleared. Safe to run at any time."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from chase.models import WatchdogAlert, WelfareCheck
from chase.responses import message_failed
from chase.watchdog.problems import WATCHDOG_TEMPLATE, Problem, find_problems, when
from notifications.message import Channel
from notifications.models import OutboxMessage
from notifications.outbox import Envelope, drain_outbox, enqueue
from notifications.rendering import TemplateProblem, render_email, render_sms
from school import checkpoints
from school.clock import SCHOOL_TIME_ZONE, Clock
from school.database import insert_ignoring_duplicates_returning, session_for
from school.policy import Person
from school.schools import LoadedSchool

log = logging.getLogger(__name__)
ALERTS = WatchdogAlert.__table__  # type: ignore[attr-defined]


@dataclass
class WatchdogRun:
    """One look over one school: every problem open now, which of them this run raised, and
    which cleared since the last run."""

    school_id: str
    checked_at: datetime
    told: str  # who hears of new problems
    problems: list[WatchdogAlert] = field(default_factory=list)  # open now, oldest first
    new: set[str] = field(default_factory=set)  # problem keys raised by this run
    cleared: list[WatchdogAlert] = field(default_factory=list)
    sent: int = 0  # messages to the lead sent by this run

    def counts(self) -> dict[str, int]:
        new = sum(a.problem_key in self.new for a in self.problems)
        return {"found": len(self.problems), "new": new, "already_raised": len(self.problems) - new,
                "cleared": len(self.cleared), "sent": self.sent}  # fmt: skip


def attendance_lead(school: LoadedSchool) -> Person:
    """Who hears of the watchdog's problems: the policy's attendance lead, else the DSL."""
    safeguarding = school.policy.policy.safeguarding
    return safeguarding.attendance_lead or safeguarding.dsl


def watch_school(session: Session, school: LoadedSchool, now: datetime) -> WatchdogRun:
    """Find the school's problems now; raise the new ones (once, whatever the runs) with a
    message to the lead each, and resolve the open ones no longer found. Commits."""
    lead = attendance_lead(school)
    told = f"{lead.name} ({lead.role})" if lead.name else lead.role
    run = WatchdogRun(school.id, now, told)
    still_open = {a.problem_key: a for a in open_alerts(session, school.id)}
    today = now.astimezone(SCHOOL_TIME_ZONE).date()
    found = {
        p.key: p for p in find_problems(session, school, now, {today, *_register_days(still_open)})
    }
    checkpoints.reached(checkpoints.WATCHDOG_FOUND)
    raised = _raise(
        session, school.id, [p for k, p in found.items() if k not in still_open], now, told
    )
    run.new = {a.problem_key for a in raised}
    for alert in _known(session, school.id, [k for k in found if k not in still_open]):
        if alert.resolved_at is not None and alert.problem_key not in run.new:
            # Cleared once and back: shown open again; the lead was told of it already.
            alert.resolved_at, alert.resolution = None, None
            session.add(alert)
    for key, alert in still_open.items():
        if key not in found:
            alert.resolved_at, alert.resolution = now, _cleared(session, alert)
            session.add(alert)
            run.cleared.append(alert)
    _message_lead(session, school, lead, raised, now)
    session.commit()
    run.problems = open_alerts(session, school.id)
    return run


async def watchdog_tick(
    engine: Engine, school: LoadedSchool, clock: Clock, channels: Mapping[str, Channel]
) -> WatchdogRun:
    """Look over a school and send the lead's messages now: they must not wait for a chase
    tick, as a chase that is not running is what the watchdog is for."""
    with session_for(engine) as session:
        run = watch_school(session, school, clock.now())
        sent = await drain_outbox(
            session,
            channels,
            clock,
            school_id=school.id,
            on_failure=message_failed,
            template=WATCHDOG_TEMPLATE,
        )
    run.sent = sent.sent
    return run


def open_alerts(session: Session, school_id: str) -> list[WatchdogAlert]:
    return watchdog_alerts(session, school_id, resolved=False)


def watchdog_alerts(session: Session, school_id: str, *, resolved: bool) -> list[WatchdogAlert]:
    """A school's watchdog alerts, oldest first; open ones only unless `resolved`."""
    query = select(WatchdogAlert).where(col(WatchdogAlert.school_id) == school_id)
    if not resolved:
        query = query.where(col(WatchdogAlert.resolved_at).is_(None))
    query = query.order_by(col(WatchdogAlert.raised_at), col(WatchdogAlert.id))
    return list(session.scalars(query.execution_options(populate_existing=True)))


def _register_days(alerts: Mapping[str, WatchdogAlert]) -> set[date]:
    """The days of the register problems still open ("register:2026-11-23:AM:7")."""
    return {date.fromisoformat(key.split(":")[1]) for key in alerts if key.startswith("register:")}


def _raise(
    session: Session, school_id: str, problems: list[Problem], now: datetime, told: str
) -> list[WatchdogAlert]:
    """Store the problems not stored yet; a key another run stored first is left to it."""
    rows = [
        {"school_id": school_id, "problem_key": p.key, "kind": p.kind, "check_id": p.check_id,
         "message_id": p.message_id, "reason": p.reason, "raised_at": now, "told": told}
        for p in problems
    ]  # fmt: skip
    ids = insert_ignoring_duplicates_returning(
        session, ALERTS, rows, ["school_id", "problem_key"], returning=ALERTS.c.id
    )
    if not ids:
        return []
    query = select(WatchdogAlert).where(col(WatchdogAlert.id).in_(ids))
    return list(session.scalars(query.order_by(col(WatchdogAlert.id))))


def _known(session: Session, school_id: str, keys: list[str]) -> list[WatchdogAlert]:
    if not keys:
        return []
    query = select(WatchdogAlert).where(
        col(WatchdogAlert.school_id) == school_id, col(WatchdogAlert.problem_key).in_(keys)
    )
    return list(session.scalars(query))


def _cleared(session: Session, alert: WatchdogAlert) -> str:
    """What the problem became, in a line: the message's or the check's state now."""
    if alert.message_id is not None:
        message = session.get(OutboxMessage, alert.message_id)
        return f"cleared: the message is now {message.status if message else 'gone'}"
    if alert.check_id is not None:
        check = session.get(WelfareCheck, alert.check_id)
        if check is None:
            return "cleared: the check is gone"
        state = check.state.replace("_", " ")
        if check.next_due_at is not None:
            return f"cleared: the check is {state}, next step due {when(check.next_due_at)}"
        return f"cleared: the check is {state}"
    return "cleared: the register is taken"


def _message_lead(
    session: Session,
    school: LoadedSchool,
    lead: Person,
    alerts: list[WatchdogAlert],
    now: datetime,
) -> None:
    """A text and an email to the lead per new problem, where the policy gives a number or an
    address; without either the alert is still shown by `attendance alerts` and the watchdog."""
    envelopes = []
    for alert in alerts:
        context = {"recipient_role": lead.role, "school_name": school.name,
                   "reason": alert.reason, "raised_at": when(now)}  # fmt: skip
        for channel, to in (("sms", lead.mobile), ("email", lead.email)):
            if not to:
                continue
            try:
                if channel == "sms":
                    parts: dict[str, str | None] = {
                        "text": render_sms(school.id, WATCHDOG_TEMPLATE, context)
                    }
                else:
                    email = render_email(school.id, WATCHDOG_TEMPLATE, context)
                    parts = {"text": email.text, "subject": email.subject, "html": email.html}
            except TemplateProblem as exc:
                # The problem names the template, never the values: safe to log.
                log.warning("watchdog alert %s: no %s: %s", alert.id, channel, exc)
                continue
            envelopes.append(
                Envelope(key=f"watchdog:{alert.id}:{channel}", school_id=school.id,
                         channel=channel, to=to, recipient_label=lead.role,
                         template=WATCHDOG_TEMPLATE, text=parts["text"] or "",
                         subject=parts.get("subject"), html=parts.get("html"))
            )  # fmt: skip
    enqueue(session, envelopes, now)
