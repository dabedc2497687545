"""The daily review's entry point: read the school, decide each case's steps, write them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from cases.legal.agenda import LegalDue, legal_decisions_due
from cases.letters.service import LettersSent, send_planned_letters
from cases.models import CaseProposal
from cases.review import queries, rules
from cases.review.ladder import ladder_steps
from cases.review.lateness import lateness_step
from cases.review.legal import LegalReview, ProvisionalNote, read_legal
from cases.review.periods import Periods
from cases.review.queries import OverdueAction
from cases.review.records import Case, Review, Work
from cases.review.step_down import step_down_step
from cases.review.writer import Writer
from school.amendments import Amender
from school.clock import Clock
from school.schools import LoadedSchool
from state_machines.attendance_case import STAGES

__all__ = ["ReviewResult", "run_daily_review"]


@dataclass(frozen=True)
class ReviewResult:
    """What one review of one school did; `proposals` holds every row it made, applied or not."""

    school_id: str
    on: date
    review_day: date | None  # the school day the review stood for (None: before any)
    cases_opened: int = 0
    stage_moves: int = 0
    proposals_made: int = 0  # awaiting a named member of staff
    actions_applied: int = 0  # case actions planned by the engine (automatic or confirmed)
    proposals: tuple[CaseProposal, ...] = ()
    overdue: tuple[OverdueAction, ...] = ()
    # Thresholds met only by N codes still within their window: said, never acted on.
    provisional: tuple[ProvisionalNote, ...] = ()
    # Every legal decision waiting for a person, made at this review or before.
    legal_due: tuple[LegalDue, ...] = ()
    # The letters planned (now or before) decided, stored and queued in the same transaction.
    letters: LettersSent = field(default_factory=lambda: LettersSent(0, 0))


def run_daily_review(
    session: Session,
    school: LoadedSchool,
    on: date,
    clock: Clock,
    *,
    by: str = "engine",
    send_letters: bool = False,
) -> ReviewResult:
    """Review every pupil of a school as of a date (after the afternoon register); commits.

    One statistics statement for the school and bulk reads of its open cases, actions and
    proposals. Each rung of the school's ladder is evaluated on the last school day of its
    cadence's period (daily, weekly, fortnightly, half-term, term): automatic rungs are
    applied at once (actions planned with due dates, a proposal kept as "applied"), the rest
    are proposed to staff. With `send_letters` (the after-school run) every letter planned is
    decided, stored and queued before the commit, from the review's own figures (their PDFs
    are drawn after it: `cases.letters.pdfs`). A trigger key per cause
    means a second run, or a run for a missed day, never makes the same proposal twice. A run
    that loses a race with another worker (the same case opened or moved meanwhile) is rolled
    back and tried once more.
    """
    try:
        return _review(session, school, on, clock, by, send_letters)
    except (IntegrityError, StaleDataError):
        session.rollback()
        return _review(session, school, on, clock, by, send_letters)


def _actor(by: str) -> Amender:
    name, _, position = by.partition(",")
    return Amender(name.strip() or "engine", position.strip() or "daily review")


def _review(
    session: Session, school: LoadedSchool, on: date, clock: Clock, by: str, send_letters: bool
) -> ReviewResult:
    day = school.calendar.last_school_day_on_or_before(on)
    if day is None:
        return ReviewResult(school.id, on, None)
    policy = school.policy.policy
    review = Review(
        school=school,
        on=on,
        periods=Periods(school.calendar, day, policy.reviews.review_every_school_weeks),
        now=clock.now(),
        actor=_actor(by),
        by=by,
    )
    cases = queries.read(session, review)
    legal = read_legal(session, review, cases)
    work: list[Work] = []
    quiet: list[Case] = []
    for case in cases:
        if not case.on_roll:
            continue
        # Firm absence only: N codes are provisional until recoded (spec §5, §10.2).
        threshold_met = legal.threshold_met(case)
        bands = rules.bands(policy, case.figures)
        concern = bands & review.entry_bands[case.figures.compulsory_school_age]
        steps = ladder_steps(review, case, bands, threshold_met)
        lateness = lateness_step(review, case, threshold_met)
        if lateness is not None:
            steps.append(lateness)
        # The law obliges a decision when the threshold is met, whatever the ladder says.
        steps.extend(legal.steps(review, case))
        if steps or concern:
            work.append(Work(case, steps, bands, threshold_met))
        elif case.row is not None and not case.figures.national_threshold_met:
            quiet.append(case)
    if review.periods.ends_today("review"):
        work.extend(_step_downs(session, review, quiet, legal))
    writer = Writer(session, review)
    writer.write(work)
    writer.plan_confirmed(cases)
    overdue = queries.overdue(review, cases)
    session.flush()
    legal_due = legal_decisions_due(session, school, on)
    letters = LettersSent(0, 0)
    if send_letters:
        # The review's own figures, so no letter reads the school's statistics again.
        figures = {c.figures.upn: c.figures for c in cases if c.on_roll}
        letters = send_planned_letters(session, school, on, clock, figures)
    session.commit()
    return ReviewResult(
        school_id=school.id,
        on=on,
        review_day=day.date,
        cases_opened=writer.opened,
        stage_moves=writer.moves,
        proposals_made=sum(1 for p in writer.made if p.status == rules.PENDING),
        actions_applied=writer.actions,
        proposals=tuple(writer.made),
        overdue=overdue,
        provisional=tuple(legal.notes),
        legal_due=tuple(legal_due),
        letters=letters,
    )


def _step_downs(
    session: Session, review: Review, quiet: list[Case], legal: LegalReview
) -> list[Work]:
    """Cases whose pupil is out of every band today and was at the start of the period."""
    policy = review.policy
    candidates = [c for c in quiet if STAGES.index(c.stage) >= STAGES.index("monitor")]
    before = queries.attendance_before(session, review, candidates)
    work = []
    for case in candidates:
        pct = before.get(case.pupil.id)
        entry = review.entry_bands[case.figures.compulsory_school_age]
        if pct is None or entry & {b.id for b in policy.band if b.contains(pct)}:
            continue
        threshold_met = legal.threshold_met(case)
        step = step_down_step(review, case, pct, threshold_met)
        if step is not None:
            work.append(Work(case, [step], set(), threshold_met))
    return work
