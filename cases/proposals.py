"""A named member of staff's decision on what the daily review proposed."""

from __future__ import annotations

from datetime import date
from typing import Literal

from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session

from cases.effects import _case, _commit, _need
from cases.legal.proposals import is_legal_decision
from cases.models import CaseProposal
from cases.proposal_facts import changed_since
from cases.review.rules import PENDING, STALE
from cases.service import _move
from school.amendments import Amender
from school.clock import Clock
from state_machines.attendance_case import CaseRefused

Decision = Literal["confirm", "skip", "override"]
DECIDED = {"confirm": "confirmed", "skip": "skipped", "override": "overridden"}


def _refuse_if_stale(session: Session, proposal: CaseProposal, by: Amender, clock: Clock) -> None:
    """A proposal confirmed on facts that have changed would act on a picture that is no
    longer true: it is marked stale (kept, with why) and the review is run again."""
    case = _case(session, proposal.case_id)
    changed = changed_since(session, proposal.evidence or {}, case, clock)
    if not changed:
        return
    proposal.status = STALE
    proposal.decided_by, proposal.decided_at = str(by), clock.now()
    proposal.decision_reason = "stale: " + "; ".join(changed)
    session.add(proposal)
    session.commit()
    raise CaseRefused(
        [f"proposal {proposal.id} rests on facts that have changed: {reason}" for reason in changed]
        + [
            f"run the review again (attendance review --school {case.school_id}) for a "
            "proposal on today's facts"
        ]
    )


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
    leaves the proposal undecided). Confirming is refused when the facts it rested on have
    changed (`cases.proposal_facts`): the proposal is marked stale for the next review to make
    afresh. Confirming a confirmed proposal again changes nothing. Skipping or overriding
    needs a reason; an override may name the stage chosen instead (`to_stage`). Otherwise a
    decided proposal cannot be decided again.
    """
    proposal = session.get(CaseProposal, proposal_id)
    if proposal is None:
        raise LookupError(f"no proposal {proposal_id}")
    if proposal.status == DECIDED["confirm"] and decision == "confirm":
        return proposal  # confirming twice changes nothing
    if proposal.status == PENDING and decision == "confirm":
        if is_legal_decision(proposal.trigger_key):
            raise CaseRefused(
                [
                    f"proposal {proposal_id} is decided by acting on it: issue a Notice to "
                    "Improve or request a penalty notice (attendance legal nti / request-pn), "
                    "or record why not (attendance case skip ID --reason)"
                ]
            )
        _refuse_if_stale(session, proposal, by, clock)
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
