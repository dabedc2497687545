"""What the morning board shows, read in a few set-based queries for one school's day."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import select
from sqlmodel import Session, col

from chase.code_confirmation import confirmed_codes
from chase.models import Note, ParentReply, RegisterAlert, StaffTask, WatchdogAlert, WelfareCheck
from chase.notes import notes_of, task_name
from chase.register_guard import register_alerts
from chase.watchdog.service import open_alerts
from school.clock import SCHOOL_TIME_ZONE
from school.codes import CODES
from school.database import id_of
from school.models import Pupil
from state_machines.welfare_check import STATES

STATE_WORDS = {
    "unexplained": "Not yet chased",
    "parent_messaged": "Parents messaged",
    "calling_primary": "Calling first contact",
    "calling_others": "Calling other contacts",
    "reasonable_steps": "Reasonable steps",
    "dsl_alerted": "DSL alerted",
    "explained": "Explained",
    "confirmed_safe": "Confirmed safe",
}


@dataclass
class CheckRow:
    check: WelfareCheck
    pupil: Pupil
    state_words: str


@dataclass
class TaskRow:
    task: StaffTask
    pupil: Pupil
    check: WelfareCheck
    name: str
    notes: list[Note] = field(default_factory=list)


@dataclass
class ToConfirm:
    check: WelfareCheck
    pupil: Pupil
    code: str
    meaning: str
    said: str  # the reply's words, or the reason recorded


@dataclass
class Board:
    day: date
    now: datetime
    register_alerts: list[RegisterAlert]
    watchdog_alerts: list[WatchdogAlert]  # open ones, whatever day they were raised
    counts: list[tuple[str, str, int]]  # state, words, how many
    checks: list[CheckRow]
    to_confirm: list[ToConfirm]
    tasks: list[TaskRow]
    confirmed: dict[int, Note]


def morning_board(session: Session, school_id: str, day: date, now: datetime) -> Board:
    rows = session.execute(
        select(WelfareCheck, Pupil)
        .join(Pupil, col(Pupil.id) == WelfareCheck.pupil_id)
        .where(col(WelfareCheck.school_id) == school_id, col(WelfareCheck.date) == day)
        .order_by(
            col(WelfareCheck.vulnerable).desc(),
            col(WelfareCheck.next_due_at).is_(None),
            col(WelfareCheck.next_due_at),
            col(Pupil.family_name),
        )
    ).all()
    checks = [CheckRow(c, p, STATE_WORDS.get(c.state, c.state)) for c, p in rows]
    by_state = Counter(c.state for c, _ in rows)
    counts = [(s, STATE_WORDS[s], by_state[s]) for s in STATES if by_state[s]]
    ids = [id_of(c) for c, _ in rows]
    confirmed = confirmed_codes(session, ids)
    return Board(
        day=day,
        now=now,
        register_alerts=register_alerts(session, school_id, day, resolved=False),
        watchdog_alerts=open_alerts(session, school_id),
        counts=counts,
        checks=checks,
        to_confirm=_to_confirm(session, [(c, p) for c, p in rows], confirmed, day),
        tasks=_tasks(session, school_id, {id_of(c): (c, p) for c, p in rows}),
        confirmed=confirmed,
    )


def _to_confirm(
    session: Session,
    rows: list[tuple[WelfareCheck, Pupil]],
    confirmed: dict[int, Note],
    day: date,
) -> list[ToConfirm]:
    waiting = [
        (c, p)
        for c, p in rows
        if c.state == "explained" and c.suggested_code and id_of(c) not in confirmed
    ]
    if not waiting:
        return []
    said: dict[int, str] = {}
    start = datetime.combine(day, time(0), SCHOOL_TIME_ZONE)
    replies = session.scalars(
        select(ParentReply)
        .where(col(ParentReply.received_at) >= start)
        .order_by(col(ParentReply.id))
    )
    wanted = {id_of(c) for c, _ in waiting}
    for reply in replies:
        for check_id in reply.check_ids or []:
            if check_id in wanted:
                said.setdefault(check_id, f'Reply: "{reply.body}"')
    out = []
    for check, pupil in waiting:
        code = check.suggested_code or ""
        meaning = CODES[code].meaning if code in CODES else ""
        out.append(ToConfirm(check, pupil, code, meaning, said.get(id_of(check), "")))
    return out


def _tasks(
    session: Session, school_id: str, checks: dict[int, tuple[WelfareCheck, Pupil]]
) -> list[TaskRow]:
    if not checks:
        return []
    tasks = session.scalars(
        select(StaffTask)
        .where(
            col(StaffTask.school_id) == school_id,
            col(StaffTask.check_id).in_(list(checks)),
            col(StaffTask.state).in_(["open", "escalated"]),
        )
        .order_by(col(StaffTask.due_at), col(StaffTask.id))
    ).all()
    history: dict[int | None, list[Note]] = {}
    for note in notes_of(session, list(checks)):
        if note.task_id is not None:
            history.setdefault(note.task_id, []).append(note)
    rows = [
        TaskRow(
            t,
            checks[t.check_id][1],
            checks[t.check_id][0],
            task_name(t.kind),
            history.get(t.id, []),
        )
        for t in tasks
    ]
    rows.sort(key=lambda r: (not r.check.vulnerable, r.task.due_at))
    return rows
