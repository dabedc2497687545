"""One tick of every school in one process, the next schools' database work overlapping the
last school's sending.

A tick is database work (open, close, advance: `advance_school`) and then sending
(`send_school`). Done one school after another, the database waits while messages go out and
the sending waits while the database works. Here the database stages of the next `ahead`
schools run in worker threads while the event loop sends the current school's messages; each
school still sends only after its own stages committed, so a school's tick is the same
transactions in the same order as `chase_tick`, and one school's fault stops no other.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from chase.service import Advanced, TickResult, advance_school, send_school
from notifications.message import Channel
from school.clock import Clock
from school.schools import LoadedSchool

log = logging.getLogger(__name__)

# Two schools' database stages ahead of the one sending: enough to keep the sending fed
# (a school's stages take about as long as its sending), few enough that the threads do not
# crowd the event loop off the CPU.
AHEAD = 2


@dataclass(frozen=True)
class SchoolTick:
    """One school's part of the tick: its result, or the error that stopped it."""

    school_id: str
    result: TickResult | None = None
    error: str | None = None


Done = Callable[[SchoolTick], None]


async def chase_every_school(
    engine: Engine,
    schools: Sequence[LoadedSchool],
    on: date,
    clock: Clock,
    channels: Mapping[str, Channel],
    *,
    ahead: int = AHEAD,
    done: Done | None = None,
) -> list[SchoolTick]:
    """Tick each school (all of them meeting on `on`), in order; `done` hears of each."""
    ticks: list[SchoolTick] = []
    if engine.dialect.name == "sqlite" or ahead < 1:
        # One writer at a time: overlapping would only queue for SQLite's lock, and a read
        # transaction held across another connection's commit cannot then write.
        for school in schools:
            tick = await _finish(
                engine, school, clock, channels, _advanced(engine, school, on, clock)
            )
            ticks.append(tick)
            if done is not None:
                done(tick)
        return ticks
    waiting: deque[asyncio.Future[Advanced | BaseException]] = deque()
    upcoming = iter(schools)

    def start_next() -> None:
        school = next(upcoming, None)
        if school is not None:
            thread = asyncio.to_thread(_advanced, engine, school, on, clock)
            waiting.append(asyncio.ensure_future(thread))

    for _ in range(ahead + 1):
        start_next()
    for school in schools:
        advanced = await waiting.popleft()
        start_next()
        tick = await _finish(engine, school, clock, channels, advanced)
        ticks.append(tick)
        if done is not None:
            done(tick)
    return ticks


def _advanced(
    engine: Engine, school: LoadedSchool, on: date, clock: Clock
) -> Advanced | BaseException:
    """The school's database stages, or what stopped them."""
    try:
        return advance_school(engine, school, on, clock)
    except Exception as exc:
        return exc


async def _finish(
    engine: Engine,
    school: LoadedSchool,
    clock: Clock,
    channels: Mapping[str, Channel],
    advanced: Advanced | BaseException,
) -> SchoolTick:
    if isinstance(advanced, BaseException):
        return _failed(school, advanced)
    try:
        sent = await send_school(engine, school, clock, channels)
    except Exception as exc:
        return _failed(school, exc)
    result = TickResult(advanced.opened, advanced.closed, advanced.steps, sent)
    return SchoolTick(school.id, result=result)


def _failed(school: LoadedSchool, exc: BaseException) -> SchoolTick:
    # The type and text only: an engine error names the check or row, never a pupil's
    # details; the whole traceback goes to the debug log for whoever runs the process.
    log.debug("tick of %s failed", school.id, exc_info=exc)
    return SchoolTick(school.id, error=f"{type(exc).__name__}: {exc}")
