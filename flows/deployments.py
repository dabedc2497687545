"""Prefect deployments of the morning chase (one per school, ticking at its own deadlines), its
daily review and its watchdog."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chase.plan import step_times, steps_for
from flows.prefect_settings import quiet_prefect
from school.calendar import SESSIONS, RegisterSession
from school.policy import Policy
from school.policy_files import load_policy

if TYPE_CHECKING:  # prefect costs ~0.6 s to import: only the functions that need it import it
    from prefect.deployments.runner import RunnerDeployment

TIME_ZONE = "Europe/London"
SCHOOL_WEEK = "1-5"  # cron days of week, Monday to Friday; the calendar skips the rest
CATCH_UP_EVERY = 5  # minutes between catch-up ticks
CATCH_UP_AFTER = timedelta(minutes=30)  # catch-up ticks go on this long after the last step


class PrefectServerMissing(RuntimeError):
    """Serving needs a Prefect server: the ephemeral one runs no scheduler."""


def _chased_sessions(policy: Policy) -> list[RegisterSession]:
    return [s for s in SESSIONS if steps_for(policy, s, vulnerable=False)]


def chase_schedule_times(policy: Policy) -> list[time]:
    """The distinct local times of every register close and chase step, in order.

    Only sessions the policy chases count: a close nobody chases has nothing to open.
    """
    times: set[time] = set()
    for session in _chased_sessions(policy):
        times |= {w.closes for w in policy.registers if w.session == session}
        times |= step_times(policy, session)
    return sorted(times)


# The daily review runs this long after the last afternoon register closes, when the day's
# marks are in; the issue says "after the afternoon register".
REVIEW_AFTER = timedelta(hours=1)


def review_time(policy: Policy) -> time:
    """When a school's daily review runs: an hour after its last afternoon register closes."""
    closes = max(w.closes for w in policy.registers if w.session == "PM")
    return (datetime.combine(date(2000, 1, 3), closes) + REVIEW_AFTER).time()


