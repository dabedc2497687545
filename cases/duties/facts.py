"""What one review of one school reads once, and the duty row each rule raises from it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date
from typing import Any

from cases.duties.rules import OPEN
from school.calendar import SchoolCalendar
from school.policy import LaDuties
from school.statistics import Period, PupilStatistics


@dataclass(frozen=True)
class PupilFacts:
    """What the duties need to know of a pupil besides the figures."""

    id: int
    name: str
    ehcp: bool
    medical_need: bool
    social_worker: bool


@dataclass(frozen=True)
class Expectation:
    """The latest recorded expectation of illness for a pupil in the academic year: the
    expected period (`last_day` None when it runs past the calendar) and the year's total."""

    expected_total: int
    expected_school_days: int
    first_day: str
    last_day: str | None
    reason: str
    recorded_on: str

    def covers(self, period_first: date) -> bool:
        """A period of sickness starting by the end of the expected one is part of it."""
        return self.last_day is None or period_first <= date.fromisoformat(self.last_day)


@dataclass(frozen=True)
class Review:
    """What one review of one school needs, read once."""

    school_id: str
    as_of: date
    calendar: SchoolCalendar
    period: Period
    rules: LaDuties
    year_groups: tuple[int, ...]  # the policy's, for the standard transition times
    policy_version: str
    now: dt.datetime
    next_school_day: date
    figures: list[tuple[PupilFacts, PupilStatistics]]
    expectations: dict[int, Expectation]


def row(
    review: Review,
    pupil_id: int,
    kind: str,
    trigger_key: str,
    summary: str,
    due_on: date,
    details: dict[str, Any],
) -> dict[str, Any]:
    # Every decision records the policy version it was made under (design principle 2).
    return {
        "school_id": review.school_id,
        "pupil_id": pupil_id,
        "kind": kind,
        "trigger_key": trigger_key,
        "summary": summary,
        "due_on": due_on,
        "status": OPEN,
        "details": {
            **details,
            "as_of": review.as_of.isoformat(),
            "policy_version": review.policy_version,
        },
        "created_at": review.now,
        "done_at": None,
        "done_by": None,
    }
