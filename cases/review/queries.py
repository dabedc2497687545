"""The review's set-based reads: pupils, open cases and their rows, attendance before a period."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, col

from cases.models import AttendanceCase, CaseAction, CaseProposal
from cases.review.records import Case, Pupil, Review
from cases.review.rules import MIN_POSSIBLE_SESSIONS
from school.codes import ATTENDANCE_CODES, POSSIBLE_CODES
from school.database import id_of
from school.statistics import PupilStatistics, statistics_for
from school.tables import AMENDMENTS, MARKS, PUPILS


@dataclass(frozen=True)
class OverdueAction:
    """A planned action whose due date has passed: shown at the next review, not re-proposed."""

    action_id: int
    case_id: int
    pupil_id: int
    upn: str
    kind: str
    title: str
    due_on: date


def last_amendment_ids(session: Session, pupil_ids: Iterable[int]) -> dict[int, int]:
    """Each pupil's latest register amendment (its id), for pupils whose register was ever
    amended: a proposal records what it saw, so a later amendment shows it is out of date."""
    wanted = sorted(set(pupil_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(MARKS.c.pupil_id, func.max(AMENDMENTS.c.id))
        .join(MARKS, MARKS.c.id == AMENDMENTS.c.mark_id)
        .where(MARKS.c.pupil_id.in_(wanted))
        .group_by(MARKS.c.pupil_id)
    )
    return {pupil_id: last for pupil_id, last in rows}


def read(session: Session, review: Review) -> list[Case]:
    """Every on-roll pupil with their figures and open case, from a handful of bulk reads."""
    figures = statistics_for(session, review.school, review.on)
    pupils = {
        upn: Pupil(pupil_id, upn, f"{given} {family}", born)
        for pupil_id, upn, given, family, born in session.execute(
            select(
                PUPILS.c.id,
                PUPILS.c.upn,
                PUPILS.c.given_name,
                PUPILS.c.family_name,
                PUPILS.c.date_of_birth,
            ).where(PUPILS.c.school_id == review.school_id)
        )
    }
    open_cases = (
        select(col(AttendanceCase.id))
        .where(
            col(AttendanceCase.school_id) == review.school_id,
            col(AttendanceCase.closed_at).is_(None),
        )
        .scalar_subquery()
    )
    rows = {
        c.pupil_id: c
        for c in session.scalars(
            select(AttendanceCase).where(col(AttendanceCase.id).in_(open_cases))
        )
    }
    proposals: dict[int, list[CaseProposal]] = {}
    for p in session.scalars(
        select(CaseProposal)
        .where(col(CaseProposal.case_id).in_(open_cases))
        .order_by(col(CaseProposal.id))
    ):
        proposals.setdefault(p.case_id, []).append(p)
    actions: dict[int, list[CaseAction]] = {}
    for a in session.scalars(
        select(CaseAction)
        .where(col(CaseAction.case_id).in_(open_cases))
        .order_by(col(CaseAction.id))
    ):
        actions.setdefault(a.case_id, []).append(a)

    def case_of(pupil: Pupil, f: PupilStatistics | None) -> Case:
        row = rows.pop(pupil.id, None)
        case_id = id_of(row) if row is not None else -1
        return Case(
            pupil=pupil,
            figures=f or _off_roll(pupil.upn),
            row=row,
            on_roll=f is not None,
            proposals=proposals.get(case_id, []),
            actions=actions.get(case_id, []),
        )

    cases = [case_of(pupils[f.upn], f) for f in figures]
    # Open cases of pupils off roll today are not reviewed, but their overdue actions show.
    by_id = {p.id: p for p in pupils.values()}
    cases.extend(case_of(by_id[pupil_id], None) for pupil_id in list(rows))
    return cases


def _off_roll(upn: str) -> PupilStatistics:
    """Empty figures for a pupil off roll on the review day."""
    return PupilStatistics(
        upn, 0, 0, 0, 0, 0, None, False, False, 0, False, None, 0, 0, 0, 0, 0, 0, 0, False
    )


def overdue(review: Review, cases: list[Case]) -> tuple[OverdueAction, ...]:
    """Planned actions whose due date has passed, earliest first."""
    rows = [
        OverdueAction(id_of(a), a.case_id, c.pupil.id, c.pupil.upn, a.kind, a.title, a.due_on)
        for c in cases
        for a in c.actions
        if a.status == "planned" and a.due_on is not None and a.due_on < review.on
    ]
    return tuple(sorted(rows, key=lambda o: (o.due_on, o.action_id)))


def attendance_before(
    session: Session, review: Review, cases: list[Case]
) -> dict[int, float | None]:
    """Each pupil's attendance just before the current review period: today's figures less
    the marks of the period (one grouped statement for the pupils asked about)."""
    if not cases:
        return {}
    # A block of school weeks may reach back over the summer into last year's figures.
    calendar = review.periods.calendar
    start = max(review.periods.starts("review"), calendar.academic_year_start(review.on))
    ids = [c.pupil.id for c in cases]
    rows = session.execute(
        select(
            MARKS.c.pupil_id,
            func.count().filter(MARKS.c.code.in_(sorted(POSSIBLE_CODES))),
            func.count().filter(MARKS.c.code.in_(sorted(ATTENDANCE_CODES))),
        )
        .where(MARKS.c.pupil_id.in_(ids), MARKS.c.date.between(start, review.on))
        .group_by(MARKS.c.pupil_id)
    ).all()
    period = {pupil_id: (possible, attended) for pupil_id, possible, attended in rows}
    result: dict[int, float | None] = {}
    for c in cases:
        possible, attended = period.get(c.pupil.id, (0, 0))
        f = c.figures
        before_possible = f.possible_sessions - possible
        before_attended = f.present_sessions + f.aea_sessions - attended
        result[c.pupil.id] = (
            100.0 * before_attended / before_possible
            if before_possible >= MIN_POSSIBLE_SESSIONS
            else None
        )
    return result
