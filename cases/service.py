"""Attendance-case services: open, move and close a case, and read its history."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from cases.effects import _case, _check_version, _commit, _Context, _Effects, _need, _open_case
from cases.legal.threshold import threshold_periods
from cases.models import AttendanceCase, CaseAction, CaseEvent
from cases.support_law import offered
from school.amendments import Amender
from school.clock import Clock, school_today
from school.database import id_of
from school.models import Pupil
from school.school_age import csa_end, csa_start, is_compulsory_school_age
from school.schools import get_school, load_school, policy_of
from school.statistics import attendance_statistics
from state_machines.attendance_case import (
    CLOSED,
    CaseAdapter,
    CaseFacts,
    CaseRefused,
    MoveRefused,
    fire,
    trigger_for,
)

__all__ = ["CaseRefused", "MoveRefused", "case_history", "close_case", "move_case", "open_case"]


# --- reading --------------------------------------------------------------------------------


def _open_case_of(session: Session, pupil_id: int) -> AttendanceCase | None:
    return session.scalars(
        select(AttendanceCase).where(
            col(AttendanceCase.pupil_id) == pupil_id, col(AttendanceCase.closed_at).is_(None)
        )
    ).first()


def _context(
    session: Session, school_id: str, pupil_id: int, clock: Clock, as_of: date | None
) -> _Context:
    school = get_school(session, school_id)
    pupil = session.get(Pupil, pupil_id)
    if pupil is None:
        raise LookupError(f"no pupil {pupil_id}")
    on = as_of or school_today(clock)
    # One statement for the whole school (school/statistics.py); the pupil's row is picked out.
    figures = next(
        (f for f in attendance_statistics(session, school_id, on) if f.upn == pupil.upn), None
    )
    return _Context(school, policy_of(school), pupil, figures, on, clock.now())


def _support_offered(session: Session, case_id: int) -> bool:
    actions = session.scalars(
        select(CaseAction).where(
            col(CaseAction.case_id) == case_id, col(CaseAction.is_support).is_(True)
        )
    )
    return bool(offered(actions))


def _facts(session: Session, case: AttendanceCase, context: _Context) -> CaseFacts:
    figures = context.statistics
    born = context.pupil.date_of_birth
    threshold_met = False
    if figures is not None:
        # The threshold counts when met now or earlier this school year: Enforce usually
        # follows a Notice to Improve's 3-6 week improvement period, by which time the rolling
        # window may have moved on (spec §5). G, O and U only: N is provisional until recoded.
        school = load_school(session, context.school.id)
        period = threshold_periods(session, school, [case.pupil_id], context.as_of)
        threshold_met = case.pupil_id in period and period[case.pupil_id].met_this_year is not None
    return CaseFacts(
        as_of=context.as_of,
        support_offered=_support_offered(session, id_of(case)),
        support_not_appropriate=case.support_not_appropriate,
        compulsory_school_age=is_compulsory_school_age(born, context.as_of),
        csa_starts=csa_start(born),
        csa_ends=csa_end(born),
        unauthorised_sessions=figures.unauthorised_sessions if figures else 0,
        rolling_unauthorised_sessions=(
            figures.unauthorised_sessions_rolling_10_school_weeks if figures else 0
        ),
        national_threshold_met=threshold_met,
        send_barriers_required=context.policy.policy.legal.send_barriers_considered_before_sanction,
        send_barriers_considered=case.send_barriers_considered_at is not None,
    )


# --- moving ---------------------------------------------------------------------------------


def _move(
    session: Session,
    case: AttendanceCase,
    to_stage: str,
    by: Amender,
    reason: str,
    clock: Clock,
    as_of: date | None,
) -> None:
    """Fire the machine for one move in the caller's transaction; MoveRefused lists why not."""
    _open_case(case, MoveRefused)
    trigger = trigger_for(case.stage, to_stage)
    why = _need(reason, f"moving case {case.id} to {to_stage}")
    context = _context(session, case.school_id, case.pupil_id, clock, as_of)
    facts = _facts(session, case, context)
    fire(CaseAdapter(case, _Effects(session, context)), trigger, facts, by=by, reason=why)


# --- services -------------------------------------------------------------------------------


def open_case(
    session: Session,
    pupil_id: int,
    by: Amender,
    reason: str,
    clock: Clock,
    as_of: date | None = None,
) -> AttendanceCase:
    """Open a case at Expect for a pupil who has no open case (one open case per pupil)."""
    pupil = session.get(Pupil, pupil_id)
    if pupil is None:
        raise LookupError(f"no pupil {pupil_id}")
    why = _need(reason, "opening a case")
    existing = _open_case_of(session, pupil_id)
    if existing is not None:
        raise CaseRefused([_already_open(pupil, existing)])
    context = _context(session, pupil.school_id, pupil_id, clock, as_of)
    case = AttendanceCase(
        school_id=pupil.school_id,
        pupil_id=pupil_id,
        stage="expect",
        opened_at=context.now,
        policy_version=context.policy.version,
    )
    session.add(case)
    try:
        session.flush()
    except IntegrityError as exc:
        # Another request opened one between our check and our insert; the index refused it.
        session.rollback()
        raise CaseRefused(
            [f"{pupil.given_name} {pupil.family_name} already has an open case"]
        ) from exc
    session.add(
        CaseEvent(
            case_id=id_of(case),
            at=context.now,
            from_stage="",
            to_stage="expect",
            trigger="open",
            actor_name=by.name,
            actor_position=by.position,
            reason=why,
            policy_version=context.policy.version,
            statistics=context.snapshot(),
        )
    )
    session.commit()
    return case


def _already_open(pupil: Pupil, case: AttendanceCase) -> str:
    return (
        f"{pupil.given_name} {pupil.family_name} already has an open case (case {case.id}, at "
        f"{case.stage}, opened {case.opened_at.date().isoformat()}): move or close that case "
        "instead of opening another"
    )


def move_case(
    session: Session,
    case_id: int,
    to_stage: str,
    by: Amender,
    reason: str,
    clock: Clock,
    as_of: date | None = None,
    expected_version: int | None = None,
) -> AttendanceCase:
    """Move a case up, down or to closed; the event keeps who, why, the policy and the figures.

    `as_of` is the day the figures are counted to (default: today at the school).
    `expected_version` is the case version the person saw: if it moved on, the move is refused.
    Raises MoveRefused listing every reason a guard refuses, ConcurrentChange on a lost race.
    """
    case = _case(session, case_id)
    try:
        _check_version(case, expected_version)
        _move(session, case, to_stage, by, reason, clock, as_of)
    except CaseRefused:
        session.rollback()
        raise
    _commit(session, case_id)
    return case


def close_case(
    session: Session, case_id: int, by: Amender, reason: str, clock: Clock
) -> AttendanceCase:
    """Close a case from any stage; a later concern opens a new case."""
    return move_case(session, case_id, CLOSED, by, reason, clock)


def case_history(session: Session, case_id: int) -> list[CaseEvent]:
    """Every event of a case, oldest first."""
    return list(
        session.scalars(
            select(CaseEvent)
            .where(col(CaseEvent.case_id) == case_id)
            .order_by(col(CaseEvent.at), col(CaseEvent.id))
        )
    )
