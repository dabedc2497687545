"""Support's statuses and the one rule of when support counts as offered to the family (spec §5).

The law's checks before Formalise, Enforce, a Notice to Improve and a penalty notice, the
daily review's guards and the Notice to Improve's "support so far" all read `was_offered`.
"""

from __future__ import annotations

from collections.abc import Iterable

from cases.models import CaseAction

PLANNED, OFFERED, ACCEPTED, DECLINED, IN_PLACE, ENDED = (
    "planned",
    "offered",
    "accepted",
    "declined",
    "in_place",
    "ended",
)
SUPPORT_STATUSES = (PLANNED, OFFERED, ACCEPTED, DECLINED, IN_PLACE, ENDED)
# Planned support is an intention, not an offer; a declined offer was still offered.
OFFERED_OR_LATER = frozenset(SUPPORT_STATUSES) - {PLANNED}
# Where each status may go next: an offer is taken up or declined, support is put in place
# and ends; a declined offer may be made again.
NEXT: dict[str, frozenset[str]] = {
    PLANNED: frozenset({OFFERED}),
    OFFERED: frozenset({ACCEPTED, DECLINED, ENDED}),
    ACCEPTED: frozenset({IN_PLACE, DECLINED, ENDED}),
    DECLINED: frozenset({OFFERED}),
    IN_PLACE: frozenset({ENDED}),
    ENDED: frozenset(),
}


def was_offered(action: CaseAction) -> bool:
    """Support actually offered to the family, whether taken up, declined or since ended."""
    return bool(action.is_support) and action.support_status in OFFERED_OR_LATER


def offered(actions: Iterable[CaseAction]) -> list[CaseAction]:
    return [a for a in actions if was_offered(a)]


def support_so_far(actions: Iterable[CaseAction]) -> tuple[list[str], list[str]]:
    """What a Notice to Improve names: support offered (not declined), and offers declined."""
    made = offered(actions)
    return (
        [a.title for a in made if a.support_status != DECLINED],
        [a.title for a in made if a.support_status == DECLINED],
    )


def status_words(action: CaseAction) -> str:
    """How far support got, e.g. "offered on 2025-09-10 by Jo Bloggs, Head; accepted"."""
    status = (action.support_status or PLANNED).replace("_", " ")
    if action.offered_on is None:
        return status
    made = f"offered on {action.offered_on} by {action.offered_by}"
    return made if action.support_status == OFFERED else f"{made}; {status}"
