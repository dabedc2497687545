"""The review's legal proposals: their trigger keys, and deciding them by acting on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from cases.models import AttendanceCase, CaseProposal, LegalAction
from school.policy import Policy

CONSIDER = "consider_legal"  # consider_legal@<the date the threshold period was met>
PN_AFTER_NTI = "penalty_notice_after_nti"  # penalty_notice_after_nti:<the NTI's id>
LEGAL_KEYS = (f"{CONSIDER}@", f"{PN_AFTER_NTI}:")
PENDING = "proposed"


def is_legal_decision(key: str) -> bool:
    """A proposal decided by acting (a notice) or by recording why not, never by "confirm"."""
    return key.startswith(LEGAL_KEYS)


def who_decides(policy: Policy) -> str:
    """The person named to decide legal action: whoever signs the school's Notices to Improve
    (the head or the senior leader they authorise, spec §5 "Who can issue")."""
    signatory = policy.letters.signatory_for("notice_to_improve")
    return f"{signatory.name}, {signatory.role}" if signatory.name else signatory.role


def settle_by_notice(
    session: Session,
    case: AttendanceCase | None,
    notice: LegalAction,
    actor: str,
    now: datetime,
    nti_id: int | None = None,
) -> list[CaseProposal]:
    """Mark the case's pending legal proposals decided by this notice: any "consider legal
    action", and the penalty notice proposed after `nti_id` was not improved."""
    if case is None:
        return []
    wanted = [f"{CONSIDER}@"] + ([f"{PN_AFTER_NTI}:{nti_id}"] if nti_id is not None else [])
    pending = session.scalars(
        select(CaseProposal).where(
            col(CaseProposal.case_id) == case.id, col(CaseProposal.status) == PENDING
        )
    ).all()
    kind = "Notice to Improve" if notice.kind == "notice_to_improve" else "penalty notice"
    verb = "issued to" if notice.kind == "notice_to_improve" else "requested for"
    settled = [p for p in pending if p.trigger_key.startswith(tuple(wanted))]
    for p in settled:
        p.status, p.decided_by, p.decided_at = "confirmed", actor, now
        p.decision_reason = f"{kind} #{notice.id} {verb} {notice.parent_name}"
        session.add(p)
    return settled
