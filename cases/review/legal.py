"""The review's legal steps, whatever the school's ladder: a decision on legal action for each
threshold period firmly met, and a penalty notice once a Notice to Improve has not improved."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from cases.legal.proposals import CONSIDER, PN_AFTER_NTI, who_decides
from cases.legal.threshold import ThresholdPeriod, threshold_periods
from cases.models import LegalAction
from cases.review.records import Case, Review, Step
from cases.review.rules import PENDING, figures, figures_text
from school.database import id_of


@dataclass(frozen=True)
class ProvisionalNote:
    """A pupil whose threshold is met only by N codes still within their resolution window."""

    pupil_id: int
    upn: str
    name: str
    text: str


@dataclass
class LegalReview:
    """What the law asks of each case today, read for the whole school at once."""

    periods: dict[int, ThresholdPeriod] = field(default_factory=dict)
    not_improved: dict[int, list[LegalAction]] = field(default_factory=dict)
    notes: list[ProvisionalNote] = field(default_factory=list)

    def threshold_met(self, case: Case) -> bool:
        """Firmly met this school year (G, O and U alone): the gate for legal rungs and Enforce."""
        period = self.periods.get(case.pupil.id)
        return period is not None and period.met_this_year is not None

    def steps(self, review: Review, case: Case) -> list[Step]:
        if not case.figures.compulsory_school_age:
            return []  # spec §5 Scope: no legal action below or beyond compulsory school age
        found = []
        period = self.periods.get(case.pupil.id)
        if period is not None and period.met_on is not None:
            step = _consider(review, case, period)
            if step is not None:
                found.append(step)
        elif period is not None and (note := period.provisional()):
            self.notes.append(ProvisionalNote(case.pupil.id, case.pupil.upn, case.pupil.name, note))
        found.extend(
            _after_nti(review, case, nti) for nti in self.not_improved.get(case.pupil.id, [])
        )
        return [s for s in found if s.key not in case.by_key()]


def read_legal(session: Session, review: Review, cases: list[Case]) -> LegalReview:
    """Threshold periods of the pupils whose figures have met the threshold (N included) this
    year, and Notices to Improve judged not improved with no penalty notice requested yet."""
    candidates = [
        c.pupil.id
        for c in cases
        if c.on_roll
        and (c.figures.national_threshold_met or c.figures.national_threshold_first_met_on)
    ]
    not_improved: dict[int, list[LegalAction]] = {}
    for row in session.scalars(
        select(LegalAction)
        .where(
            col(LegalAction.school_id) == review.school_id,
            col(LegalAction.state) == "not_improved",
        )
        .order_by(col(LegalAction.id))
    ):
        not_improved.setdefault(row.pupil_id, []).append(row)
    return LegalReview(
        threshold_periods(session, review.school, candidates, review.on), not_improved
    )


def _consider(review: Review, case: Case, period: ThresholdPeriod) -> Step | None:
    if any(
        p.trigger_key.startswith(f"{CONSIDER}@") and p.status == PENDING for p in case.proposals
    ):
        return None  # one decision at a time: the pending one stays on the case until decided
    who = who_decides(review.policy)
    summary = (
        f"Consider legal action, for {who} to decide: {period.summary()}; "
        f"{figures_text(case.figures)}. Issue a Notice to Improve or request a penalty notice "
        "(attendance legal nti / request-pn), or record why not (attendance case skip)"
    )
    return Step(
        key=f"{CONSIDER}@{period.met_on}",
        rung_id=None,
        title="Consider legal action (national threshold met)",
        stage=None,
        actions=("legal_action_proposal",),
        letter=None,
        automatic=False,
        summary=summary,
        evidence={
            **figures(case.figures, True),
            "threshold": _json(period.evidence()),
            "decided_by": who,
        },
    )


def _after_nti(review: Review, case: Case, nti: LegalAction) -> Step:
    who = who_decides(review.policy)
    return Step(
        key=f"{PN_AFTER_NTI}:{id_of(nti)}",
        rung_id=None,
        title="Request a penalty notice: the Notice to Improve did not improve attendance",
        stage=None,
        actions=("legal_action_proposal",),
        letter=None,
        automatic=False,
        summary=(
            f"Request a penalty notice to {nti.parent_name}, for {who} to decide: Notice to "
            f"Improve #{nti.id} (improvement period to {nti.improvement_period_end}) was judged "
            "not improved. Request it (attendance legal request-pn) or record why not "
            "(attendance case skip)"
        ),
        evidence={
            **figures(case.figures, True),
            "notice_to_improve": id_of(nti),
            "parent": nti.parent_name,
            "decided_by": who,
        },
    )


def _json(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}
