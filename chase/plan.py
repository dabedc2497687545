"""A school's chase steps for one pupil and session, resolved to instants (Europe/London)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from school.calendar import RegisterSession
from school.clock import SCHOOL_TIME_ZONE
from school.policy import ChaseStep, Policy, RegisterWindow


def school_instant(on: date, at: time) -> datetime:
    """A local school time on a date as a UTC instant; zoneinfo handles GMT and BST."""
    return datetime.combine(on, at, tzinfo=SCHOOL_TIME_ZONE).astimezone(UTC)


def steps_for(policy: Policy, session: RegisterSession, vulnerable: bool) -> list[ChaseStep]:
    """The session's steps; vulnerable pupils follow tighter steps where the policy has them."""
    plan = policy.chase.AM if session == "AM" else policy.chase.PM
    if plan is None:
        return []
    if vulnerable and plan.vulnerable_step:
        return list(plan.vulnerable_step)
    return list(plan.step)


def step_times(policy: Policy, session: RegisterSession) -> set[time]:
    """Every step time of a session, for every register window and both kinds of pupil."""
    times: set[time] = set()
    for window in policy.registers:
        if window.session != session:
            continue
        anchors = policy.step_anchors(window)
        for vulnerable in (False, True):
            times |= {step.at.resolve(anchors) for step in steps_for(policy, session, vulnerable)}
    return times


def resolve_plan(
    policy: Policy, on: date, window: RegisterWindow, vulnerable: bool
) -> list[dict[str, Any]]:
    """The steps as JSON-ready dicts with their due instants, snapshotted onto the check."""
    times = policy.step_anchors(window)
    resolved = []
    for step in steps_for(policy, window.session, vulnerable):
        local = step.at.resolve(times)
        resolved.append(
            {
                "action": step.action,
                "due_at": school_instant(on, local).isoformat(),
                "local_time": local.strftime("%H:%M"),
                "channels": list(step.channels),
                "contacts": step.contacts,
                "reasonable_steps": list(step.reasonable_steps),
                "by": list(step.by),
                "note": step.note,
            }
        )
    return resolved


def due_at(step: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(step["due_at"])


def start_from(plan: list[dict[str, Any]], start: datetime) -> list[dict[str, Any]]:
    """The same steps moved later so the first falls due at `start`, keeping their spacing."""
    delay = start - due_at(plan[0])
    if delay.total_seconds() <= 0:
        return plan
    moved = []
    for step in plan:
        instant = due_at(step) + delay
        local = instant.astimezone(SCHOOL_TIME_ZONE)
        moved.append({**step, "due_at": instant.isoformat(), "local_time": f"{local:%H:%M}"})
    return moved
