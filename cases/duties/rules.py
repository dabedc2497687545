"""The duties' kinds, statuses and codes, and the pure decisions every duty shares."""

from __future__ import annotations

import datetime as dt
from datetime import date
from typing import Any

from cases.models import LaDuty
from school.calendar import SchoolCalendar
from school.codes import AEA_CODES, PRESENT_CODES

CONTINUOUS_ABSENCE_RETURN = "continuous_absence_return"
SICKNESS_RETURN = "sickness_return"
RECODE_N = "recode_n"
EHCP_INFORM_LA = "ehcp_inform_la"
DELETION_GROUND = "deletion_ground"
NEW_PUPIL_RETURN = "new_pupil_return"  # reg 13(1)-(3)
DELETION_RETURN = "deletion_return"  # reg 13(4)
INFORM_SOCIAL_WORKER = "inform_social_worker"  # spec §4: a name to be deleted, a social worker
# Staff's reasonable grounds to expect more illness (spec §4, §8.19). Kept as an LaDuty row
# with status "done" so it needs no table of its own: it is a record, never a task.
SICKNESS_EXPECTED = "sickness_expected"

OPEN, DONE, DISMISSED = "open", "done", "dismissed"
REGISTER = "register"  # done_by when the register itself discharged the duty

# Spec §4, "Ground I": at least 20 school days, every session G, N or O.
DELETION_GROUND_CODES = ("G", "N", "O")
# Codes on which the pupil was seen or somewhere the school knows of: present (L included),
# arrived after the register closed (U: unauthorised, but they were on site), approved activity,
# or attending the other school of a dual registration (spec §1). Any of them ends a run of
# continuous absence, and the next run counts from the day after.
SEEN_CODES = frozenset(PRESENT_CODES | AEA_CODES | {"D", "U"})

# The grounds for deleting a name from the admission register (reg 9, spec §4). The 2024
# paragraph letters are not all certain (spec §10.4), so grounds are named, not lettered; Ground
# I is the one the engine can propose itself.
GROUND_I = "ground_i"
DELETION_GROUNDS = {
    "other_school": "registered at another school, which is now the pupil's school",
    "home_education": "the parent has told the school in writing the child is educated at home",
    "moved_away": "no longer lives where the school is reasonably accessible",
    "leave_not_returned": "did not return within 10 school days of leave ending, and school "
    "and LA jointly failed to find them",
    GROUND_I: "20 school days of continuous unauthorised absence, and school and LA jointly "
    "failed to find them (reg 9(1)(i))",
    "medical": "certified unlikely to be fit to attend before compulsory school age ends",
    "custody": "in custody for more than four months and not expected to return",
    "ceased_compulsory_school_age": "no longer of compulsory school age and not staying on",
    "school_attendance_order": "a school attendance order names another school",
    "permanently_excluded": "permanently excluded, and the review or appeal is over",
    "nursery_leaver": "a nursery pupil not moving into the school's reception class",
    "dual_registration_ended": "a dual registration ended (not the pupil's main school)",
    "died": "the pupil has died",
}
# "ok" is not a description of joint enquiries by the school and the LA (spec §4 condition 4).
MIN_ENQUIRIES_NOTE = 20


class DutyRefused(ValueError):
    """The action is not allowed on this duty; the message says why and what to do instead."""


def require(value: str | None, what: str) -> None:
    if not value or not value.strip():
        raise DutyRefused(f"give {what}")


def finish(duty: LaDuty, status: str, by: str, now: dt.datetime, details: dict[str, Any]) -> None:
    duty.status = status
    duty.done_at = now
    duty.done_by = by.strip()
    duty.details = {**(duty.details or {}), **details}  # a new dict, so the change is saved


def duty_date(duty: LaDuty) -> date:
    return date.fromisoformat(duty.details["date"])


def as_date(value: date | str) -> date:
    # SQLite hands MIN() and MAX() over a date column back as text.
    return date.fromisoformat(value) if isinstance(value, str) else value


def next_school_day(calendar: SchoolCalendar, after: date) -> date:
    last = calendar.last_school_day_on_or_before(after)
    index = last.day_index + 1 if last else 0
    return calendar.days[index].date if index < len(calendar.days) else after + dt.timedelta(1)


# Each kind as staff name it, short enough for a table column.
KIND_LABELS = {
    CONTINUOUS_ABSENCE_RETURN: "Attendance return",
    SICKNESS_RETURN: "Sickness return",
    RECODE_N: "Recode an N",
    EHCP_INFORM_LA: "Inform LA (EHCP)",
    DELETION_GROUND: "Ground I proposed",
    NEW_PUPIL_RETURN: "New-pupil return",
    DELETION_RETURN: "Deletion return",
    INFORM_SOCIAL_WORKER: "Tell social worker",
    SICKNESS_EXPECTED: "Expected illness",
}


def needs(duty: LaDuty) -> str:
    """What a person must do to discharge an open duty, as the command that does it."""
    if duty.kind == DELETION_GROUND:
        return "confirm-deletion, or dismiss"
    if duty.kind == RECODE_N:
        return "amend the register"
    if duty.kind == DELETION_RETURN and not (duty.details or {}).get("ground"):
        return "send; done --ground"
    if duty.kind == INFORM_SOCIAL_WORKER:
        return "tell; done"
    return "send; done"
