"""The legal actions on file as staff read them: each with its pupil, its next date and events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from cases.legal.law import (
    NOTICE_TO_IMPROVE,
    nti_outcome_due_on,
    payment_period_end,
    unpaid_decision_due_on,
)
from cases.models import LegalAction, LegalActionEvent
from school.models import Pupil

KIND_WORDS = {
    "notice_to_improve": "Notice to Improve",
    "penalty_notice": "Penalty notice",
    "suspension_penalty_notice": "Penalty notice (excluded pupil seen in public)",
}
STATE_WORDS = {
    "improvement_period": "In its improvement period",
    "improved": "Improved",
    "not_improved": "Not improved",
    "penalty_requested": "Penalty notice requested",
    "requested": "Requested of the local authority",
    "issued": "Issued, awaiting payment",
    "paid_early": "Paid (early rate)",
    "paid": "Paid",
    "unpaid": "Unpaid",
    "prosecution": "Referred for prosecution",
    "withdrawn": "Withdrawn",
}


@dataclass(frozen=True)
class LegalEntry:
    """One legal action with what a person needs beside it: whose, what next and by when."""

    action: LegalAction
    pupil: Pupil
    events: list[LegalActionEvent]
    next_step: str  # "" when nothing more happens to it
    next_on: date | None

    @property
    def kind_words(self) -> str:
        return KIND_WORDS.get(self.action.kind, self.action.kind.replace("_", " "))

    @property
    def state_words(self) -> str:
        return STATE_WORDS.get(self.action.state, self.action.state.replace("_", " "))


def _next(action: LegalAction) -> tuple[str, date | None]:
    """The next date the law sets for this action in its state (spec §5)."""
    if action.kind == NOTICE_TO_IMPROVE and action.state == "improvement_period":
        end = action.improvement_period_end
        return "Outcome due", nti_outcome_due_on(end) if end else None
    if action.state == "issued" and action.received_on is not None:
        return "Payment due by", payment_period_end(action)
    if action.state == "issued":
        return "Awaiting receipt", None
    if action.state == "unpaid" and action.received_on is not None:
        return "Prosecute or withdraw from", unpaid_decision_due_on(action.received_on)
    if action.state == "requested":
        return "Awaiting the local authority", None
    return "", None


def legal_entries(
    session: Session, school_id: str, pupil_id: int | None = None
) -> list[LegalEntry]:
    """The school's legal actions (or one pupil's), newest first, in three queries."""
    query = (
        select(LegalAction, Pupil)
        .join(Pupil, col(Pupil.id) == LegalAction.pupil_id)
        .where(col(LegalAction.school_id) == school_id)
        .order_by(col(LegalAction.id).desc())
    )
    if pupil_id is not None:
        query = query.where(col(LegalAction.pupil_id) == pupil_id)
    rows = session.execute(query).all()
    events: dict[int, list[LegalActionEvent]] = {}
    ids = [a.id for a, _ in rows]
    if ids:
        for event in session.scalars(
            select(LegalActionEvent)
            .where(col(LegalActionEvent.legal_action_id).in_(ids))
            .order_by(col(LegalActionEvent.id))
        ):
            events.setdefault(event.legal_action_id, []).append(event)
    return [
        LegalEntry(action, pupil, events.get(action.id or 0, []), *_next(action))
        for action, pupil in rows
    ]
