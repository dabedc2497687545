"""A welfare check's timeline in school time: every step, message, task, note and report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from chase.models import ReportedAbsence, WelfareCheck, WelfareCheckEvent
from chase.notes import task_and_note_lines
from notifications.models import OutboxMessage
from school.clock import SCHOOL_TIME_ZONE


def clock_time(instant: datetime) -> str:
    """'09:40' in school time."""
    return instant.astimezone(SCHOOL_TIME_ZONE).strftime("%H:%M")


@dataclass(frozen=True)
class TimelineEntry:
    """One line; `happened` is false for a task still waiting (listed at its deadline)."""

    at: datetime
    order: int
    what: str
    happened: bool = True

    def row(self) -> dict[str, Any]:
        return {"at": clock_time(self.at), "what": self.what}


def timeline_entries(session: Session, check: WelfareCheck) -> list[TimelineEntry]:
    """What happened, in order; no phone numbers or message bodies (staff open those)."""
    entries: list[TimelineEntry] = []
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
        entries.append(TimelineEntry(event.at, 0, what))
    for message in session.scalars(
        select(OutboxMessage).where(
            col(OutboxMessage.check_id) == check.id, col(OutboxMessage.alert_id).is_(None)
        )
    ):
        kind = "Text" if message.channel == "sms" else "Email"
        what = f"{kind} to {message.recipient_label}: {message.status}"
        entries.append(TimelineEntry(message.created_at, 1, what))
    for line in task_and_note_lines(session, [check.id]):  # type: ignore[list-item]
        entries.append(TimelineEntry(line.at, 2, line.what, line.recorded))
    for reported in session.scalars(
        select(ReportedAbsence).where(
            col(ReportedAbsence.pupil_id) == check.pupil_id,
            col(ReportedAbsence.date) == check.date,
            col(ReportedAbsence.session) == check.session,
        )
    ):
        what = (
            f"Absence reported ({reported.source.replace('_', ' ')}, "
            f"recorded by {reported.recorded_by}): {reported.reason}"
        )
        entries.append(TimelineEntry(reported.recorded_at, 3, what))
    return sorted(entries, key=lambda e: (e.at, e.order))


def check_timeline(session: Session, check: WelfareCheck) -> list[dict[str, Any]]:
    """The timeline as it is stored on an alert and sent to the DSL: time and words."""
    return [entry.row() for entry in timeline_entries(session, check)]
