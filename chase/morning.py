"""What a chase run knows about one school on one day: its row, policy and calendar, read once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from school.calendar import SchoolCalendar
from school.models import School
from school.policy_files import LoadedPolicy
from school.schools import calendar_of, get_school, policy_of


@dataclass(frozen=True)
class SchoolMorning:
    """What a run needs to know about one school on one day, read once."""

    school: School
    policy: LoadedPolicy
    calendar: SchoolCalendar
    on: date


def school_morning(session: Session, school_id: str, on: date) -> SchoolMorning:
    school = get_school(session, school_id)
    return SchoolMorning(school, policy_of(school), calendar_of(school), on)
