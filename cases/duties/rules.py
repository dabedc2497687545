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
# Staff's reasonable grounds to expect more illness (spec §4, §8.19). Kept as an LaDuty row
# with status "done" so it needs no table of its own: it is a record, never a task.
SICKNESS_EXPECTED = "sickness_expected"

OPEN, DONE, DISMISSED = "open", "done", "dismissed"
REGISTER = "register"  # done_by when the register itself discharged the duty

# Spec §4, "Ground I": at least 20 school days, every session G, N or O.
DELETION_GROUND_CODES = ("G", "N", "O")
# Codes on which the pupil was somewhere the school knows of: present, approved activity, or
# attending the other school of a dual registration (spec §1). Any of them ends an absence.
ATTENDING_CODES = frozenset(PRESENT_CODES | AEA_CODES | {"D"})
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
