"""Stepping a case down: back out of every band for a whole review period, a proposal."""

from __future__ import annotations

from cases.review.records import Case, Review, Step
from cases.review.rules import PENDING, STEP_DOWN, figures, figures_text
from school.database import id_of
from state_machines.attendance_case import CLOSED, STAGES


def step_down_step(
    review: Review, case: Case, before_pct: float | None, threshold_met: bool
) -> Step | None:
    """Back out of every band at the start and the end of a whole review period: propose
    stepping down to Monitor, or closing a case already there. Never automatic."""
    row = case.row
    if row is None or STAGES.index(case.stage) < STAGES.index("monitor"):
        return None
    if any(p.status == PENDING for p in case.proposals):
        return None  # staff decide what is awaiting them first (a meeting, a referral)
    to_stage = "monitor" if case.stage != "monitor" else CLOSED
    ladder_ids = [r.id for r in review.policy.ladder]
    latest = case.happened(ladder_ids)
    since = f"after:{id_of(latest[-1])}" if latest else "opened"
    key = f"{STEP_DOWN}:{case.stage}@{since}"
    if key in case.by_key():
        return None
    weeks = review.policy.reviews.review_every_school_weeks
    what = "step down to Monitor" if to_stage == "monitor" else "close the case"
    summary = (
        f"Attendance back out of every band for the last {weeks} school week(s): {what} "
        f"({figures_text(case.figures)}; {before_pct:.1f}% at the start of the period)"
    )
    return Step(
        key=key,
        rung_id=None,
        title="Step down",
        stage=None,
        actions=(),
        letter=None,
        automatic=False,
        summary=summary,
        evidence={
            **figures(case.figures, threshold_met),
            "attendance_pct_at_period_start": before_pct,
            "period": review.periods.key("review"),
            "actions": [],
        },
        to_stage=to_stage,
    )
