"""A welfare check's timeline in school time: every step, message, task, note and report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from chase.models import ReportedAbsence, WelfareCheck, WelfareCheckEvent
from chase.notes import task_and_note_lines
from notifications.models import OutboxMessage
from school.clock import SCHOOL_TIME_ZONE
from school.models import Arrival


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
    for arrival in arrivals_that_day(session, check):
        entries.append(TimelineEntry(arrival_time(arrival), 4, arrival_words(arrival)))
    return sorted(entries, key=lambda e: (e.at, e.order))


def arrivals_that_day(session: Session, check: WelfareCheck) -> list[Arrival]:
    """The signing-in book's entries for the check's pupil that day, from its session on: a
    child who signs in at lunchtime has been seen, whichever session the check is about."""
    sessions = ("AM", "PM") if check.session == "AM" else ("PM",)
    return list(
        session.scalars(
            select(Arrival)
            .where(
                col(Arrival.pupil_id) == check.pupil_id,
                col(Arrival.date) == check.date,
                col(Arrival.session).in_(sessions),
            )
            .order_by(col(Arrival.arrived_at))
        )
    )


def arrival_time(arrival: Arrival) -> datetime:
    """When the pupil signed in, as an instant (the book keeps the school's wall-clock time)."""
    local = datetime.combine(arrival.date, arrival.arrived_at, tzinfo=SCHOOL_TIME_ZONE)
    return local.astimezone(UTC)


def arrival_words(arrival: Arrival) -> str:
    who = ", ".join(filter(None, [arrival.recorded_by_name, arrival.recorded_by_position]))
    return f"Signed in at {arrival.arrived_at:%H:%M} ({arrival.session}), marked {arrival.code}" + (
        f", recorded by {who}" if who else ""
    )


def check_timeline(session: Session, check: WelfareCheck) -> list[dict[str, Any]]:
    """The timeline as it is stored on an alert and sent to the DSL: time and words."""
    return [entry.row() for entry in timeline_entries(session, check)]
