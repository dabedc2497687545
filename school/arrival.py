"""The register mark a pupil's arrival time earns under the school's register windows (spec §3)."""

from __future__ import annotations

from datetime import time

from school.calendar import RegisterSession
from school.policy import Policy


def minutes_between(earlier: time, later: time) -> int:
    return (later.hour * 60 + later.minute) - (earlier.hour * 60 + earlier.minute)


def register_mark_for_arrival(
    policy: Policy, year_group: int, session: RegisterSession, arrived: time
) -> tuple[str, int | None]:
    """The code and minutes late for a pupil arriving at a time.

    Present (/ or \\) by the time the register opens; L while it is open; U once it has closed,
    because the law lets the register stay open only for the window the policy states.
    """
    window = policy.register_window(year_group, session)
    if arrived <= window.opens:
        return ("/" if session == "AM" else "\\"), None
    late = minutes_between(window.opens, arrived)
    return ("L" if arrived <= window.closes else "U"), late
