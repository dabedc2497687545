"""The returns reg 13 asks for when the admission register changes: joiners and leavers.

A pupil added outside the standard transition times → a new-pupil return, due by the 5th school
day after the name was entered (reg 13(1)-(3)). A pupil deleted outside them → a deletion return
with the ground (reg 13(4)), due no later than the deletion, i.e. on the leaving date; the
register files carry no ground, so the return asks staff for it. A pupil with a social worker
whose name is to be deleted → tell the social worker (spec §4), whenever they leave.
`cases.duties.transitions` says what the standard transition times are.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from cases.duties.facts import Review, row
from cases.duties.queries import joiners_and_leavers, parents_of, pupils_with
from cases.duties.rules import DELETION_RETURN, INFORM_SOCIAL_WORKER, NEW_PUPIL_RETURN, as_date
from cases.duties.transitions import (
    joined_at_standard_transition,
    left_at_standard_transition,
    new_pupil_return_due,
    year_before,
)
from school.roll import year_label

JOINER_FIELDS_TO_ADD = ["the school the pupil last attended, if any"]
LEAVER_FIELDS_TO_ADD = [
    "the ground for deletion (reg 9): `attendance duties done ID --ground GROUND`",
    "the pupil's new school or address, if known",
]


def registration_returns(session: Session, review: Review) -> list[dict[str, Any]]:
    """New-pupil and deletion returns, and the social worker told of a deletion, for the year."""
    cal, years = review.calendar, review.year_groups
    after = year_before(cal, review.as_of)
    pupils = joiners_and_leavers(session, review.school_id, after, review.as_of)
    parents = parents_of(session, (p.id for p in pupils))
    returned = pupils_with(session, review.school_id, DELETION_RETURN)
    told = pupils_with(session, review.school_id, INFORM_SOCIAL_WORKER)
    rows = []
    for p in pupils:
        name, year = f"{p.given_name} {p.family_name}", year_label(p.year_group)
        pupil_contents = contents(p, parents.get(p.id, []))
        admitted = as_date(p.admission_date)
        if after < admitted <= review.as_of and not joined_at_standard_transition(
            cal, years, p.year_group, admitted
        ):
            due = new_pupil_return_due(cal, admitted)
            rows.append(
                row(
                    review,
                    p.id,
                    NEW_PUPIL_RETURN,
                    admitted.isoformat(),
                    f"New-pupil return to the LA: {name} ({year}) joined on "
                    f"{admitted:%a %d %b %Y}, outside the standard transition times; "
                    f"send by {due:%a %d %b %Y} (reg 13)",
                    due,
                    {"return": pupil_contents, "to_add": JOINER_FIELDS_TO_ADD},
                )
            )
        if p.leaving_date is None or as_date(p.leaving_date) <= after:
            continue
        left = as_date(p.leaving_date)
        key = f"left {left.isoformat()}"
        if p.id not in returned and not left_at_standard_transition(cal, years, p.year_group, left):
            rows.append(
                row(
                    review,
                    p.id,
                    DELETION_RETURN,
                    key,
                    f"Deletion return to the LA: {name} ({year}) leaves the register after "
                    f"{left:%a %d %b %Y}, outside the standard transition times; send it by then "
                    "with the ground for deletion (reg 13(4))",
                    left,
                    {"return": pupil_contents, "ground": None, "to_add": LEAVER_FIELDS_TO_ADD},
                )
            )
        if p.social_worker and p.id not in told:
            rows.append(
                row(
                    review,
                    p.id,
                    INFORM_SOCIAL_WORKER,
                    key,
                    f"Tell {name}'s social worker that the name is to be deleted from the "
                    f"admission register after {left:%a %d %b %Y} (spec §4)",
                    left,
                    {"reason": "name to be deleted", "leaving_date": left.isoformat()},
                )
            )
    return rows


def contents(p: Any, parents: list[dict[str, Any]]) -> dict[str, Any]:
    """What the return tells the LA, as the register holds it when the duty is raised."""
    return {
        "pupil": {
            "upn": p.upn,
            "name": f"{p.given_name} {p.family_name}",
            "date_of_birth": as_date(p.date_of_birth).isoformat(),
            "year_group": p.year_group,
            "admission_date": as_date(p.admission_date).isoformat(),
            "leaving_date": as_date(p.leaving_date).isoformat() if p.leaving_date else None,
        },
        "parents": parents,
    }
