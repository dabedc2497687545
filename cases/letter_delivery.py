"""Sending the letters the daily review planned: emailed through the outbox, or for printing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from cases.models import AttendanceCase, CaseAction
from cases.review.rules import LETTER_ACTIONS
from notifications.letters import send_letter
from school.clock import Clock


@dataclass(frozen=True)
class LettersSent:
    emailed: int  # letters that went to at least one parent by email
    to_print: int  # letters at least one parent gets on paper


def send_planned_letters(session: Session, school_id: str, on: date, clock: Clock) -> LettersSent:
    """Every planned letter action not yet sent goes out once (the outbox keys make a repeat
    harmless); the action is then done, with how it went in its details."""
    letters = session.scalars(
        select(CaseAction)
        .join(AttendanceCase, col(AttendanceCase.id) == CaseAction.case_id)
        .where(
            col(AttendanceCase.school_id) == school_id,
            col(CaseAction.kind).in_(LETTER_ACTIONS),
            col(CaseAction.status) == "planned",
        )
        .order_by(col(CaseAction.id))
    ).all()
    emailed = to_print = 0
    for action in letters:
        delivery = send_letter(session, action, clock, as_of=on)
        emailed += bool(delivery.emailed_contact_ids)
        to_print += delivery.delivery != "email"
        action.status, action.completed_at, action.completed_by = "done", clock.now(), "engine"
        session.add(action)
    session.commit()
    return LettersSent(emailed, to_print)
