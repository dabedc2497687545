"""Support for the family and what came of it, and the two records the legal gates read.

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
from school.amendments import Amender
from school.clock import Clock
from state_machines.attendance_case import CaseRefused

# CaseAction statuses (cases/models.py); a declined offer was still offered (spec §5).
SUPPORT_STATUSES = ("planned", "done", "attended", "not_attended", "declined", "cancelled")


def record_support(
    session: Session,
    case_id: int,
    kind: str,
    title: str,
    by: Amender,
    clock: Clock,
    status: str = "planned",
    due_on: date | None = None,
    details: dict[str, Any] | None = None,
) -> CaseAction:
    """Record support offered to the family (declined offers too: they were offered, spec §5)."""
    if status not in SUPPORT_STATUSES:
        raise CaseRefused(
            [f"{status!r} is not a support status: use one of {', '.join(SUPPORT_STATUSES)}"]
        )
    case = _open_case(_case(session, case_id))
    context = _context(session, case.school_id, case.pupil_id, clock, None)
    action = CaseAction(
        case_id=case_id,
        kind=kind,
        title=title,
        is_support=True,
        status=status,
        due_on=due_on,
        created_at=context.now,
        created_by=str(by),
        details=details or {},
    )
    session.add(action)
    _note(session, case, context, "record_support", by, f"support {status}: {title} ({kind})")
    _commit(session, case_id)
    return action


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
    if status not in SUPPORT_STATUSES:
        raise CaseRefused([f"status must be one of {', '.join(SUPPORT_STATUSES)}"])
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
