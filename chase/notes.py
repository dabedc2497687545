"""Notes on welfare checks, their tasks and alerts: added, never changed, read as a history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from chase.alert_actions import action_words, actions_on
from chase.models import Note, StaffTask

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


def task_name(kind: str) -> str:
    return TASK_NAMES.get(kind, kind.replace("_", " ").capitalize())


def add_note(
    session: Session,
    check_id: int,
    by: str,
    at: datetime,
    text: str = "",
    *,
    outcome: str | None = None,
    task_id: int | None = None,
    alert_id: int | None = None,
) -> Note:
    """A new row in the history; nothing earlier is touched."""
    note = Note(
        check_id=check_id,
        task_id=task_id,
        alert_id=alert_id,
        recorded_at=at,
        recorded_by=by,
        outcome=outcome,
        text=text,
    )
    session.add(note)
    return note


def notes_of(session: Session, check_ids: Sequence[int]) -> list[Note]:
    """Every note on these checks, their tasks and alerts, in the order they were written."""
    if not check_ids:
        return []
    query = select(Note).where(col(Note.check_id).in_(check_ids)).order_by(col(Note.id))
    return list(session.scalars(query))


def note_words(note: Note) -> str:
    """'no answer (recorded by Jo Office); rang twice', or 'note by Jo Office: rang twice'."""
    if note.outcome:
        head = f"{note.outcome.replace('_', ' ')} (recorded by {note.recorded_by})"
        return head + (f"; {note.text}" if note.text else "")
    return f"note by {note.recorded_by}: {note.text}"


@dataclass(frozen=True)
class HistoryLine:
    """One line of a check's tasks and notes, for the timeline and the chronology."""

    at: datetime
    check_id: int
    about: str  # task, alert or check
    what: str
    recorded: bool  # something someone did (not a task still waiting to be done)


def task_and_note_lines(session: Session, check_ids: Sequence[int]) -> list[HistoryLine]:
    """Each task's history (one line a note, or its state while nothing is recorded), then the
    notes on the alerts and the checks themselves."""
    notes = notes_of(session, check_ids)
    by_task: dict[int, list[Note]] = {}
    for note in notes:
        if note.task_id is not None:
            by_task.setdefault(note.task_id, []).append(note)
    lines = []
    # Columns, not ORM rows: every alert the 10:00 step raises reads its check's tasks.
    columns = StaffTask.__table__.c  # type: ignore[attr-defined]
    tasks = session.execute(
        select(columns.id, columns.check_id, columns.kind, columns.due_at, columns.state)
        .where(columns.check_id.in_(check_ids))
        .order_by(columns.id)
    )
    for task in tasks:
        name = task_name(task.kind)
        for note in by_task.get(task.id, []):
            lines.append(
                HistoryLine(
                    note.recorded_at, task.check_id, "task", f"{name}: {note_words(note)}", True
                )
            )
        if task.id not in by_task:
            lines.append(
                HistoryLine(task.due_at, task.check_id, "task", f"{name}: {task.state}", False)
            )
    for action in actions_on(session, check_ids):
        words = f"DSL alert: {action_words(action)}"
        lines.append(HistoryLine(action.done_at, action.check_id, "alert", words, True))
    for note in notes:
        if note.task_id is None:
            about = "alert" if note.alert_id is not None else "check"
            prefix = "DSL alert" if about == "alert" else "Welfare check"
            lines.append(
                HistoryLine(
                    note.recorded_at, note.check_id, about, f"{prefix}: {note_words(note)}", True
                )
            )
    return lines
