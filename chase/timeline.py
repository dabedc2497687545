"""A welfare check's timeline in school time: every step, message, task and outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from chase.models import StaffTask, WelfareCheck, WelfareCheckEvent
from notifications.models import OutboxMessage
from school.clock import SCHOOL_TIME_ZONE

TASK_NAMES = {
    "call": "Call",
    "home_visit": "Home visit",
    "siblings_schools": "Call siblings' schools",
    "social_worker": "Call the social worker",
    "early_help": "Call the early help worker",
    "police": "Consider the police",
    "ewo": "Ask the EWO",
    "emergency_contacts": "Call emergency contacts",
    "letter_home": "Letter home",
    "notify_social_worker": "Tell the social worker",
    "notify_yot": "Tell the YOT officer",
}


def _at(instant: datetime) -> str:
    return instant.astimezone(SCHOOL_TIME_ZONE).strftime("%H:%M")


def check_timeline(session: Session, check: WelfareCheck) -> list[dict[str, Any]]:
    """What happened, in order; no phone numbers or message bodies (staff open those)."""
    entries: list[tuple[datetime, int, str]] = []
    for event in session.scalars(
        select(WelfareCheckEvent)
        .where(col(WelfareCheckEvent.check_id) == check.id)
        .order_by(col(WelfareCheckEvent.id))
    ):
        what = (
            f"Check opened: {event.reason}"
            if event.trigger == "open"
            else f"{event.from_state} → {event.to_state} ({event.actor}: {event.reason})"
        )
        entries.append((event.at, 0, what))
    for message in session.scalars(
        select(OutboxMessage).where(
            col(OutboxMessage.check_id) == check.id, col(OutboxMessage.alert_id).is_(None)
        )
    ):
        kind = "Text" if message.channel == "sms" else "Email"
        entries.append(
            (message.created_at, 1, f"{kind} to {message.recipient_label}: {message.status}")
        )
    for task in session.scalars(select(StaffTask).where(col(StaffTask.check_id) == check.id)):
        name = TASK_NAMES.get(task.kind, task.kind)
        done = f", {task.outcome} ({task.recorded_by})" if task.outcome else ""
        entries.append((task.recorded_at or task.due_at, 2, f"{name}: {task.state}{done}"))
    entries.sort(key=lambda e: (e[0], e[1]))
    return [{"at": _at(at), "what": what} for at, _, what in entries]
