"""The morning chase as a Prefect flow: one school's tick, batched into a single task."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from sqlalchemy import Engine, select

from chase.service import TICK_COUNTS, chase_tick
from notifications.channels import channels_from_settings, default_outbox_dir
from notifications.message import Channel
from school.clock import SCHOOL_TIME_ZONE, Clock, FixedClock, SystemClock, school_today
from school.database import make_engine, session_for
from school.schools import get_school, load_school
from school.tables import SCHOOL_DAYS

# The server lets a scheduled run start when it is less than half a second early (it rounds the
# wait to whole seconds); anything earlier than this was not started by the schedule's clock.
EARLY_START_LIMIT = timedelta(seconds=5)

Summary = dict[str, str | int | bool]


@contextmanager
def configured_channels(engine: Engine) -> Iterator[Mapping[str, Channel]]:
    """The configured channels for one task, closed after it (each keeps connections open)."""
    channels = channels_from_settings(os.environ, default_outbox_dir(engine.url, os.environ))
    try:
        yield channels
    finally:
        for channel in channels.values():
            close = getattr(channel, "close", None)
            if callable(close):
                close()


def parse_instant(text: str) -> datetime:
    """An ISO date-time; one without an offset is school time (Europe/London)."""
    at = datetime.fromisoformat(text)
    return at.replace(tzinfo=SCHOOL_TIME_ZONE) if at.tzinfo is None else at


def seconds_early(scheduled: datetime, now: datetime) -> float:
    """How long to wait so a tick never acts before its scheduled instant.

    A run let through 0.4 s before 09:00 would see the 09:00 register still open, open no
    checks, and leave the 09:00 calls to the next tick five minutes later.
    """
    early = scheduled - now
    return early.total_seconds() if timedelta(0) < early <= EARLY_START_LIMIT else 0.0


def is_school_day(engine: Engine, school_id: str, on: date) -> bool:
    """One indexed lookup in the school's materialised calendar."""
    with session_for(engine) as session:
        get_school(session, school_id)  # an unknown school is an error, never a quiet skip
        row = session.execute(
            select(SCHOOL_DAYS.c.date).where(
                SCHOOL_DAYS.c.school_id == school_id, SCHOOL_DAYS.c.date == on
            )
        ).first()
    return row is not None


# One task for the whole school: pupils and messages are batched inside chase_tick, because a
# task run costs milliseconds and ~20 KB of Prefect database each. No cache: a tick must run.
@task(name="chase-tick", retries=0, cache_policy=NO_CACHE)
async def run_tick(engine: Engine, school_id: str, on: date, clock: Clock) -> dict[str, int]:
    """Open due checks, close arrivals, advance every due step and drain the outbox."""
    with session_for(engine) as session:
        school = load_school(session, school_id)  # once per tick, for all its stages
    with configured_channels(engine) as channels:
        result = await chase_tick(engine, school, on, clock, channels)
    return result.counts()


# Async: a sync flow run costs over a second in Prefect's heartbeat thread, an async one ~0.1 s.
# No retries: the next scheduled tick finishes whatever this one left.
@flow(name="morning-chase", flow_run_name="{school_id}", retries=0, log_prints=False)
async def morning_chase(school_id: str, on: str | None = None, at: str | None = None) -> Summary:
    """One tick of a school's morning chase; idempotent, so safe to run twice or late.

    `on` is the school day (ISO date; default today in Europe/London). `at` is the instant to
    act as of (ISO date-time, school time if no offset; default now), for tests and replays.
    """
    logger = get_run_logger()
    if at is None:
        wait = seconds_early(flow_run.get_scheduled_start_time(), datetime.now(UTC))
        if wait:
            await asyncio.sleep(wait)
        clock: Clock = SystemClock()
    else:
        clock = FixedClock(parse_instant(at))
    day = date.fromisoformat(on) if on else school_today(clock)
    summary: Summary = {"school_id": school_id, "date": day.isoformat()}
    engine = make_engine()
    try:
        if not is_school_day(engine, school_id, day):
            logger.info("%s: %s is not a school day, nothing to do", school_id, day)
            return {**summary, "school_day": False, **dict.fromkeys(TICK_COUNTS, 0)}
        counts = await run_tick(engine, school_id, day, clock)
    finally:
        engine.dispose()
    # Counts only: names, numbers and message bodies stay out of Prefect's logs.
    logger.info(
        "%s %s: %s", school_id, day, ", ".join(f"{key} {counts[key]}" for key in TICK_COUNTS)
    )
    return {**summary, "school_day": True, **counts}


@task(name="after-school-review", retries=0, cache_policy=NO_CACHE)
async def run_review(engine: Engine, school_id: str, on: date, clock: Clock) -> dict[str, int]:
    """The daily review, its letters and the LA duties, in one task."""
    from cases.after_school import review_after_school

    with session_for(engine) as session:
        school = load_school(session, school_id)
    with configured_channels(engine) as channels:
        done = await review_after_school(engine, school, on, clock, channels)
    return {
        "cases_opened": done.review.cases_opened,
        "proposals": done.review.proposals_made,
        "actions": done.review.actions_applied,
        "letters_emailed": done.letters.emailed,
        "letters_to_print": done.letters.to_print,
        "new_duties": done.new_duties,
        "sent": done.sent,
    }


@flow(name="daily-review", flow_run_name="{school_id}", retries=0, log_prints=False)
async def daily_review(school_id: str, on: str | None = None, at: str | None = None) -> Summary:
    """After the afternoon register: the school's ladder, letters out, LA duties (idempotent)."""
    logger = get_run_logger()
    clock: Clock = SystemClock() if at is None else FixedClock(parse_instant(at))
    day = date.fromisoformat(on) if on else school_today(clock)
    summary: Summary = {"school_id": school_id, "date": day.isoformat()}
    engine = make_engine()
    try:
        if not is_school_day(engine, school_id, day):
            return {**summary, "school_day": False}
        counts = await run_review(engine, school_id, day, clock)
    finally:
        engine.dispose()
    logger.info("%s %s: %s", school_id, day, ", ".join(f"{k} {v}" for k, v in counts.items()))
    return {**summary, "school_day": True, **counts}
