"""Payment of a penalty notice, and the local authority's decision when it is not paid."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from cases.legal.effects import _action_in_machine, _fire, _transaction
from cases.legal.law import (
    PAYMENT_DAYS,
    PENALTY_NOTICE,
    SUSPENSION_PENALTY_NOTICE,
    Decision,
    _terms,
    amount_due,
    payment_period_end,
)
from cases.legal.refusals import LegalActionRefused, _because, _not_future, _who
from cases.models import LegalAction
from school.clock import Clock, school_today
from state_machines.legal_action import ActionAdapter


def record_payment(
    session: Session, action_id: int, paid_on: date, amount: int, by: str, *, clock: Clock
) -> LegalAction:
    """Record a payment: exactly the amount due on that date, and none after 28 days."""
    with _transaction(session):
        actor = _who(by)
        _not_future(paid_on, clock, "the payment date")
        row, adapter = _action_in_machine(
            session, action_id, clock, PENALTY_NOTICE, SUSPENSION_PENALTY_NOTICE
        )
        if row.state != "issued":
            _fire(adapter, "pay")  # refuses with the state it is in
        assert row.issued_on is not None and row.received_on is not None
        if paid_on < row.issued_on:
            raise LegalActionRefused(f"the payment date {paid_on} is before the notice was issued")
        due = amount_due(row, paid_on)
        day = (paid_on - row.received_on).days
        if due is None:
            raise LegalActionRefused(
                f"no payment can be accepted on {paid_on}: the {PAYMENT_DAYS} days for payment "
                f"ended on {payment_period_end(row)}; the notice is unpaid and the local "
                "authority must decide to prosecute or withdraw it (spec §5 Non-payment)"
            )
        if amount != due:
            raise LegalActionRefused(
                f"£{amount} does not match the £{due} due on {paid_on} (day {day} after receipt "
                f"on {row.received_on}; {_terms(row.amount_if_paid_early, row.amount or 0)})"
            )
        early = row.amount_if_paid_early is not None and due == row.amount_if_paid_early
        _fire(
            adapter,
            "pay_early" if early else "pay",
            actor=actor,
            reason=f"£{amount} paid on {paid_on}, day {day} after receipt",
            paid_on=paid_on,
            amount=amount,
        )
    return row


def review_unpaid(
    session: Session, action_id: int, on: date, *, clock: Clock, by: str = "engine"
) -> LegalAction:
    """After 28 days without payment the notice is unpaid and a decision is due."""
    with _transaction(session):
        _not_future(on, clock, "the review date")
        row, adapter = _action_in_machine(
            session, action_id, clock, PENALTY_NOTICE, SUSPENSION_PENALTY_NOTICE
        )
        _mark_unpaid(adapter, on, _who(by))
    return row


def _mark_unpaid(adapter: ActionAdapter, on: date, actor: str) -> None:
    row: LegalAction = adapter.row
    if row.state != "issued":
        _fire(adapter, "mark_unpaid")  # refuses with the state it is in
    end = payment_period_end(row)
    if on <= end:
        raise LegalActionRefused(
            f"the {PAYMENT_DAYS} days for payment run until {end}: no decision on non-payment "
            f"before then (spec §5 Non-payment)"
        )
    _fire(
        adapter,
        "mark_unpaid",
        actor=actor,
        reason=f"not paid within {PAYMENT_DAYS} days of receipt (by {end}): the local authority "
        "must now decide to prosecute or withdraw",
    )


def decide_unpaid(
    session: Session,
    action_id: int,
    decision: Decision,
    by: str,
    reason: str,
    *,
    clock: Clock,
    on: date | None = None,
    eso_considered: str | None = None,
) -> LegalAction:
    """The LA's decision on an unpaid notice: prosecute for the original offence, or withdraw.

    Refused before the 28 days for payment have passed; an issued notice past them is first
    recorded as unpaid. Prosecuting needs `eso_considered`: the local authority must consider
    an education supervision order first (EA 1996 s447), and says why it is not pursued.
    """
    with _transaction(session):
        actor = _who(by)
        why = _because(reason, f"the decision to {decision}")
        when = on or school_today(clock)
        _not_future(when, clock, "the decision date")
        if decision not in ("prosecute", "withdraw"):
            raise LegalActionRefused(
                f"the decision must be prosecute or withdraw, not {decision!r}"
            )
        row, adapter = _action_in_machine(
            session, action_id, clock, PENALTY_NOTICE, SUSPENSION_PENALTY_NOTICE
        )
        if row.state == "issued":
            _mark_unpaid(adapter, when, actor)
        if decision == "prosecute":
            if row.state != "unpaid":
                _fire(adapter, "prosecute")  # refuses with the state it is in
            if eso_considered is None or not eso_considered.strip():
                raise LegalActionRefused(
                    "before prosecuting, the local authority must consider an education "
                    "supervision order (Children Act 1989 s36; Education Act 1996 s447): record "
                    "that it was considered and why it is not pursued (--eso-considered)"
                )
            eso = " ".join(eso_considered.split())
            _fire(
                adapter,
                "prosecute",
                actor=actor,
                reason=f"decided on {when}: {why}; an education supervision order was "
                f"considered (EA 1996 s447) and not pursued: {eso}",
                details={"eso_considered": eso, "decided_on": when.isoformat()},
            )
        else:
            _fire(adapter, "withdraw", actor=actor, reason=f"decided on {when}: {why}", on=when)
    return row
