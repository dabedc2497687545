"""A welfare check's timeline in school time: every step, message, task, note and report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from chase.models import ReportedAbsence, WelfareCheck, WelfareCheckEvent
from chase.notes import task_and_note_lines
from notifications.models import OutboxMessage
from school.clock import SCHOOL_TIME_ZONE
from school.database import id_of
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
    return timelines(session, [check])[id_of(check)]


def timelines(session: Session, checks: Sequence[WelfareCheck]) -> dict[int, list[TimelineEntry]]:
    """Each check's timeline, read for all of them at once (a query a kind of row, not a
    query a check)."""
    ids = [id_of(c) for c in checks]
    entries: dict[int, list[TimelineEntry]] = {i: [] for i in ids}
    # Columns, not ORM rows: an alert's timeline is read for every check the 10:00 step
    # alerts, and the outbox rows would bring each message's whole text and HTML.
    events = WelfareCheckEvent.__table__.c  # type: ignore[attr-defined]
    for event in session.execute(
        select(events.check_id, events.at, events.trigger, events.reason, events.from_state,
               events.to_state, events.actor)
        .where(events.check_id.in_(ids))
        .order_by(events.id)
    ):  # fmt: skip
        what = (
            f"Check opened: {event.reason}"
            if event.trigger == "open"
            else f"{event.from_state} → {event.to_state} ({event.actor}: {event.reason})"
        )
        entries[event.check_id].append(TimelineEntry(event.at, 0, what))
    outbox = OutboxMessage.__table__.c  # type: ignore[attr-defined]
    for message in session.execute(
        select(outbox.check_id, outbox.channel, outbox.recipient_label, outbox.status,
               outbox.created_at)
        .where(outbox.check_id.in_(ids), outbox.alert_id.is_(None))
        .order_by(outbox.id)
    ):  # fmt: skip
        kind = "Text" if message.channel == "sms" else "Email"
        what = f"{kind} to {message.recipient_label}: {message.status}"
        entries[message.check_id].append(TimelineEntry(message.created_at, 1, what))
    for line in task_and_note_lines(session, ids):
        entries[line.check_id].append(TimelineEntry(line.at, 2, line.what, line.recorded))
    by_session = {(c.pupil_id, c.date, c.session): id_of(c) for c in checks}
    for reported in session.scalars(
        select(ReportedAbsence)
        .where(
            col(ReportedAbsence.pupil_id).in_({c.pupil_id for c in checks}),
            col(ReportedAbsence.date).in_({c.date for c in checks}),
        )
        .order_by(col(ReportedAbsence.id))
    ):
        check_id = by_session.get((reported.pupil_id, reported.date, reported.session))
        if check_id is None:
            continue
        what = (
            f"Absence reported ({reported.source.replace('_', ' ')}, "
            f"recorded by {reported.recorded_by}): {reported.reason}"
        )
        entries[check_id].append(TimelineEntry(reported.recorded_at, 3, what))
    for check_id, arrivals in _arrivals(session, checks).items():
        for arrival in arrivals:
            entry = TimelineEntry(arrival_time(arrival), 4, arrival_words(arrival))
            entries[check_id].append(entry)
    return {i: sorted(e, key=lambda e: (e.at, e.order)) for i, e in entries.items()}


def arrivals_that_day(session: Session, check: WelfareCheck) -> list[Arrival]:
    """The signing-in book's entries for the check's pupil that day, from its session on: a
    child who signs in at lunchtime has been seen, whichever session the check is about."""
    return _arrivals(session, [check])[id_of(check)]


def _arrivals(session: Session, checks: Sequence[WelfareCheck]) -> dict[int, list[Arrival]]:
    """`arrivals_that_day` for each of the checks, in one query."""
    found: dict[int, list[Arrival]] = {id_of(c): [] for c in checks}
    by_day: dict[tuple[int, date], list[WelfareCheck]] = {}
    for check in checks:
        by_day.setdefault((check.pupil_id, check.date), []).append(check)
    query = (
        select(Arrival)
        .where(
            col(Arrival.pupil_id).in_({c.pupil_id for c in checks}),
            col(Arrival.date).in_({c.date for c in checks}),
        )
        .order_by(col(Arrival.arrived_at), col(Arrival.id))
    )
    for arrival in session.scalars(query):
        for check in by_day.get((arrival.pupil_id, arrival.date), []):
            if arrival.session in (("AM", "PM") if check.session == "AM" else ("PM",)):
                found[id_of(check)].append(arrival)
    return found


def arrival_time(arrival: Arrival) -> datetime:
    """When the pupil signed in, as an instant (the book keeps the school's wall-clock time)."""
    local = datetime.combine(arrival.date, arrival.arrived_at, tzinfo=SCHOOL_TIME_ZONE)
    return local.astimezone(UTC)


def arrival_words(arrival: Arrival) -> str:
    who = ", ".join(filter(None, [arrival.recorded_by_name, arrival.recorded_by_position]))
    return f"Signed in at {arrival.arrived_at:%H:%M} ({arrival.session}), marked {arrival.code}" + (
        f", recorded by {who}" if who else ""
    )


def check_timelines(
    session: Session, checks: Sequence[WelfareCheck]
) -> dict[int, list[dict[str, Any]]]:
    """Each timeline as it is stored on an alert and sent to the DSL: time and words."""
    return {
        check_id: [entry.row() for entry in entries]
        for check_id, entries in timelines(session, checks).items()
    }
