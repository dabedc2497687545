"""Whether a daily-review proposal still rests on today's facts, and what changed if not."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from cases.models import AttendanceCase
from cases.review.queries import last_amendment_ids
from cases.review.rules import bands, figures_text
from school.calendar import SchoolCalendar
from school.clock import Clock, school_today
from school.models import Pupil
from school.schools import LoadedSchool, load_school
from school.statistics import statistics_for


def school_days_between(calendar: SchoolCalendar, earlier: date, later: date) -> int:
    """School days after `earlier` up to and including `later` (holidays count for nothing)."""
    first = calendar.last_school_day_on_or_before(earlier)
    last = calendar.last_school_day_on_or_before(later)
    if last is None:
        return 0
    return last.day_index - (first.day_index if first is not None else -1)


def changed_since(
    session: Session, facts: dict[str, Any], case: AttendanceCase, clock: Clock
) -> list[str]:
    """Every way the facts a proposal stored differ from today's; empty when it stands.

    A proposal made before its facts were stored is judged on what it has.
    """
    school = load_school(session, case.school_id)
    reasons: list[str] = []
    made_under = facts.get("policy_version")
    if made_under and made_under != school.policy.version:
        reasons.append(f"the school's policy has changed since (it was version {made_under})")
    stage = facts.get("case_stage")
    if stage and stage != case.stage:
        reasons.append(f"the case has moved from {stage} to {case.stage} since")
    if "last_amendment_id" in facts:
        latest = last_amendment_ids(session, [case.pupil_id]).get(case.pupil_id)
        if latest != facts["last_amendment_id"]:
            reasons.append("the pupil's register has been amended since")
    today = school_today(clock)
    if facts.get("review_day"):
        waited = school_days_between(
            school.calendar, date.fromisoformat(facts["review_day"]), today
        )
        limit = school.policy.policy.reviews.proposal_valid_school_days
        if waited > limit:
            reasons.append(
                f"it was made {waited} school days ago and the policy lets a proposal wait "
                f"{limit} (reviews.proposal_valid_school_days)"
            )
    if facts.get("band"):
        reasons += _left_band(session, school, case, str(facts["band"]), today)
    return reasons


def _left_band(
    session: Session, school: LoadedSchool, case: AttendanceCase, band: str, today: date
) -> list[str]:
    pupil = session.get(Pupil, case.pupil_id)
    assert pupil is not None  # a foreign key
    figures = next((f for f in statistics_for(session, school, today) if f.upn == pupil.upn), None)
    if figures is None:
        return ["the pupil is no longer on roll"]
    if band in bands(school.policy.policy, figures):
        return []
    return [f"attendance is no longer in the {band} band ({figures_text(figures)})"]
