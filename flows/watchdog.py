"""The watchdog as a Prefect flow: one school looked over, its new problems sent to the lead."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import Engine

from chase.watchdog.service import watchdog_tick
from flows.morning_chase import Summary, configured_channels, parse_instant
from school.clock import Clock, FixedClock, SystemClock
from school.database import make_engine, session_for
from school.schools import load_school


@task(name="watchdog-look", retries=0, cache_policy=NO_CACHE)
async def run_watchdog(engine: Engine, school_id: str, clock: Clock) -> dict[str, int]:
    """Find the school's problems, raise the new ones once, send them, resolve the cleared."""
    with session_for(engine) as session:
        school = load_school(session, school_id)  # an unknown school fails the run, loudly
    with configured_channels(engine) as channels:
        run = await watchdog_tick(engine, school, clock, channels)
    return run.counts()


@flow(name="watchdog", flow_run_name="{school_id}", retries=0, log_prints=False)
async def watchdog(school_id: str, at: str | None = None) -> Summary:
    """Look over a school now; safe to run at any time, as often as wanted: each problem is
    raised once. `at` is the instant to act as of (ISO, school time if no offset), for tests."""
    clock: Clock = SystemClock() if at is None else FixedClock(parse_instant(at))
    engine = make_engine()
    try:
        counts = await run_watchdog(engine, school_id, clock)
    finally:
        engine.dispose()
    # Counts only: the problems' words name pupils, so they stay out of Prefect's logs.
    get_run_logger().info("%s: %s", school_id, ", ".join(f"{k} {v}" for k, v in counts.items()))
    return {"school_id": school_id, **counts}
