"""One tick of a school's morning chase: open, close, advance, send. Safe to run twice, or late."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from chase.checks import advance_due_checks, close_on_arrival, open_checks
from chase.morning import SchoolMorning
from chase.responses import message_failed
from notifications.message import Channel
from notifications.outbox import DispatchResult, drain_outbox
from school.clock import Clock
from school.database import session_for
from school.schools import LoadedSchool


@dataclass(frozen=True)
class Advanced:
    """What a tick's database stages did: checks opened, closed on arrival, steps run."""

    opened: int
    closed: int
    steps: int


# What a tick reports, in this order wherever it is shown (a flow's log, a command's line).
TICK_COUNTS = ("opened", "closed", "steps", "sent", "retrying", "failed", "unknown")


@dataclass(frozen=True)
class TickResult:
    opened: int
    closed: int
    steps: int
    dispatch: DispatchResult

    def counts(self) -> dict[str, int]:
        """The tick's counts by TICK_COUNTS' names: its stages', then its sending's."""
        sent = self.dispatch
        return {
            "opened": self.opened,
            "closed": self.closed,
            "steps": self.steps,
            "sent": sent.sent,
            "retrying": sent.retrying,
            "failed": sent.failed,
            "unknown": sent.unknown,
        }


def advance_school(engine: Engine, school: LoadedSchool, on: date, clock: Clock) -> Advanced:
    """A tick's database stages, each committing on its own: open the checks now due, close
    the ones whose pupil arrived, run every due step (its messages written to the outbox).
    Sends nothing, so it can run in a thread while another school's messages go out."""
    morning = SchoolMorning(school, on)
    with session_for(engine) as session:
        opened = open_checks(session, morning, clock)
        closed = close_on_arrival(session, morning, clock)
        steps = advance_due_checks(session, morning, clock)
    return Advanced(opened, closed, steps)


async def send_school(
    engine: Engine, school: LoadedSchool, clock: Clock, channels: Mapping[str, Channel]
) -> DispatchResult:
    """Send everything of the school's outbox that is due now."""
    with session_for(engine) as session:
        return await drain_outbox(
            session, channels, clock, school_id=school.id, on_failure=message_failed
        )


async def chase_tick(
    engine: Engine, school: LoadedSchool, on: date, clock: Clock, channels: Mapping[str, Channel]
) -> TickResult:
    """Everything due for a school now. Each stage commits on its own, so a crash in one stage
    leaves the earlier ones done and the next tick finishes the rest."""
    done = advance_school(engine, school, on, clock)
    sent = await send_school(engine, school, clock, channels)
    return TickResult(done.opened, done.closed, done.steps, sent)