def catch_up_times(policy: Policy) -> list[time]:
    """Every 5 minutes from a session's first register opening to 30 minutes after its last
    step, leaving out the deadline times (each of those already has its own tick)."""
    deadlines = set(chase_schedule_times(policy))
    day = date(2000, 1, 3)  # any date: only the clock arithmetic matters
    times: set[time] = set()
    for session in _chased_sessions(policy):
        start = min(w.opens for w in policy.registers if w.session == session)
        last = max(step_times(policy, session))
        end = datetime.combine(day, last) + CATCH_UP_AFTER
        # Round the start up to the 5-minute grid so every school's ticks line up on :00, :05...
        first = -(-(start.hour * 60 + start.minute) // CATCH_UP_EVERY) * CATCH_UP_EVERY
        tick = datetime.combine(day, time()) + timedelta(minutes=first)
        while tick <= end and tick.date() == day:
            times.add(tick.time())
            tick += timedelta(minutes=CATCH_UP_EVERY)
    return sorted(times - deadlines)


# The watchdog looks 2 minutes after each catch-up tick, so it finds what a tick left, not what
# a tick is doing.
WATCHDOG_OFFSET = 2


def watchdog_times(policy: Policy) -> list[time]:
    """Every 5 minutes (at :02, :07, ...) through the school's chasing hours: from the first
    register opening to 30 minutes after the last step of the day, lunchtime included."""
    sessions = _chased_sessions(policy)
    day = date(2000, 1, 3)
    start = min(w.opens for w in policy.registers if w.session in sessions)
    end = datetime.combine(day, max(max(step_times(policy, s)) for s in sessions)) + CATCH_UP_AFTER
    first = -(-(start.hour * 60 + start.minute) // CATCH_UP_EVERY) * CATCH_UP_EVERY
    tick = datetime.combine(day, time()) + timedelta(minutes=first + WATCHDOG_OFFSET)
    times = []
    while tick <= end and tick.date() == day:
        times.append(tick.time())
        tick += timedelta(minutes=CATCH_UP_EVERY)
    return times


def _cron_lines(kind: str, times: Iterable[time]) -> list[tuple[str, str]]:
    """(slug, cron) pairs, Monday to Friday: an hour's minutes in one line, and hours that
    share the same minutes in one line, e.g. "0,30 9,14 * * 1-5"."""
    minutes_by_hour: dict[int, list[int]] = defaultdict(list)
    for t in sorted(set(times)):
        minutes_by_hour[t.hour].append(t.minute)
    hours_by_minutes: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for hour, minutes in sorted(minutes_by_hour.items()):
        hours_by_minutes[tuple(minutes)].append(hour)
    lines = []
    for shared, hours in sorted(hours_by_minutes.items(), key=lambda item: item[1][0]):
        cron = f"{','.join(map(str, shared))} {','.join(map(str, hours))} * * {SCHOOL_WEEK}"
        # Each hour is in one line only, so the hours make the slug unique in the deployment.
        lines.append((f"{kind}-{'-'.join(f'{h:02d}' for h in hours)}", cron))
    return lines


def school_crons(policy: Policy) -> list[tuple[str, str]]:
    """The (slug, cron) schedules of a school, deadlines first; Europe/London local times.

    Deadline and catch-up times never coincide: the server makes one run per schedule per
    instant, so a shared instant would start two runs and cancel one of them.
    """
    return _cron_lines("deadlines", chase_schedule_times(policy)) + _cron_lines(
        "catch-up", catch_up_times(policy)
    )


def deployments_for_policies(
    policies: Iterable[Policy], work_pool_name: str | None = None
) -> list[RunnerDeployment]:
    """One "morning-chase/<school-id>" deployment per school.

    With a work pool (a Prefect server and workers) the runs do not stream their output back
    to the worker, so a worker that is killed does not mark its children Crashed.
    """
    quiet_prefect()
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.deployments.runner import EntrypointType, RunnerDeployment
    from prefect.schedules import Cron

    from flows.morning_chase import daily_review, morning_chase
    from flows.watchdog import watchdog

    # A tick is idempotent: a second one while the first still runs would only find less to do.
    one_at_a_time = ConcurrencyLimitConfig(
        limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
    )
    # to_deployment returns a coroutine when called inside an event loop unless told not to.
    options: dict[str, Any] = {"_sync": True}
    if work_pool_name is not None:
        options |= {"work_pool_name": work_pool_name, "job_variables": {"stream_output": False}}
    # A module path, not a file path: runs work from any directory on any machine where the
    # engine is installed.
    options |= {"entrypoint_type": EntrypointType.MODULE_PATH, "paused": False}
    deployments = []
    for policy in policies:
        school_id, name = policy.school.id, policy.school.name
        schedules = [
            Cron(cron, timezone=TIME_ZONE, slug=slug) for slug, cron in school_crons(policy)
        ]
        at = review_time(policy)
        review = [Cron(f"{at.minute} {at.hour} * * 1-5", timezone=TIME_ZONE, slug="review")]
        watching = [
            Cron(cron, timezone=TIME_ZONE, slug=slug)
            for slug, cron in _cron_lines("watchdog", watchdog_times(policy))
        ]
        for flow, flow_schedules, description, tag in (
            (morning_chase, schedules, f"The morning chase for {name}.", "morning-chase"),
            (
                daily_review,
                review,
                f"The daily review for {name}, after the afternoon register.",
                "daily-review",
            ),
            (
                watchdog,
                watching,
                f"The watchdog for {name}: late steps, stuck messages, registers not taken.",
                "watchdog",
            ),
        ):
            deployment = flow.to_deployment(
                name=school_id,
                schedules=flow_schedules,
                parameters={"school_id": school_id},
                concurrency_limit=one_at_a_time,
                description=description,
                tags=["attendance", tag],
                **options,
            )
            assert isinstance(deployment, RunnerDeployment)
            deployments.append(deployment)
    return deployments


def deployments_for(
    policy_paths: Iterable[str | Path], work_pool_name: str | None = None
) -> list[RunnerDeployment]:
    """The deployments for the schools whose policy files are given."""
    return deployments_for_policies(
        (load_policy(path).policy for path in policy_paths), work_pool_name
    )


def serve_all(policy_paths: Iterable[str | Path]) -> None:
    """Run the deployments of the schools whose policy files are given (see serve_policies)."""
    serve_policies([load_policy(path).policy for path in policy_paths])


def serve_policies(policies: list[Policy]) -> None:
    """Run every school's deployment in this process until stopped (Ctrl+C)."""
    quiet_prefect()
    from prefect import serve
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        # Without a server Prefect starts an ephemeral one, which runs no scheduler: the
        # deployments would register and then never run.
        raise PrefectServerMissing(
            "set PREFECT_API_URL to a running Prefect server (start one with "
            "`prefect server start`); without one no scheduled chase would ever run"
        )
    # Stopping serve must not pause the schedules: a restart or a second machine carries on.
    serve(*deployments_for_policies(policies), pause_on_shutdown=False)
