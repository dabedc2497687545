"""Withdrawing a Notice to Improve or a penalty notice, so that it never counts."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from cases.legal.effects import _action_in_machine, _fire, _transaction
from cases.legal.law import NOTICE_TO_IMPROVE, PENALTY_NOTICE, SUSPENSION_PENALTY_NOTICE
from cases.legal.refusals import _because, _not_future, _who
from cases.models import LegalAction
from school.clock import Clock, school_today


def withdraw(
    session: Session,
    action_id: int,
    by: str,
    reason: str,
    *,
    clock: Clock,
    on: date | None = None,
) -> LegalAction:
    """Withdraw a Notice to Improve or a penalty notice; a withdrawn notice never counts."""
    with _transaction(session):
        actor = _who(by)
        why = _because(reason, "withdrawing it")
        when = on or school_today(clock)
        _not_future(when, clock, "the withdrawal date")
        row, adapter = _action_in_machine(
            session, action_id, clock, NOTICE_TO_IMPROVE, PENALTY_NOTICE, SUSPENSION_PENALTY_NOTICE
        )
        _fire(adapter, "withdraw", actor=actor, reason=f"withdrawn on {when}: {why}", on=when)
    return row
