"""The plumbing every case service shares: event rows for moves and notes, and the commit.

`_Context` is what one service call reads once (built by `cases.service._context`); `_commit`
turns a lost race on the case's optimistic lock (`version`) into ConcurrentChange.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session
from transitions import EventData

from cases.models import AttendanceCase, CaseEvent
from school.amendments import Amender
from school.database import id_of
from school.models import Pupil, School
from school.policy_files import LoadedPolicy
from school.statistics import PupilStatistics
from state_machines.attendance_case import CaseAdapter, CaseRefused


class ConcurrentChange(CaseRefused):
    """Someone else changed the case between reading it and writing: nothing was saved."""

    def __init__(self, case_id: int) -> None:
        super().__init__(
            [
                f"case {case_id} was changed by someone else at the same time: nothing was "
                "saved; reload the case and decide again"
            ]
        )


@dataclass(frozen=True)
class _Context:
    """What one service call reads once: the school, its policy, the pupil and their figures."""

    school: School
    policy: LoadedPolicy
    pupil: Pupil
    statistics: PupilStatistics | None  # None when the pupil is not on roll on `as_of`
    as_of: date
    now: datetime

    def snapshot(self) -> dict[str, Any]:
        """The figures as of that day, kept on the event that they justified."""
        if self.statistics is None:
            return {"as_of": self.as_of.isoformat(), "on_roll": False}
        return {"as_of": self.as_of.isoformat(), **self.statistics.as_json()}


class _Effects:
    """Writes the event row for each move into the caller's transaction (CaseEffects)."""

    def __init__(self, session: Session, context: _Context) -> None:
        self.session = session
        self.context = context

    def record_move(self, case: CaseAdapter, event: EventData) -> None:
        by: Amender = event.kwargs["by"]
        transition = event.transition
        self.session.add(
            CaseEvent(
                case_id=id_of(case.row),
                at=self.context.now,
                from_stage=transition.source if transition else "",
                to_stage=case.state,
                trigger=event.event.name if event.event else "",
                actor_name=by.name,
                actor_position=by.position,
                reason=event.kwargs["reason"],
                policy_version=self.context.policy.version,
                statistics=self.context.snapshot(),
            )
        )

    def close(self, case: CaseAdapter, event: EventData) -> None:
        # Closing frees the pupil's one open case (the partial unique index on closed_at).
        case.row.closed_at = self.context.now


def _case(session: Session, case_id: int) -> AttendanceCase:
    case = session.get(AttendanceCase, case_id)
    if case is None:
        raise LookupError(f"no case {case_id}")
    return case


def _open_case(case: AttendanceCase, refusal: type[CaseRefused] = CaseRefused) -> AttendanceCase:
    if case.closed_at is not None:
        raise refusal(
            [f"case {case.id} is closed: open a new case for the pupil instead of changing it"]
        )
    return case


def _need(text: str | None, what: str) -> str:
    """People decide the consequential steps and say why (design principle 7)."""
    if text is None or not text.strip():
        raise CaseRefused([f"{what} needs a reason"])
    return text.strip()


def _note(
    session: Session, case: AttendanceCase, context: _Context, trigger: str, by: Amender, why: str
) -> None:
    """An event that is not a move (from == to), so the case's history is complete.

    The case row is marked changed so its version moves on: a concurrent move decided on
    what was known before this note is refused rather than silently crossing it.
    """
    flag_modified(case, "stage")
    session.add(
        CaseEvent(
            case_id=id_of(case),
            at=context.now,
            from_stage=case.stage,
            to_stage=case.stage,
            trigger=trigger,
            actor_name=by.name,
            actor_position=by.position,
            reason=why,
            policy_version=context.policy.version,
            statistics=context.snapshot(),
        )
    )


def _commit(session: Session, case_id: int) -> None:
    """Commit, turning a lost optimistic-lock race (the case's `version`) into a refusal."""
    try:
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise ConcurrentChange(case_id) from exc


def _check_version(case: AttendanceCase, expected_version: int | None) -> None:
    if expected_version is not None and case.version != expected_version:
        raise ConcurrentChange(id_of(case))
