"""The case actions an applied or confirmed step plans, each with its due and review dates."""

from __future__ import annotations

from datetime import date
from typing import Any

from cases.models import CaseAction, CaseProposal
from cases.review.records import Review
from cases.review.rules import (
    ACTION_WORDS,
    DUE_SCHOOL_DAYS,
    LETTER_ACTIONS,
    NOT_PLANNED,
    PLAN_ACTIONS,
    SUPPORT_ACTIONS,
)
from cases.support_law import PLANNED
from school.database import id_of


def planned_actions(review: Review, case_id: int, proposal: CaseProposal) -> list[CaseAction]:
    """The case actions of an applied (or confirmed) step, each with its due and review dates."""
    periods, reviews = review.periods, review.policy.reviews
    evidence = proposal.evidence or {}
    letter = evidence.get("letter")
    title = evidence.get("title") or proposal.summary
    rows = []
    for kind in evidence.get("actions", []):
        if kind in NOT_PLANNED:
            continue
        review_on: date | None = None
        if kind == "monitoring":
            weeks = reviews.monitoring_weeks or reviews.review_every_school_weeks
            due_on = review_on = periods.school_weeks_after(review.day, weeks)
        else:
            due_on = periods.school_days_after(DUE_SCHOOL_DAYS.get(kind, 10))
        if kind in PLAN_ACTIONS:
            weeks = reviews.improvement_window_weeks or reviews.review_every_school_weeks
            review_on = periods.school_weeks_after(due_on, weeks)
        details: dict[str, Any] = {
            "proposal_id": id_of(proposal),
            "trigger_key": proposal.trigger_key,
            "attendance_pct": evidence.get("attendance_pct"),
        }
        if kind in LETTER_ACTIONS and letter:
            details["letter"] = letter
        if kind == "medical_evidence_required":
            rules = review.policy.medical_evidence
            details["below_attendance_pct"] = rules.below_attendance_pct
            details["note"] = rules.note
        rows.append(
            CaseAction(
                case_id=case_id,
                kind=kind,
                rung_id=proposal.rung_id,
                title=f"{ACTION_WORDS.get(kind, kind)}: {title}",
                is_support=kind in SUPPORT_ACTIONS,
                support_status=PLANNED if kind in SUPPORT_ACTIONS else None,
                due_on=due_on,
                review_on=review_on,
                status="planned",
                created_at=review.now,
                created_by=review.by,
                details=details,
            )
        )
    return rows
