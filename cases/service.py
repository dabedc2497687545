"""Attendance-case services: open, move, record support, decide proposals; one transaction each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col
from transitions import EventData

from cases.models import AttendanceCase, CaseAction, CaseEvent, CaseProposal
from school.amendments import Amender
from school.clock import Clock, school_today
from school.database import id_of
from school.models import Pupil, School
from school.policy_files import LoadedPolicy
from school.school_age import csa_end, csa_start, is_compulsory_school_age
from school.schools import calendar_of, get_school, policy_of
from school.statistics import PupilStatistics, attendance_statistics
from state_machines.attendance_case import (
    CLOSED,
    CaseAdapter,
    CaseFacts,
    CaseRefused,
    MoveRefused,
    fire,
    trigger_for,
)

__all__ = [
    "CaseRefused",
    "ConcurrentChange",
    "MoveRefused",
    "case_history",
    "close_case",
    "decide_proposal",
    "move_case",
    "open_case",
    "record_send_barriers_considered",
    "record_support",
    "record_support_not_appropriate",
]

# CaseAction statuses (cases/case_models.py); a declined offer was still offered (spec §5).
SUPPORT_STATUSES = ("planned", "done", "attended", "not_attended", "declined", "cancelled")
Decision = Literal["confirm", "skip", "override"]
DECIDED = {"confirm": "confirmed", "skip": "skipped", "override": "overridden"}


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


# --- reading --------------------------------------------------------------------------------


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
    # One statement for the whole school (cases/statistics.py); the pupil's row is picked out.
    figures = next(
        (f for f in attendance_statistics(session, school_id, on) if f.upn == pupil.upn), None
    )
    return _Context(school, policy_of(school), pupil, figures, on, clock.now())


def _support_offered(session: Session, case_id: int) -> bool:
    offered = exists().where(
        col(CaseAction.case_id) == case_id,
        col(CaseAction.is_support).is_(True),
        col(CaseAction.status) != "cancelled",
    )
    return bool(session.scalar(select(offered)))


def _facts(session: Session, case: AttendanceCase, context: _Context) -> CaseFacts:
    figures = context.statistics
    born = context.pupil.date_of_birth
    threshold_met = False
    if figures is not None:
        # The threshold counts when met now or earlier this school year: Enforce usually
        # follows a Notice to Improve's 3-6 week improvement period, by which time the rolling
        # window may have moved on (spec §5).
        year_start = calendar_of(context.school).academic_year_start(context.as_of)
        first_met = figures.national_threshold_first_met_on
        threshold_met = figures.national_threshold_met or (
            first_met is not None and year_start <= first_met <= context.as_of
        )
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


# --- writing --------------------------------------------------------------------------------


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


def record_support_not_appropriate(
    session: Session, case_id: int, reason: str, by: Amender, clock: Clock
) -> AttendanceCase:
    """Record why support is not appropriate (e.g. an unauthorised term-time holiday, spec §5)."""
    case = _open_case(_case(session, case_id))
    why = _need(reason, "recording that support is not appropriate")
    context = _context(session, case.school_id, case.pupil_id, clock, None)
    case.support_not_appropriate = why
    _note(session, case, context, "support_not_appropriate", by, why)
    _commit(session, case_id)
    return case


def record_send_barriers_considered(
    session: Session, case_id: int, by: Amender, note: str, clock: Clock
) -> AttendanceCase:
    """Record that barriers linked to special educational needs were considered (seed 004 §5.2)."""
    case = _open_case(_case(session, case_id))
    why = _need(note, "recording that SEND-related barriers were considered")
    context = _context(session, case.school_id, case.pupil_id, clock, None)
    case.send_barriers_considered_at = context.now
    case.send_barriers_considered_by = str(by)
    _note(session, case, context, "send_barriers_considered", by, why)
    _commit(session, case_id)
    return case


def decide_proposal(
    session: Session,
    proposal_id: int,
    decision: Decision,
    by: Amender,
    reason: str | None,
    clock: Clock,
    as_of: date | None = None,
    to_stage: str | None = None,
) -> CaseProposal:
    """A named member of staff confirms, skips or overrides what the daily review proposed.

    Confirming a proposal with a `to_stage` moves the case (the guards apply; a refused move
    leaves the proposal undecided). Skipping or overriding needs a reason; an override may
    name the stage chosen instead (`to_stage`). A decided proposal cannot be decided again.
    """
    proposal = session.get(CaseProposal, proposal_id)
    if proposal is None:
        raise LookupError(f"no proposal {proposal_id}")
    try:
        if proposal.status != "proposed":
            when = proposal.decided_at.date().isoformat() if proposal.decided_at else "earlier"
            raise CaseRefused(
                [
                    f"proposal {proposal_id} was already {proposal.status} by "
                    f"{proposal.decided_by or 'the engine'} ({when}): it cannot be decided again"
                ]
            )
        if decision not in DECIDED:
            raise CaseRefused([f"{decision!r} is not a decision: confirm, skip or override"])
        if decision == "confirm":
            why = (reason or "").strip() or f"confirmed proposal: {proposal.summary}"
            if to_stage is not None and to_stage != proposal.to_stage:
                raise CaseRefused(
                    ["confirming keeps the proposed stage: override to choose another"]
                )
            move_to = proposal.to_stage
        else:
            verb = "skipping" if decision == "skip" else "overriding"
            why = _need(reason, f"{verb} proposal {proposal_id}")
            if decision == "skip" and to_stage is not None:
                raise CaseRefused(["skipping moves nothing: override to choose another stage"])
            move_to = to_stage if decision == "override" else None
        case = _case(session, proposal.case_id)
        if move_to is not None:
            _move(session, case, move_to, by, f"proposal {proposal_id}: {why}", clock, as_of)
        else:
            flag_modified(case, "stage")  # a decision on the case serialises with its moves
    except CaseRefused:
        session.rollback()
        raise
    proposal.status = DECIDED[decision]
    proposal.decided_by = str(by)
    proposal.decided_at = clock.now()
    proposal.decision_reason = why
    _commit(session, proposal.case_id)
    return proposal


def case_history(session: Session, case_id: int) -> list[CaseEvent]:
    """Every event of a case, oldest first."""
    return list(
        session.scalars(
            select(CaseEvent)
            .where(col(CaseEvent.case_id) == case_id)
            .order_by(col(CaseEvent.at), col(CaseEvent.id))
        )
    )


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
