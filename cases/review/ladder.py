"""The school's letter ladder for one case: which rungs hold today, and which go out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cases.models import CaseProposal
from cases.review.records import Case, Review, Step
from cases.review.rules import CONSEQUENTIAL, figures, figures_text, happened_on
from school.database import id_of
from school.policy import LadderRung
from state_machines.attendance_case import STAGES


@dataclass
class _Candidate:
    """A rung whose conditions hold today, before duplicates and successors are weeded out."""

    rung: LadderRung  # the rung that applies (the `then` rung when one is used instead)
    key: str
    notes: list[str]
    evidence: dict[str, Any]
    existing: CaseProposal | None
    pending: bool

    @property
    def fresh(self) -> bool:
        return self.existing is None and not self.pending


def _streak(review: Review, case: Case, rung: LadderRung) -> int:
    """How many periods in a row, just before this one, the rung (or its `then` used in its
    place) was applied: seed 000's standard letter "used twice in succession"."""
    done: dict[str, set[str]] = {}
    for p in case.happened([rung.id, *([rung.then] if rung.then else [])]):
        evidence = p.evidence or {}
        if p.rung_id == rung.id or evidence.get("in_place_of") == rung.id:
            done.setdefault(str(evidence.get("period")), set()).add(str(p.rung_id))
    count = 0
    for key in review.periods.earlier_keys(rung.cadence):
        if key not in done:
            break
        count += 1
    return count


def _candidate(
    review: Review,
    case: Case,
    rung: LadderRung,
    bands: set[str],
    threshold_met: bool,
) -> _Candidate | None:
    """The rung if every condition it states holds for the pupil today, else None."""
    policy, periods, f = review.policy, review.periods, case.figures
    if not periods.ends_today(rung.cadence):
        return None
    if not (rung.non_csa_pupils or f.compulsory_school_age):
        return None
    if rung.band is not None and rung.band not in bands:
        return None
    # Legal action is gated by the national threshold whatever the rung says (policy.py).
    if (rung.on_national_threshold or "legal_action_proposal" in rung.actions) and (
        not threshold_met
    ):
        return None
    chained = rung.after or rung.after_any or rung.requires_no_improvement
    if case.row is None and (chained or rung.requires_meeting_missed):
        return None
    if rung.after and not all(case.happened([r]) for r in rung.after):
        return None
    if rung.after_any and not case.happened(rung.after_any):
        return None
    if rung.instead_of and (case.happened(rung.instead_of) or case.pending(rung.instead_of)):
        return None
    notes: list[str] = []
    evidence: dict[str, Any] = {}
    anchor: str | None = None
    if rung.requires_meeting_missed:
        meetings = [
            a
            for a in case.actions
            if a.rung_id in rung.after and a.kind == "meeting" and a.status != "cancelled"
        ]
        if not meetings or meetings[-1].status != "not_attended":
            return None
        missed = meetings[-1]
        anchor = f"meeting:{id_of(missed)}"
        when = missed.due_on.isoformat() if missed.due_on else "the date set"
        notes.append(f"the parents did not attend the meeting ({missed.title}, due {when})")
        evidence["meeting_missed"] = id_of(missed)
    if rung.requires_no_improvement:
        ladder_ids = [r.id for r in policy.ladder]
        latest = case.happened(ladder_ids)
        if not latest or f.attendance_pct is None:
            return None
        baseline = latest[-1]
        baseline_pct = (baseline.evidence or {}).get("attendance_pct")
        baseline_on = happened_on(baseline)
        # At least one whole period of the rung's cadence since the last communication, and
        # the policy's improvement window where it sets one (seed 000: three weeks).
        if baseline_pct is None or baseline_on >= periods.starts(rung.cadence):
            return None
        window = policy.reviews.improvement_window_weeks
        if window and review.day < periods.school_weeks_after(baseline_on, window):
            return None
        if f.attendance_pct > baseline_pct:
            return None
        anchor = anchor or f"after:{id_of(baseline)}"
        notes.append(
            f"no improvement since {baseline_on:%d %b %Y} ({baseline_pct:.1f}%, "
            f"{(baseline.evidence or {}).get('title', baseline.rung_id)})"
        )
        evidence["no_improvement_since"] = {
            "proposal_id": id_of(baseline),
            "on": baseline_on.isoformat(),
            "attendance_pct": baseline_pct,
        }
    if (
        rung.stage in CONSEQUENTIAL
        and case.happened([rung.id])
        and STAGES.index(case.stage) >= STAGES.index(rung.stage)
    ):
        return None  # confirmed before and the case is still there: nothing new to decide
    applied = rung
    if rung.max_in_succession is not None and rung.then is not None:
        streak = _streak(review, case, rung)
        if streak >= rung.max_in_succession:
            applied = next(r for r in policy.ladder if r.id == rung.then)
            if not (applied.non_csa_pupils or f.compulsory_school_age):
                return None
            label = policy.band_named(applied.band).label if applied.band else applied.title
            notes.append(
                f"{rung.title} sent {streak} times in succession: this time it is treated "
                f"as {label}"
            )
            evidence["in_place_of"] = rung.id
            evidence["in_succession"] = streak + 1
    if anchor is None:
        if rung.cadence in ("half_term", "term") or not chained:
            # Half-termly letters go once per half-term; a tier with a shorter cadence (seed
            # 004's daily critical tier) starts once per half-term, not every day.
            anchor = periods.key("half_term" if rung.cadence != "term" else "term")
        else:
            follows = case.happened([*rung.after, *rung.after_any])
            anchor = f"after:{id_of(follows[-1])}"
    key = f"{applied.id}@{anchor}"
    if rung.on_national_threshold or "legal_action_proposal" in rung.actions:
        notes.append(
            f"{f.unauthorised_sessions_rolling_10_school_weeks} unauthorised sessions in the "
            "last 10 school weeks: the national threshold is met this school year"
        )
    evidence["period"] = periods.key(rung.cadence)
    return _Candidate(
        rung=applied,
        key=key,
        notes=notes,
        evidence=evidence,
        existing=case.by_key().get(key),
        pending=case.pending([applied.id]),
    )


