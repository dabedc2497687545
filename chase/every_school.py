"""One tick of every school in one process, some schools' database work overlapping other
schools' sending.

A tick is database work (open, close, advance: `advance_school`) and then sending
(`send_school`). Done one school after another, the database waits while messages go out and
the sending waits while the database works. Here a few schools' database stages run in
worker threads while the event loop sends other schools' messages; each school still sends
only after its own stages committed, so a school's tick is the same transactions in the same
order as `chase_tick`, and one school's fault stops no other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from chase.service import Advanced, TickResult, advance_school, send_school
from notifications.message import Channel
from school.batch_gc import batch_gc
from school.clock import Clock
from school.schools import LoadedSchool

log = logging.getLogger(__name__)

# Two schools' database stages at once, in threads, while one school sends: enough to keep
# the sending fed (a school's stages take about as long as its sending), few enough that the
# threads do not crowd the event loop off the CPU. A second sender measured no faster on two
# cores, where the worker is bound by its own CPU (bench.chase_morning --ahead/--senders); on
# 4 December it was tried again with the outbox's database work moved into threads so two
# schools' sends could overlap on the loop: no faster, and 10-35% more of the worker's CPU.
AHEAD = 2
SENDERS = 1


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
    senders: int = SENDERS,
    done: Done | None = None,
) -> list[SchoolTick]:
    """Tick each school (all of them meeting on `on`); `ahead` schools' database stages run at
    once in threads, `senders` schools send at once; `done` hears of each as it finishes."""
    with batch_gc():  # this call has the process to itself for its length
        return await _tick_every_school(
            engine, schools, on, clock, channels, ahead=ahead, senders=senders, done=done
        )


async def _tick_every_school(
    engine: Engine,
    schools: Sequence[LoadedSchool],
    on: date,
    clock: Clock,
    channels: Mapping[str, Channel],
    *,
    ahead: int,
    senders: int,
    done: Done | None,
) -> list[SchoolTick]:
    ticks: list[SchoolTick] = []
    if engine.dialect.name == "sqlite" or min(ahead, senders) < 1:
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
    advancing = asyncio.Semaphore(ahead)
    sending = asyncio.Semaphore(senders)

    async def tick_of(school: LoadedSchool) -> SchoolTick:
        async with advancing:
            advanced = await asyncio.to_thread(_advanced, engine, school, on, clock)
        async with sending:
            tick = await _finish(engine, school, clock, channels, advanced)
        if done is not None:
            done(tick)
        return tick

    # Semaphores wake their waiters first come, first served: the schools move through
    # both stages in the order given.
    return list(await asyncio.gather(*(tick_of(school) for school in schools)))


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
