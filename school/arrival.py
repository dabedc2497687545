"""The register mark a pupil's arrival time earns under the school's register windows (spec §3)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from school.calendar import RegisterSession
from school.policy import Policy, RegisterWindow
from school.roll import year_label

# The policies give register windows, not session ends. Every seed's morning registers close by
# 09:30 and its afternoon ones open from 13:00, so a pupil signing in from midday is there for
# the afternoon; the office can say --session for a school whose morning runs later.
MIDDAY = time(12, 0)


def minutes_between(earlier: time, later: time) -> int:
    return (later.hour * 60 + later.minute) - (earlier.hour * 60 + earlier.minute)


def session_of_arrival(arrived: time) -> RegisterSession:
    """The session a pupil signing in at this time arrives for."""
    return "AM" if arrived < MIDDAY else "PM"


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


def arrival_time(window: RegisterWindow, minutes_late: int) -> time:
    """When a pupil marked late arrived: minutes_late counts from the register opening."""
    return (datetime.combine(date.min, window.opens) + timedelta(minutes=minutes_late)).time()


def window_words(window: RegisterWindow, year_group: int) -> str:
    """How a refusal names the window it judged by, e.g. "the Y7 AM register (09:00-09:15)"."""
    return (
        f"the {year_label(year_group)} {window.session} register "
        f"({window.opens:%H:%M}-{window.closes:%H:%M})"
    )


def late_mark_problem(
    policy: Policy, year_group: int, session: RegisterSession, code: str, minutes_late: int | None
) -> str | None:
    """Why an L or U with minutes late contradicts the arrival time it records, or None.

    The time decides the code (reg 10): L only while the register is open, U only after it
    closed. An L or U with no minutes states no time, so there is nothing to contradict.
    """
    if code not in ("L", "U") or minutes_late is None:
        return None
    try:
        window = policy.register_window(year_group, session)
    except KeyError:
        return (
            f"the policy has no {session} register window for {year_label(year_group)}, so "
            f"an {code} with minutes_late cannot be checked against it"
        )
    arrived = arrival_time(window, minutes_late)
    earned, _ = register_mark_for_arrival(policy, year_group, session, arrived)
    if code == "L" and earned == "U":
        return (
            f"L with minutes_late {minutes_late} is an arrival at {arrived:%H:%M}, after "
            f"{window_words(window, year_group)} closed: that is U, not L (reg 10); write U, "
            "or correct minutes_late (minutes after the register opened)"
        )
    if code == "U" and earned != "U":
        return (
            f"U with minutes_late {minutes_late} is an arrival at {arrived:%H:%M}, while "
            f"{window_words(window, year_group)} was open: that is L, not U; write L, "
            "or correct minutes_late (minutes after the register opened)"
        )
    return None