def ladder_steps(review: Review, case: Case, bands: set[str], threshold_met: bool) -> list[Step]:
    """The rungs to apply or propose for a case today, in ladder order.

    A rung already applied once is not repeated when a later rung that follows it (through
    `after`/`after_any`) also applies, is awaiting a decision, or was made at this review: the
    ladder has moved past it (seed 001's Level 2, not Level 1 again). A rung never applied
    still goes out beside its successor (Level 4's letter beside the EWS referral). Of rungs
    that are alternatives (`instead_of`), only the first is proposed.
    """
    policy, ancestors = review.policy, review.ancestors
    found = [
        c
        for r in policy.ladder
        if (c := _candidate(review, case, r, bands, threshold_met)) is not None
    ]

    def standing(c: _Candidate) -> bool:
        made_today = (
            c.existing is not None
            and (c.existing.evidence or {}).get("review_day") == review.day.isoformat()
        )
        return c.fresh or c.pending or made_today

    steps: list[Step] = []
    chosen: dict[str, _Candidate] = {}
    for c in found:
        passed = case.happened([c.rung.id]) and any(
            c.rung.id in ancestors[o.rung.id] and standing(o) for o in found if o is not c
        )
        if passed:
            continue
        if not c.fresh or c.key in chosen:
            continue
        alternatives = [o for o in chosen.values() if c.rung.id in o.rung.instead_of]
        if alternatives:
            continue
        chosen[c.key] = c
        steps.append(_rung_step(review, case, c, threshold_met, found))
    return steps


def _rung_step(
    review: Review,
    case: Case,
    c: _Candidate,
    threshold_met: bool,
    found: list[_Candidate],
) -> Step:
    rung, f = c.rung, case.figures
    automatic = rung.automatic and rung.stage not in CONSEQUENTIAL  # policy_law says so too
    notes = list(c.notes)
    alternatives = [o.rung for o in found if o.rung.id in rung.instead_of and o.fresh]
    if alternatives:
        notes.append(
            "or instead: "
            + "; ".join(a.title for a in alternatives)
            + " (skip this proposal to have it proposed at the next review)"
        )
    summary = f"{rung.title}: {figures_text(f)}" + "".join(f"; {n}" for n in notes)
    evidence = {
        **figures(f, threshold_met),
        **c.evidence,
        "band": rung.band,
        "actions": list(rung.actions),
        "letter": rung.letter,
        "alternatives": [a.id for a in alternatives],
    }
    return Step(
        key=c.key,
        rung_id=rung.id,
        title=rung.title,
        stage=rung.stage,
        actions=tuple(rung.actions),
        letter=rung.letter,
        automatic=automatic,
        summary=summary,
        evidence=evidence,
    )
