"""Setting a school up: its policy and calendar stored, and its school days materialised."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import delete, func, insert, select
from sqlmodel import Session

from school.calendar import SchoolCalendar
from school.clock import Clock
from school.errors import InputError
from school.models import CalendarDay, School
from school.policy_files import LoadedPolicy, parse_policy
from school.tables import MARKS, PUPILS, SCHOOL_DAYS


@dataclass(frozen=True)
class SchoolSetup:
    """What `set_up_school` did, for the command line to report."""

    school_id: str
    created: bool
    policy_changed: bool
    calendar_changed: bool
    policy_version: str
    school_days: int


def set_up_school(
    session: Session,
    school_id: str,
    policy: LoadedPolicy,
    calendar_text: str,
    calendar_source: str,
    clock: Clock,
) -> SchoolSetup:
    """Create the school, or update its policy and calendar; one transaction, caller commits.

    A calendar change is refused when existing marks would fall on days the new calendar says
    the school does not meet, so the register never contradicts the calendar.
    """
    if policy.policy.school.id != school_id:
        raise InputError(
            policy.source,
            [f"school.id: the policy is for {policy.policy.school.id!r}, not {school_id!r}"],
        )
    calendar = SchoolCalendar.from_toml(calendar_text, calendar_source)
    now = clock.now()
    school = session.get(School, school_id)
    created = school is None
    if school is None:
        school = School(
            id=school_id,
            name=policy.policy.school.name,
            policy_text=policy.text,
            policy_version=policy.version,
            calendar_text=calendar_text,
            created_at=now,
            updated_at=now,
        )
        session.add(school)
        session.flush()
        policy_changed = calendar_changed = True
    else:
        policy_changed = school.policy_version != policy.version
        calendar_changed = school.calendar_text != calendar_text
        school.name = policy.policy.school.name
        school.policy_text, school.policy_version = policy.text, policy.version
        school.calendar_text = calendar_text
        school.updated_at = now
    if calendar_changed:
        _refuse_orphaned_marks(session, school_id, calendar, calendar_source)
        session.execute(delete(SCHOOL_DAYS).where(SCHOOL_DAYS.c.school_id == school_id))
        session.execute(insert(CalendarDay), _school_day_rows(school_id, calendar))
    return SchoolSetup(
        school_id, created, policy_changed, calendar_changed, policy.version, len(calendar.days)
    )


def _school_day_rows(school_id: str, calendar: SchoolCalendar) -> list[dict[str, object]]:
    return [
        {
            "school_id": school_id,
            "date": day.date,
            "am": "AM" in day.sessions,
            "pm": "PM" in day.sessions,
            "sessions": len(day.sessions),
            "day_index": day.day_index,
            "school_week": day.school_week,
            "half_term": day.half_term,
            "term": day.term,
            "academic_year": day.academic_year,
        }
        for day in calendar.days
    ]


def _refuse_orphaned_marks(
    session: Session, school_id: str, calendar: SchoolCalendar, source: str
) -> None:
    rows = session.execute(
        select(MARKS.c.date, MARKS.c.session, MARKS.c.code, func.count())
        .join(PUPILS, PUPILS.c.id == MARKS.c.pupil_id)
        .where(PUPILS.c.school_id == school_id)
        .group_by(MARKS.c.date, MARKS.c.session, MARKS.c.code)
    ).all()
    orphans = sorted(
        {
            f"{on} {sess}"
            for on, sess, code, _ in rows
            if sess not in calendar.sessions_on(on)
            and not (code == "#" and on in calendar.closures)
        }
    )
    if orphans:
        shown = ", ".join(orphans[:10]) + (
            f" and {len(orphans) - 10} more" if len(orphans) > 10 else ""
        )
        raise InputError(
            source,
            [f"the school already has marks on sessions this calendar does not hold: {shown}"],
        )


def get_school(session: Session, school_id: str) -> School:
    school = session.get(School, school_id)
    if school is None:
        raise LookupError(
            f"no school {school_id!r}: create it with `attendance init --school {school_id} "
            "--policy FILE --calendar FILE`"
        )
    return school


@lru_cache(maxsize=64)
def _calendar_from_text(text: str) -> SchoolCalendar:
    return SchoolCalendar.from_toml(text, "stored calendar")


def calendar_of(school: School) -> SchoolCalendar:
    """The school's calendar, parsed once per distinct text."""
    return _calendar_from_text(school.calendar_text)


@lru_cache(maxsize=64)
def _policy_from_text(text: str, school_id: str) -> LoadedPolicy:
    return parse_policy(text, f"stored policy of {school_id}")


def policy_of(school: School) -> LoadedPolicy:
    """The school's stored policy, validated once per distinct text (it is frozen, so shared)."""
    return _policy_from_text(school.policy_text, school.id)


@dataclass(frozen=True)
class LoadedSchool:
    """A school as the services need it, read once at the door and handed down.

    Plain values, not a database row, so one object serves every transaction of a run.
    """

    id: str
    name: str
    policy: LoadedPolicy
    calendar: SchoolCalendar


def load_school(session: Session, school_id: str) -> LoadedSchool:
    """The school, its validated policy and its calendar; an unknown id is a LookupError."""
    school = get_school(session, school_id)
    return LoadedSchool(school.id, school.name, policy_of(school), calendar_of(school))
