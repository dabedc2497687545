"""Reading one school once for a review of its duties, and storing the duties it raises."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from cases.duties.facts import Review
from cases.duties.queries import DUTIES, expectations, pupils
from cases.duties.rules import next_school_day
from cases.models import LaDuty
from school.clock import Clock
from school.database import insert_ignoring_duplicates_returning
from school.schools import LoadedSchool
from school.statistics import period_for, statistics_for


def read_review(session: Session, school: LoadedSchool, as_of: date, clock: Clock) -> Review | None:
    """What the duties' rules need as of a date; None before the school's first school day."""
    rules = school.policy.policy.la_duties
    period = period_for(school.calendar, as_of, rules.n_code_resolution_school_days)
    if period.last_school_day_index < 0:
        return None
    by_upn = pupils(session, school.id)
    return Review(
        school_id=school.id,
        as_of=as_of,
        calendar=school.calendar,
        period=period,
        rules=rules,
        year_groups=tuple(school.policy.policy.school.year_groups),
        policy_version=school.policy.version,
        now=clock.now(),
        next_school_day=next_school_day(school.calendar, as_of),
        figures=[(by_upn[f.upn], f) for f in statistics_for(session, school, as_of)],
        expectations=expectations(session, school.id, period),
    )


def insert_new(session: Session, rows: list[dict[str, Any]]) -> list[LaDuty]:
    """Insert the duties not raised before (pupil, kind, trigger_key); return those inserted.

    A second run, or a second worker, raises nothing twice. Does not commit.
    """
    created = insert_ignoring_duplicates_returning(
        session, DUTIES, rows, ["pupil_id", "kind", "trigger_key"], returning=DUTIES.c.id
    )
    if not created:
        return []
    return list(
        session.scalars(
            select(LaDuty)
            .where(col(LaDuty.id).in_(created))
            .order_by(col(LaDuty.kind), col(LaDuty.pupil_id), col(LaDuty.trigger_key))
        )
    )
