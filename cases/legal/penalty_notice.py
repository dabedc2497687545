"""Penalty notices for absence: requested within the per-parent limit, then issued."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from cases.legal.effects import (
    LegalActionEffects,
    _action_in_machine,
    _fire,
    _new_action,
    _transaction,
    new_notice,
)
from cases.legal.kept_refusals import refusal_kept
from cases.legal.law import (
    ALTERNATIVE_ACTION,
    NOTICE_TO_IMPROVE,
    PENALTY_NOTICE,
    PENALTY_NOTICE_LIMIT,
    _amounts_for,
    _ordinal,
    _require_csa,
    _terms,
    lookback_start,
)
from cases.legal.parents import Recipient
from cases.legal.proposals import settle_by_notice
from cases.legal.queries import (
    _counted_notices,
    _open_case,
    _parents_actions,
    _require_send_barriers,
    _require_support,
    _threshold,
)
from cases.legal.refusals import LegalActionRefused, _name, _not_future, _who
from cases.models import LegalAction
from school.clock import Clock
from school.database import id_of
from state_machines.legal_action import NTI_START, PN_START, ActionAdapter


def request_penalty_notice(
    session: Session,
    pupil_id: int,
    parent: str,
    by: str,
    on: date,
    *,
    clock: Clock,
) -> LegalAction:
    """Ask the LA for a penalty notice to one parent, if the law allows one on `on` (spec §5).

    `parent` is a contact id or the exact name of a contact with parental responsibility, or
    of a carer recorded on the pupil. Refused unless: the pupil is of compulsory school age;
    the national threshold is met in the 10 school weeks to `on` by G, O and U alone (N is
    provisional), with sessions not already relied on by an earlier notice to this parent;
    support was offered or is recorded as not appropriate; SEND barriers were considered where
    the policy says so; no Notice to Improve to this parent is still in its improvement
    period; and this parent has fewer than two counted penalty notices for this pupil in the
    three years ending with `on`.
    """
    kept = refusal_kept(session, pupil_id, PENALTY_NOTICE, parent, by, on, clock)
    with kept, _transaction(session):
        notice = new_notice(session, pupil_id, by, parent, on, clock, "the request date")
        actor, recipient, pupil, school = notice
        parent_name = recipient.name
        _require_csa(pupil, on)
        earlier = _counted_notices(session, pupil_id, recipient)
        pending = [r for r in earlier if r.state == PN_START]
        if pending:
            raise LegalActionRefused(
                f"a penalty notice to {parent_name} for {_name(pupil)} is already requested "
                f"(legal action {pending[0].id}): issue or withdraw it first"
            )
        notices = _parents_actions(session, pupil_id, recipient, NOTICE_TO_IMPROVE)
        running = [n for n in notices if n.state == NTI_START]
        if running:
            raise LegalActionRefused(
                f"{parent_name}'s Notice to Improve is in its improvement period until "
                f"{running[-1].improvement_period_end}: review it first; a penalty notice "
                "before then needs improvement to have clearly failed and the parent told "
                "(spec §5 Early PN)"
            )
        last_issued = max((r.issued_on for r in earlier if r.issued_on), default=None)
        evidence = _threshold(session, school, pupil, on, after=last_issued)
        case = _open_case(session, pupil_id)
        support = _require_support(session, pupil, case)
        _require_send_barriers(school, pupil, case, "a penalty notice")
        sequence = _sequence(session, pupil_id, recipient, on)
        early, full = _amounts_for(sequence)
        row = notice.legal_action(
            case,
            clock.now(),
            kind=PENALTY_NOTICE,
            state=PN_START,
            sequence=sequence,
            amount_if_paid_early=early,
            amount=full,
            threshold_first_met_on=evidence.met_on,
            offence_summary=evidence.summary(),
        )
        _new_action(
            session,
            row,
            "request",
            actor,
            f"requested on {on}: {evidence.summary()}; {support}; "
            f"{_ordinal(sequence)} penalty notice in three years ({_terms(early, full)})",
        )
        not_improved = [n for n in notices if n.state == "not_improved"]
        after = id_of(not_improved[-1]) if not_improved else None
        settle_by_notice(session, case, row, actor, clock.now(), nti_id=after)
        if not_improved:
            _fire(
                ActionAdapter(not_improved[-1], LegalActionEffects(session, clock.now())),
                "request_penalty_notice",
                actor=actor,
                reason=f"penalty notice requested (legal action {row.id})",
            )
    return row


def _sequence(
    session: Session, pupil_id: int, parent: Recipient, proposed: date, exclude: int | None = None
) -> int:
    """1 or 2: which notice this would be; refuses a third within three years (spec §5)."""
    start = lookback_start(proposed)
    earlier = sorted(
        r.issued_on
        for r in _counted_notices(session, pupil_id, parent, exclude)
        if r.issued_on is not None and start <= r.issued_on <= proposed
    )
    if len(earlier) >= PENALTY_NOTICE_LIMIT:
        raise LegalActionRefused(
            f"a third penalty notice cannot be issued to {parent.name} for this pupil: "
            f"{len(earlier)} earlier penalty notices (issued {', '.join(map(str, earlier))}) in "
            f"the three years from {start} to {proposed}; take alternative action instead: "
            + "; ".join(ALTERNATIVE_ACTION),
            alternatives=ALTERNATIVE_ACTION,
        )
    return len(earlier) + 1


def issue_penalty_notice(
    session: Session,
    action_id: int,
    by: str,
    issued_on: date,
    received_on: date,
    *,
    clock: Clock,
) -> LegalAction:
    """Record that a requested penalty notice was issued, and when the parent received it.

    The limit is counted again on the issue date (the regs count back from the date it is
    proposed to issue), so the amounts are the ones due for that date.
    """
    with _transaction(session):
        actor = _who(by)
        _not_future(issued_on, clock, "the issue date")
        row, adapter = _action_in_machine(session, action_id, clock, PENALTY_NOTICE)
        if row.state != PN_START:
            _fire(adapter, "issue")  # refuses with the state it is in
        if row.threshold_first_met_on and issued_on < row.threshold_first_met_on:
            raise LegalActionRefused(
                f"the issue date {issued_on} is before the threshold was met "
                f"({row.threshold_first_met_on})"
            )
        if received_on < issued_on:
            raise LegalActionRefused(
                f"the notice cannot be received ({received_on}) before it is issued ({issued_on})"
            )
        sequence = _sequence(session, row.pupil_id, Recipient.of(row), issued_on, id_of(row))
        row.sequence = sequence
        row.amount_if_paid_early, row.amount = _amounts_for(sequence)
        row.issued_on, row.received_on = issued_on, received_on
        _fire(
            adapter,
            "issue",
            actor=actor,
            reason=f"issued on {issued_on}, received on {received_on}: {_ordinal(sequence)} "
            f"penalty notice in three years, {_terms(row.amount_if_paid_early, row.amount)}",
        )
    return row
