"""The context a case letter is rendered from: the pupil, the case, the notice and the policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from cases.letters.queries import support_actions, unauthorised_marks
from cases.models import AttendanceCase, CaseAction, LegalAction
from cases.support_law import support_so_far
from notifications.letters import (
    NOTICE_TO_IMPROVE,
    letter_context,
    notice_context,
    offence_lines,
)
from notifications.rendering import TemplateProblem
from school.law import NATIONAL_THRESHOLD_WEEKS
from school.models import Pupil
from school.schools import LoadedSchool, calendar_of, get_school, policy_of
from school.statistics import PupilStatistics, attendance_statistics


def _figures_for(session: Session, pupil: Pupil, as_of: date) -> PupilStatistics:
    on = figures_on(pupil, as_of)
    for figures in attendance_statistics(session, pupil.school_id, on):
        if figures.upn == pupil.upn:
            return figures
    raise LookupError(f"pupil {pupil.id} was not on roll on {on}")


@dataclass(frozen=True)
class LetterFigures:
    """The figures a letter states, kept with the stored letter (see StoredLetter)."""

    letter_date: date
    period_start: date
    as_of: date
    attendance_pct: float | None
    sessions_missed: int
    unauthorised_sessions: int


def pupil_letter_context(
    session: Session,
    pupil: Pupil,
    letter: str,
    as_of: date,
    letter_date: date,
    **extra: Any,
) -> tuple[dict[str, object], LetterFigures]:
    """letter_context for a stored pupil, addressed to nobody yet (see addressed_context):
    the letterhead and signatory from the school's policy, figures as of `as_of`.

    `extra` passes on letter_context's optional keywords (meeting, next_steps).
    """
    school = get_school(session, pupil.school_id)
    loaded = LoadedSchool(school.id, school.name, policy_of(school), calendar_of(school))
    figures = _figures_for(session, pupil, as_of)
    return context_from_figures(loaded, pupil, letter, figures, as_of, letter_date, **extra)


def context_from_figures(
    school: LoadedSchool,
    pupil: Pupil,
    letter: str,
    figures: PupilStatistics,
    as_of: date,
    letter_date: date,
    **extra: Any,
) -> tuple[dict[str, object], LetterFigures]:
    """pupil_letter_context from figures already read (the review's, for the whole school)."""
    calendar, policy = school.calendar, school.policy.policy
    half_term = calendar.half_term_span(as_of)
    signatory = policy.letters.signatory_for(letter)
    period_start = max(calendar.academic_year_start(as_of), pupil.admission_date)
    context = letter_context(
        school_name=school.name,
        school_phone=policy.school.phone,
        school_address=policy.school.address,
        figures=figures,
        child_first_name=pupil.given_name,
        child_family_name=pupil.family_name,
        year_group=pupil.year_group,
        parent_name="",
        period_start=period_start,
        as_of=as_of,
        letter_date=letter_date,
        half_term_start=half_term[0] if half_term else None,
        signatory_role=signatory.role,
        signatory_name=signatory.name,
        **extra,
    )
    kept = LetterFigures(
        letter_date,
        period_start,
        as_of,
        figures.attendance_pct,
        figures.authorised_sessions + figures.unauthorised_sessions,
        figures.unauthorised_sessions,
    )
    return context, kept


def figures_on(pupil: Pupil, as_of: date) -> date:
    """The day a pupil's letter figures stop: a pupil who has left is off the roll after
    leaving, so their figures stop on that day."""
    return min(as_of, pupil.leaving_date) if pupil.leaving_date else as_of


def letter_of(action: CaseAction) -> str:
    """The letter a case action sends, as its policy names it."""
    letter = (action.details or {}).get("letter")
    if not isinstance(letter, str) or not letter:
        raise TemplateProblem(f"case action {action.id} names no letter in details['letter']")
    return letter


def case_letter_context(
    session: Session, action: CaseAction, as_of: date, letter_date: date
) -> tuple[AttendanceCase, dict[str, object], LetterFigures]:
    """A case letter's context, addressed to nobody yet (see addressed_context).

    The action's `details` may hold "meeting" and "next_steps" texts written by staff.
    """
    case = session.get(AttendanceCase, action.case_id)
    if case is None:
        raise LookupError(f"no case {action.case_id}")
    pupil = session.get(Pupil, case.pupil_id)
    assert pupil is not None  # a foreign key
    details = action.details or {}
    context, figures = pupil_letter_context(
        session,
        pupil,
        letter_of(action),
        as_of,
        letter_date,
        meeting=details.get("meeting"),
        next_steps=details.get("next_steps"),
    )
    return case, context, figures


def notice_letter_context(
    session: Session,
    action: LegalAction,
    letter_date: date,
    *,
    further_support: str,
    sufficient_improvement: str,
    early_grounds: str,
) -> tuple[dict[str, object], LetterFigures]:
    """A Notice to Improve's context, addressed to nobody yet (see addressed_context).

    The figures are as of the issue date; the offences are the unauthorised sessions of the
    10 school weeks before it; support so far and declined come from the case's support
    actions. The three texts the school decides case by case are passed in.
    """
    if action.kind != NOTICE_TO_IMPROVE or not action.issued_on:
        raise TemplateProblem(f"legal action {action.id} is not an issued Notice to Improve")
    assert action.improvement_period_end is not None
    pupil = session.get(Pupil, action.pupil_id)
    assert pupil is not None
    school = get_school(session, pupil.school_id)
    calendar = calendar_of(school)
    issued = action.issued_on
    last = calendar.last_school_day_on_or_before(issued)
    first_week = (last.school_week - (NATIONAL_THRESHOLD_WEEKS - 1)) if last else 0
    window_start = next((d.date for d in calendar.days if d.school_week >= first_week), issued)
    rows = unauthorised_marks(session, pupil.id, window_start, issued)
    given, declined = support_so_far(support_actions(session, action.case_id))
    base, figures = pupil_letter_context(session, pupil, NOTICE_TO_IMPROVE, issued, letter_date)
    context = notice_context(
        base,
        issued_on=issued,
        period_end=action.improvement_period_end,
        offences=offence_lines((r.date, r.session, r.code) for r in rows),
        threshold_first_met_on=action.threshold_first_met_on,
        support_so_far=given,
        support_declined=declined,
        further_support=further_support,
        sufficient_improvement=sufficient_improvement,
        early_grounds=early_grounds,
    )
    return context, figures
