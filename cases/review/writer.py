"""Writing one review: cases opened and moved, proposals made, their actions planned."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session
from transitions import EventData

from cases.models import AttendanceCase, CaseEvent, CaseProposal
from cases.review.planning import planned_actions
from cases.review.queries import last_amendment_ids
from cases.review.records import Case, Review, Step, Work
from cases.review.rules import (
    AUTOMATIC_CEILING,
    CONSEQUENTIAL,
    LETTER_ACTIONS,
    MOVES_NOTHING,
    PENDING,
    STALE,
    figures_text,
)
from cases.support_law import offered
from school.database import id_of
from school.school_age import csa_end, csa_start
from state_machines.attendance_case import (
    CLOSED,
    STAGES,
    CaseAdapter,
    CaseFacts,
    fire,
    refusals,
    trigger_for,
)


class Writer:
    """Opens cases, moves them, and writes proposals and actions into the review's transaction.

    New cases go in one flush and new proposals in another, so a school-wide review costs a
    few statements however many pupils it touches.
    """

    def __init__(self, session: Session, review: Review) -> None:
        self.session, self.review = session, review
        self.opened = self.moves = self.actions = 0
        self.made: list[CaseProposal] = []
        self.amendments: dict[int, int] = {}  # pupil id -> latest register amendment id

    def write(self, work: list[Work]) -> None:
        review, session = self.review, self.session
        opened = [w for w in work if w.case.row is None]
        new_cases = {id(w.case) for w in opened}
        for w in opened:
            w.case.row = AttendanceCase(
                school_id=review.school_id,
                pupil_id=w.case.pupil.id,
                stage="expect",
                opened_at=review.now,
                policy_version=review.loaded.version,
            )
            session.add(w.case.row)
        session.flush()
        self.opened += len(opened)
        self.amendments = last_amendment_ids(session, [w.case.pupil.id for w in work])
        new: list[tuple[Case, CaseProposal, Step]] = []
        for w in work:
            why = _why(review, w.case, w.steps, w.bands)
            if id(w.case) in new_cases:
                _event(
                    session,
                    review,
                    w.case,
                    from_stage="",
                    to_stage="expect",
                    trigger="open",
                    reason=why,
                )
            self._move(w, why)
            new.extend((w.case, self._proposal(w, step), step) for step in w.steps)
        session.add_all(p for _, p, _ in new)
        session.flush()
        for case, proposal, step in new:
            if proposal not in case.proposals:  # a stale row proposed afresh is there already
                case.proposals.append(proposal)
            self.made.append(proposal)
            if step.automatic:
                self._plan(case, proposal)

    def _move(self, w: Work, why: str) -> None:
        """Opening and moving up to Facilitate may be automatic; Formalise and Enforce never."""
        case = w.case
        assert case.row is not None
        target = "monitor"
        for step in w.steps:
            if step.automatic and step.stage is not None and set(step.actions) - MOVES_NOTHING:
                target = max(target, step.stage, key=STAGES.index)
        target = min(target, AUTOMATIC_CEILING, key=STAGES.index)
        if STAGES.index(target) <= STAGES.index(case.stage):
            return  # the review never steps a case down by itself
        adapter = CaseAdapter(case.row, _Effects(self.session, self.review, case))
        facts = _facts(self.review, case, w.threshold_met)
        fire(adapter, trigger_for(case.stage, target), facts, reason=why)
        self.moves += 1

    def _proposal(self, w: Work, step: Step) -> CaseProposal:
        review, case = self.review, w.case
        assert case.row is not None
        to_stage = step.to_stage
        if (
            to_stage is None
            and step.stage is not None
            and not step.automatic
            and STAGES.index(step.stage) > STAGES.index(case.stage)
        ):
            to_stage = step.stage
        evidence = {
            **step.evidence,
            "title": step.title,
            "as_of": review.on.isoformat(),
            "review_day": review.day.isoformat(),
            "policy_version": review.loaded.version,
            # What it rests on besides the figures, so a decision on stale facts is refused.
            "case_stage": case.stage,
            "last_amendment_id": self.amendments.get(case.pupil.id),
        }
        if to_stage in CONSEQUENTIAL:
            # What the guards would say today, so the person deciding sees it first.
            evidence["guard_reasons"] = refusals(to_stage, _facts(review, case, w.threshold_met))
        made = CaseProposal(
            case_id=id_of(case.row),
            trigger_key=step.key,
            kind=_kind(step.actions, to_stage),
            rung_id=step.rung_id,
            to_stage=to_stage,
            summary=step.summary,
            evidence=evidence,
            created_at=review.now,
            status="applied" if step.automatic else PENDING,
            decided_by=review.by if step.automatic else None,
            decided_at=review.now if step.automatic else None,
            decision_reason="automatic in the school's policy" if step.automatic else None,
        )
        stale = next(
            (p for p in case.proposals if p.trigger_key == step.key and p.status == STALE), None
        )
        return made if stale is None else _afresh(stale, made)

    def _plan(self, case: Case, proposal: CaseProposal) -> None:
        assert case.row is not None
        rows = planned_actions(self.review, id_of(case.row), proposal)
        self.session.add_all(rows)
        case.actions.extend(rows)
        self.actions += len(rows)

    def plan_confirmed(self, cases: list[Case]) -> None:
        """Plan the actions of proposals staff confirmed since the last review: confirming
        moves the case (flows/cases), the letters, meetings and plans are planned here."""
        for case in cases:
            planned_for = {(a.details or {}).get("proposal_id") for a in case.actions}
            for p in case.proposals:
                if p.status == "confirmed" and id_of(p) not in planned_for:
                    self._plan(case, p)


class _Effects:
    """Writes the event row for each move the review makes (the machine's CaseEffects)."""

    def __init__(self, session: Session, review: Review, case: Case) -> None:
        self.session, self.review, self.case = session, review, case

    def record_move(self, adapter: CaseAdapter, event: EventData) -> None:
        transition = event.transition
        _event(
            self.session,
            self.review,
            self.case,
            from_stage=transition.source if transition else "",
            to_stage=adapter.state,
            trigger=event.event.name if event.event else "",
            reason=event.kwargs["reason"],
        )

    def close(self, adapter: CaseAdapter, event: EventData) -> None:
        adapter.row.closed_at = self.review.now  # the review never closes a case itself


def _event(
    session: Session,
    review: Review,
    case: Case,
    *,
    from_stage: str,
    to_stage: str,
    trigger: str,
    reason: str,
) -> None:
    assert case.row is not None
    session.add(
        CaseEvent(
            case_id=id_of(case.row),
            at=review.now,
            from_stage=from_stage,
            to_stage=to_stage,
            trigger=trigger,
            actor_name=review.actor.name,
            actor_position=review.actor.position,
            reason=reason,
            policy_version=review.loaded.version,
            statistics={"as_of": review.on.isoformat(), **case.figures.as_json()},
        )
    )


def _facts(review: Review, case: Case, threshold_met: bool) -> CaseFacts:
    row, f, born = case.row, case.figures, case.pupil.born
    return CaseFacts(
        as_of=review.on,
        support_offered=bool(offered(case.actions)),
        support_not_appropriate=row.support_not_appropriate if row else None,
        compulsory_school_age=f.compulsory_school_age,
        csa_starts=csa_start(born),
        csa_ends=csa_end(born),
        unauthorised_sessions=f.unauthorised_sessions,
        rolling_unauthorised_sessions=f.unauthorised_sessions_rolling_10_school_weeks,
        national_threshold_met=threshold_met,
        send_barriers_required=review.policy.legal.send_barriers_considered_before_sanction,
        send_barriers_considered=row is not None and row.send_barriers_considered_at is not None,
    )


def _afresh(stale: CaseProposal, made: CaseProposal) -> CaseProposal:
    """The stale row proposed again with today's facts (one row per trigger), keeping what
    made it stale in its evidence."""
    was = {"summary": stale.summary, "stale": stale.decision_reason, "at": str(stale.decided_at)}
    for field in ("kind", "to_stage", "summary", "created_at", "status", "decided_by"):
        setattr(stale, field, getattr(made, field))
    stale.decided_at, stale.decision_reason = made.decided_at, made.decision_reason
    stale.evidence = {**made.evidence, "replaces_stale": was}
    return stale


def _kind(actions: Iterable[str], to_stage: str | None) -> str:
    wanted = set(actions)
    if to_stage in CONSEQUENTIAL or to_stage == CLOSED or (to_stage and not wanted):
        return "stage_move"
    if "legal_action_proposal" in wanted:
        return "legal"
    if wanted & LETTER_ACTIONS:
        return "letter"
    if wanted & {"meeting", "multi_agency_meeting"}:
        return "meeting"
    if wanted & {"la_referral", "early_help"}:
        return "referral"
    return "review"


def _why(review: Review, case: Case, steps: list[Step], bands: set[str]) -> str:
    labels = [b.label for b in review.policy.band if b.id in bands]
    what = "; ".join(s.title for s in steps) or "in " + ", ".join(labels)
    return f"daily review of {review.day.isoformat()}: {figures_text(case.figures)}: {what}"
