"""The legal decisions waiting for a person on a date: "consider legal action", a penalty
notice after a Notice to Improve did not improve, an NTI's outcome, an unpaid notice."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from cases.legal.law import (
    NOTICE_TO_IMPROVE,
    PENALTY_NOTICE,
    SUSPENSION_PENALTY_NOTICE,
    nti_outcome_due_on,
    unpaid_decision_due_on,
)
from cases.legal.proposals import CONSIDER, LEGAL_KEYS, PENDING, who_decides
from cases.legal.queries import figures_words, improvement_figures
from cases.models import AttendanceCase, CaseProposal, LegalAction
from school.database import id_of
from school.models import Pupil
from school.schools import LoadedSchool

CONSIDER_LEGAL_ACTION = "consider_legal_action"
PENALTY_NOTICE_AFTER_NTI = "penalty_notice_after_nti"
NTI_OUTCOME_DUE = "nti_outcome_due"
UNPAID_DECISION_DUE = "unpaid_decision_due"
THE_LA = "the local authority that issued it"


@dataclass(frozen=True)
class LegalDue:
    """One legal decision waiting for a person, since a date, with what they need to decide."""

    kind: str
    since: date
    upn: str
    pupil: str
    decides: str
    what: str
    action_id: int | None = None
    proposal_id: int | None = None
    figures: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def legal_decisions_due(
    session: Session, school: LoadedSchool, on: date, pupil_id: int | None = None
) -> list[LegalDue]:
    """Every legal decision due at a school on `on` (or one pupil's), oldest first."""
    pupils = {
        id_of(p): p
        for p in session.scalars(
            select(Pupil).where(
                col(Pupil.school_id) == school.id,
                *([col(Pupil.id) == pupil_id] if pupil_id is not None else []),
            )
        )
    }
    due = _proposals(session, school, pupils) + _actions(session, school, pupils, on)
    return sorted(due, key=lambda d: (d.since, d.upn, d.kind))


def unpaid_decisions_due(session: Session, school: LoadedSchool, on: date) -> list[LegalDue]:
    """Unpaid penalty notices whose decision is due: prosecute or withdraw (for `duties`)."""
    return [d for d in legal_decisions_due(session, school, on) if d.kind == UNPAID_DECISION_DUE]


def _name(pupil: Pupil) -> str:
    return f"{pupil.given_name} {pupil.family_name}"


def _proposals(session: Session, school: LoadedSchool, pupils: dict[int, Pupil]) -> list[LegalDue]:
    rows = session.execute(
        select(CaseProposal, col(AttendanceCase.pupil_id))
        .join(AttendanceCase, col(AttendanceCase.id) == CaseProposal.case_id)
        .where(
            col(AttendanceCase.school_id) == school.id,
            col(AttendanceCase.pupil_id).in_(list(pupils)),
            col(CaseProposal.status) == PENDING,
        )
        .order_by(col(CaseProposal.id))
    ).all()
    found = []
    for proposal, pupil_id in rows:
        if not proposal.trigger_key.startswith(LEGAL_KEYS):
            continue
        pupil = pupils[pupil_id]
        evidence = proposal.evidence or {}
        made = evidence.get("review_day") or proposal.created_at.date().isoformat()
        found.append(
            LegalDue(
                kind=CONSIDER_LEGAL_ACTION
                if proposal.trigger_key.startswith(f"{CONSIDER}@")
                else PENALTY_NOTICE_AFTER_NTI,
                since=date.fromisoformat(made),
                upn=pupil.upn,
                pupil=_name(pupil),
                decides=evidence.get("decided_by") or who_decides(school.policy.policy),
                what=proposal.summary,
                proposal_id=id_of(proposal),
                action_id=evidence.get("notice_to_improve"),
                figures=evidence.get("threshold"),
            )
        )
    return found


def _actions(
    session: Session, school: LoadedSchool, pupils: dict[int, Pupil], on: date
) -> list[LegalDue]:
    rows = session.scalars(
        select(LegalAction)
        .where(
            col(LegalAction.school_id) == school.id,
            col(LegalAction.pupil_id).in_(list(pupils)),
            col(LegalAction.state).in_(["improvement_period", "issued", "unpaid"]),
        )
        .order_by(col(LegalAction.id))
    ).all()
    found = []
    for row in rows:
        pupil = pupils[row.pupil_id]
        if row.kind == NOTICE_TO_IMPROVE and row.improvement_period_end is not None:
            since = nti_outcome_due_on(row.improvement_period_end)
            if on < since:
                continue
            figures = improvement_figures(session, row, on)
            found.append(
                LegalDue(
                    kind=NTI_OUTCOME_DUE,
                    since=since,
                    upn=pupil.upn,
                    pupil=_name(pupil),
                    decides=who_decides(school.policy.policy),
                    what=(
                        f"NTI outcome due: Notice to Improve #{row.id} to {row.parent_name}, "
                        f"improvement period ended {row.improvement_period_end}; "
                        f"{figures_words(figures)}. Record it: attendance legal nti-outcome "
                        f"{row.id} --improved|--not-improved"
                    ),
                    action_id=id_of(row),
                    figures=figures,
                )
            )
        elif row.kind in (PENALTY_NOTICE, SUSPENSION_PENALTY_NOTICE) and row.received_on:
            since = unpaid_decision_due_on(row.received_on)
            if on < since:
                continue
            found.append(
                LegalDue(
                    kind=UNPAID_DECISION_DUE,
                    since=since,
                    upn=pupil.upn,
                    pupil=_name(pupil),
                    decides=THE_LA,
                    what=(
                        f"decision due: prosecute or withdraw. Penalty notice #{row.id} to "
                        f"{row.parent_name}, received {row.received_on}, not paid within 28 "
                        f"days. Record it: attendance legal decide-unpaid {row.id} "
                        "--prosecute --eso-considered WHY_NOT | --withdraw"
                    ),
                    action_id=id_of(row),
                )
            )
    return found
