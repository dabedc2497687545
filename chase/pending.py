"""What a chase run decided to write, held until it writes it all: one statement a table.

A batch of 500 checks once cost ten statements a check (an event, a task, an outbox insert and
a flush each); held here, the batch writes its events, tasks, notes and messages with one
multi-row statement each, whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session

from chase.models import DslAlert, Note, StaffTask, WelfareCheck, WelfareCheckEvent
from notifications.outbox import Envelope

EVENTS = WelfareCheckEvent.__table__  # type: ignore[attr-defined]
TASKS = StaffTask.__table__  # type: ignore[attr-defined]
NOTES = Note.__table__  # type: ignore[attr-defined]
ALERTS = DslAlert.__table__  # type: ignore[attr-defined]
_TASK_COLUMNS = [c.name for c in TASKS.columns if c.name != "id"]


@dataclass(slots=True)
class TaskRow:
    """A staff task as the chase reads and changes it: a plain row, ten times cheaper to make
    than a StaffTask model (thousands a batch at 10:00), written by `write_tasks`."""

    check_id: int
    school_id: str
    kind: str
    step: int
    created_at: datetime
    due_at: datetime
    contacts: list[dict[str, Any]]
    script: str
    by: str | None = None
    state: str = "open"
    outcome: str | None = None
    recorded_by: str | None = None
    recorded_at: datetime | None = None
    id: int | None = None


@dataclass
class PendingAlert:
    """An alert decided for a check; `events_before` is how many events the run had decided
    when it was raised, so its timeline holds what was known then and nothing after."""

    row: WelfareCheck
    reason: str
    events_before: int


@dataclass
class Pending:
    """Rows decided and not yet written, in the order they were decided."""

    events: list[dict[str, Any]] = field(default_factory=list)
    new_tasks: list[TaskRow] = field(default_factory=list)
    changed_tasks: dict[int, TaskRow] = field(default_factory=dict)
    notes: list[tuple[TaskRow | None, dict[str, Any]]] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    alerts: list[PendingAlert] = field(default_factory=list)

    def event(self, row: WelfareCheck, now: datetime, **words: str) -> None:
        """An event on a check: from_state, to_state, trigger, actor and reason."""
        self.events.append(
            {"check_id": row.id, "at": now, "policy_version": row.policy_version, **words}
        )

    def task_changed(self, task: TaskRow) -> None:
        if task.id is not None:
            self.changed_tasks[task.id] = task

    def note(self, check_id: int, task: TaskRow | None, **fields: Any) -> None:
        """A note, on `task` once it has an id (a task raised in this very run has none yet)."""
        self.notes.append((task, {"check_id": check_id, "alert_id": None, **fields}))


def insert_events(session: Session, events: list[dict[str, Any]]) -> None:
    """The events in one statement, numbered in the order given."""
    if events:
        session.execute(insert(EVENTS), events)


# Ids come back matched by these columns, never by position: asking for RETURNING in the
# order given makes SQLAlchemy send SQLite one INSERT a row.
def write_tasks(session: Session, pending: Pending) -> None:
    """New tasks in one statement (their ids set on them), changed states in one a state."""
    if pending.new_tasks:
        # A step raises one task of a kind for a check, so these three name a new task.
        rows = [{c: getattr(t, c) for c in _TASK_COLUMNS} for t in pending.new_tasks]
        key = (TASKS.c.check_id, TASKS.c.kind, TASKS.c.step)
        ids = {
            tuple(r[1:]): r[0]
            for r in session.execute(insert(TASKS).returning(TASKS.c.id, *key), rows)
        }
        for task in pending.new_tasks:
            task.id = ids[task.check_id, task.kind, task.step]
    # One statement a new state, not one a task: at 10:00 a batch of alerts escalates some
    # 2,000 tasks, all to the same state.
    by_state: dict[str, list[int]] = {}
    for task_id, task in sorted(pending.changed_tasks.items()):
        by_state.setdefault(task.state, []).append(task_id)
    for state, task_ids in by_state.items():
        session.execute(update(TASKS).where(TASKS.c.id.in_(task_ids)).values(state=state))
    pending.new_tasks, pending.changed_tasks = [], {}


def write_notes(session: Session, pending: Pending) -> None:
    """Every note in one statement, each naming its task's id (written before the notes)."""
    if pending.notes:
        rows = [{**fields, "task_id": task.id if task else None} for task, fields in pending.notes]
        session.execute(insert(NOTES), rows)
    pending.notes = []


def insert_alerts(session: Session, rows: list[dict[str, Any]]) -> dict[int, int]:
    """The alerts in one statement (a check has one at most); their ids by check."""
    if not rows:
        return {}
    returning = insert(ALERTS).returning(ALERTS.c.check_id, ALERTS.c.id)
    return dict(session.execute(returning, rows).tuples().all())
