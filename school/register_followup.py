"""What an import leaves for a person to do: N marks to resolve, pupils with nobody to call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from school.calendar import SchoolCalendar
from school.policy import Policy
from school.register_csv import MarkRow, PupilRow
from school.tables import CONTACTS, PUPILS


@dataclass(frozen=True)
class FollowUp:
    """One thing a person must do after an import, for one pupil."""

    kind: str  # "resolve_n" or "no_contact"
    upn: str
    what: str
    date: dt.date | None = None
    session: str | None = None
    overdue_from: dt.date | None = None  # an N still there on this school day is overdue (spec §3)


def follow_ups(
    session: Session,
    school_id: str,
    calendar: SchoolCalendar,
    policy: Policy,
    pupils: list[PupilRow],
    marks: list[MarkRow],
) -> list[FollowUp]:
    """The file's N marks (the reason is still to find) and its pupils with no contact on file,
    so no call or message can reach anyone when they are absent."""
    window = policy.la_duties.n_code_resolution_school_days
    found: list[FollowUp] = []
    for row in sorted(marks, key=lambda r: (r.date, r.session, r.upn)):
        if row.code != "N":
            continue
        day = calendar.day(row.date)
        later = day.day_index + window if day else len(calendar.days)
        overdue = calendar.days[later].date if later < len(calendar.days) else None
        found.append(
            FollowUp("resolve_n", row.upn, "N: find the reason", row.date, row.session, overdue)
        )
    if pupils:
        reachable = set(
            session.scalars(
                select(PUPILS.c.upn)
                .join(CONTACTS, CONTACTS.c.pupil_id == PUPILS.c.id)
                .where(PUPILS.c.school_id == school_id)
                .distinct()
            )
        )
        found += [
            FollowUp("no_contact", upn, "no contact on file to call")
            for upn in sorted({p.upn for p in pupils} - reachable)
        ]
    return found
