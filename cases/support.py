"""Support through its statuses, what came of an action, and two records the gates read.

Those two are why support is not appropriate, and that SEND-related barriers were considered.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlmodel import Session

from cases.effects import _case, _commit, _Context, _need, _note, _open_case
from cases.models import AttendanceCase, CaseAction
from cases.service import _context
from cases.support_law import NEXT, OFFERED, PLANNED, SUPPORT_STATUSES, status_words
from school.amendments import Amender
from school.clock import Clock
from state_machines.attendance_case import CaseRefused

# What happened to an action (a letter sent, a meeting attended); support's own progress is
# its support status (cases/support_law.py).
ACTION_STATUSES = ("planned", "done", "attended", "not_attended", "declined", "cancelled")


def record_support(
    session: Session,
    case_id: int,
    kind: str,
    title: str,
    by: Amender,
    clock: Clock,
    status: str = PLANNED,
    due_on: date | None = None,
    details: dict[str, Any] | None = None,
    offered_on: date | None = None,
) -> CaseAction:
    """Record support for the family: planned, or already offered (`offered_on`, by `by`)."""
    case = _open_case(_case(session, case_id))
    context = _context(session, case.school_id, case.pupil_id, clock, None)
    action = CaseAction(
        case_id=case_id,
        kind=kind,
        title=title,
        is_support=True,
        support_status=PLANNED,
        due_on=due_on,
        created_at=context.now,
        created_by=str(by),
        details=details or {},
    )
    if status != PLANNED:
        _step(action, OFFERED)
        _offer(action, by, offered_on, context.as_of)
        if status != OFFERED:
            _step(action, status)
    session.add(action)
    _note(
        session,
        case,
        context,
        "record_support",
        by,
        f"support: {title} ({kind}), " + status_words(action),
    )
    _commit(session, case_id)
    return action


def move_support(
    session: Session,
    action_id: int,
    status: str,
    by: Amender,
    clock: Clock,
    on: date | None = None,
) -> CaseAction:
    """Move support to its next status; an offer records when (`on`) and who made it (`by`)."""
    action = session.get(CaseAction, action_id)
    if action is None or not action.is_support:
        raise LookupError(f"no support item {action_id}: see attendance case show")
    case = _open_case(_case(session, action.case_id))
    context = _context(session, case.school_id, case.pupil_id, clock, None)
    _step(action, status)
    if status == OFFERED:
        _offer(action, by, on, context.as_of)
    session.add(action)
    _note(
        session, case, context, f"support_{status}", by, f"{action.title}: " + status_words(action)
    )
    _commit(session, action.case_id)
    return action


def _step(action: CaseAction, status: str) -> None:
    current = action.support_status or PLANNED
    if status not in SUPPORT_STATUSES:
        raise CaseRefused(
            [f"{status!r} is not a support status: use one of {', '.join(SUPPORT_STATUSES)}"]
        )
    if status not in NEXT[current]:
        allowed = ", ".join(sorted(NEXT[current])) or "nothing: it has ended"
        first = " (record when and by whom it was offered first)" if current == PLANNED else ""
        raise CaseRefused(
            [
                f"support {action.id or ''} is {current.replace('_', ' ')}: it can move to "
                f"{allowed}, not {status}{first}"
            ]
        )
    action.support_status = status


def _offer(action: CaseAction, by: Amender, on: date | None, today: date) -> None:
    if on is None:
        raise CaseRefused(["say when the support was offered (--on YYYY-MM-DD)"])
    if on > today:
        raise CaseRefused([f"support cannot be offered on {on}, later than today ({today})"])
    action.offered_on, action.offered_by = on, str(by)


def record_action_outcome(
    session: Session,
    action_id: int,
    status: str,
    by: Amender,
    clock: Clock,
    outcome: str | None = None,
    review_on: date | None = None,
) -> CaseAction:
    """What happened to a letter, meeting, plan or referral: attended, not attended, done...

    The daily review reads it (a meeting not attended can lead to the next rung, spec §6) and
    the case's history keeps it, with who recorded it.
    """
    if status not in ACTION_STATUSES:
        raise CaseRefused([f"status must be one of {', '.join(ACTION_STATUSES)}"])
    action = session.get(CaseAction, action_id)
    if action is None:
        raise LookupError(f"no case action {action_id}")
    case = _open_case(_case(session, action.case_id))
    context = _context(session, case.school_id, case.pupil_id, clock, None)
    action.status, action.outcome = status, outcome or action.outcome
    action.completed_at, action.completed_by = clock.now(), str(by)
    if review_on is not None:
        action.review_on = review_on
    session.add(action)
    what = f"{action.title}: {status.replace('_', ' ')}" + (f" ({outcome})" if outcome else "")
    _note(session, case, context, f"action_{status}", by, what)
    _commit(session, action.case_id)
    return action


def record_support_not_appropriate(
    session: Session, case_id: int, reason: str, by: Amender, clock: Clock
) -> AttendanceCase:
    """Record why support is not appropriate (e.g. an unauthorised term-time holiday, spec §5)."""

    def record(case: AttendanceCase, context: _Context, why: str) -> None:
        case.support_not_appropriate = why

    what = "recording that support is not appropriate"
    return _record_on_case(
        session, case_id, by, clock, "support_not_appropriate", reason, what, record
    )


def record_send_barriers_considered(
    session: Session, case_id: int, by: Amender, note: str, clock: Clock
) -> AttendanceCase:
    """Record that barriers linked to special educational needs were considered (seed 004 §5.2)."""

    def record(case: AttendanceCase, context: _Context, why: str) -> None:
        case.send_barriers_considered_at = context.now
        case.send_barriers_considered_by = str(by)

    what = "recording that SEND-related barriers were considered"
    return _record_on_case(
        session, case_id, by, clock, "send_barriers_considered", note, what, record
    )


def _record_on_case(
    session: Session,
    case_id: int,
    by: Amender,
    clock: Clock,
    trigger: str,
    reason: str,
    what: str,
    record: Callable[[AttendanceCase, _Context, str], None],
) -> AttendanceCase:
    """Record one thing on an open case, with the reason given, noted in the case's history."""
    case = _open_case(_case(session, case_id))
    why = _need(reason, what)
    context = _context(session, case.school_id, case.pupil_id, clock, None)
    record(case, context, why)
    _note(session, case, context, trigger, by, why)
    _commit(session, case_id)
    return case
