"""The rows a case letter is written from: parents on file, planned letters, marks, support."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import Row, select
from sqlmodel import Session, col

from cases.models import AttendanceCase, CaseAction
from school.codes import NATIONAL_THRESHOLD_CODES
from school.models import Contact
from school.tables import MARKS


def parents_of(session: Session, pupil_id: int) -> list[Contact]:
    """Contacts with parental responsibility, in the school's calling order."""
    return list(
        session.scalars(
            select(Contact)
            .where(col(Contact.pupil_id) == pupil_id, col(Contact.parental_responsibility))
            .order_by(col(Contact.priority))
        )
    )


def planned_letters(
    session: Session, school_id: str, kinds: Collection[str]
) -> Sequence[CaseAction]:
    """The school's letter actions still planned, oldest first."""
    return session.scalars(
        select(CaseAction)
        .join(AttendanceCase, col(AttendanceCase.id) == CaseAction.case_id)
        .where(
            col(AttendanceCase.school_id) == school_id,
            col(CaseAction.kind).in_(kinds),
            col(CaseAction.status) == "planned",
        )
        .order_by(col(CaseAction.id))
    ).all()


def unauthorised_marks(
    session: Session, pupil_id: int | None, start: date, end: date
) -> Sequence[Row[tuple[date, str, str]]]:
    """The pupil's marks that count towards the national threshold, `start` to `end`."""
    return session.execute(
        select(MARKS.c.date, MARKS.c.session, MARKS.c.code).where(
            MARKS.c.pupil_id == pupil_id,
            MARKS.c.date.between(start, end),
            MARKS.c.code.in_(sorted(NATIONAL_THRESHOLD_CODES)),
        )
    ).all()


def support_actions(session: Session, case_id: int | None) -> list[CaseAction]:
    """A case's support actions, whatever their status; none without a case."""
    if not case_id:
        return []
    return list(
        session.scalars(
            select(CaseAction).where(col(CaseAction.case_id) == case_id, col(CaseAction.is_support))
        )
    )
