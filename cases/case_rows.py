"""A case's stored rows, a statement a table: what the case page and `case show` both print."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from cases.models import (
    AttendanceCase,
    CaseAction,
    CaseEvent,
    CaseProposal,
    LegalAction,
    StoredLetter,
)
from school.models import Pupil


@dataclass(frozen=True)
class CaseRows:
    """As stored, each in the order it was written (by id)."""

    events: list[CaseEvent]
    actions: list[CaseAction]
    proposals: list[CaseProposal]
    letters: list[StoredLetter]  # the pupil's, whichever case or legal action decided them
    legal: list[LegalAction]  # the pupil's


def case_rows(session: Session, case: AttendanceCase, pupil: Pupil) -> CaseRows:
    """Read the case's events, actions and proposals and the pupil's letters and legal actions."""
    return CaseRows(
        events=_rows(session, CaseEvent, col(CaseEvent.case_id) == case.id),
        actions=_rows(session, CaseAction, col(CaseAction.case_id) == case.id),
        proposals=_rows(session, CaseProposal, col(CaseProposal.case_id) == case.id),
        letters=_rows(session, StoredLetter, col(StoredLetter.pupil_id) == pupil.id),
        legal=_rows(session, LegalAction, col(LegalAction.pupil_id) == pupil.id),
    )


def _rows(session: Session, table: Any, where: Any) -> list[Any]:
    return list(session.scalars(select(table).where(where).order_by(col(table.id))))
