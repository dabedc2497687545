"""What a chase run knows about one school on one day: the loaded school and the date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from school.calendar import SchoolCalendar
from school.policy_files import LoadedPolicy
from school.schools import LoadedSchool, load_school


@dataclass(frozen=True)
class SchoolMorning:
    """One school's morning: the school as loaded at the door, and the day being chased."""

    school: LoadedSchool
    on: date

    @property
    def policy(self) -> LoadedPolicy:
        return self.school.policy

    @property
    def calendar(self) -> SchoolCalendar:
        return self.school.calendar


def school_morning(session: Session, school_id: str, on: date) -> SchoolMorning:
    """For a service reached by a check rather than a door (a reply, a staff note)."""
    return SchoolMorning(load_school(session, school_id), on)
