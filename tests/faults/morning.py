"""A simulated morning for the fault tests: schools set up, ticked minute by minute, and judged.

Each fault test breaks a provider or the database part-way through a morning and then asks
the same three questions of what is left: was every check decided by its deadline or
escalated, did any parent get a message twice, and is every message whose fate is unknown
(or that failed for good) shown to staff where they look (`attendance outbox --flagged`)?
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select
from sqlmodel import Session, col
from typer.testing import CliRunner

from chase.models import WelfareCheck, WelfareCheckEvent
from chase.plan import due_at, school_instant, step_times
from chase.service import chase_tick
from cli.main import app
from notifications.message import Channel
from notifications.models import OutboxMessage
from school.clock import FixedClock
from school.database import session_for
from school.policy_files import bundled_policy, load_policy
from school.schools import LoadedSchool, load_school
from state_machines.welfare_check import OPEN, STEP_STATE
from tests.chase_helpers import MONDAY, set_up_morning
from tests.fakes import FakeSmtpServer, FakeTwilio

# A tick may take this long after a step's time and the step still counts as on time: the
# deployments tick once a minute.
ON_TIME = timedelta(minutes=1)
FLAGGED_JSON = ("--limit", "1000", "--format", "json")
BeforeTick = Callable[[datetime], Awaitable[None] | None]


def set_up_schools(engine: Engine, folder: Path, schools: tuple[str, ...], absent: int) -> None:
    """Each school with `absent` pupils unmarked at register close, two contacts each."""
    with Session(engine, expire_on_commit=False) as session:
        for school in schools:
            years = load_policy(bundled_policy(school)).policy.school.year_groups
            pupils: dict[int, dict[str, object]] = {
                n: {"year": years[n % len(years)]} for n in range(1, absent + 1)
            }
            set_up_morning(session, school, folder / school, pupils)


def morning_minutes(schools: tuple[str, ...], after_last: int = 30) -> list[datetime]:
    """Every minute from the first AM step to `after_last` minutes past the last."""
    steps = [
        school_instant(MONDAY, when)
        for school in schools
        for when in step_times(load_policy(bundled_policy(school)).policy, "AM")
    ]
    first, last = min(steps), max(steps) + timedelta(minutes=after_last)
    return [first + timedelta(minutes=m) for m in range(int((last - first) / ON_TIME) + 1)]


async def run_morning(
    engine: Engine,
    schools: tuple[str, ...],
    channels: Mapping[str, Channel],
    minutes: list[datetime],
    before_tick: BeforeTick | None = None,
) -> None:
    """Tick every school at each minute, as the deployments do, breaking things on cue."""
    with session_for(engine) as session:
        loaded: list[LoadedSchool] = [load_school(session, s) for s in schools]
    for instant in minutes:
        if before_tick is not None:
            waited = before_tick(instant)
            if waited is not None:
                await waited
        clock = FixedClock(instant)
        for school in loaded:
            await chase_tick(engine, school, MONDAY, clock, channels)


def late_or_open(engine: Engine) -> list[str]:
    """Checks still being chased at the end, and steps that ran more than a minute late."""
    problems = []
    with Session(engine) as session:
        checks = list(session.scalars(select(WelfareCheck).order_by(col(WelfareCheck.id))))
        events = list(session.scalars(select(WelfareCheckEvent)))
    first_reached: dict[tuple[int, str], datetime] = {}
    for event in sorted(events, key=lambda e: (e.at, e.id or 0)):
        first_reached.setdefault((event.check_id, event.to_state), event.at)
    for check in checks:
        if check.state in OPEN:
            problems.append(f"check {check.id} still {check.state}")
        for step in check.plan:
            state = STEP_STATE[step["action"]]
            reached = first_reached.get((check.id or 0, state))
            if reached is not None and reached > due_at(step) + ON_TIME:
                problems.append(f"check {check.id} reached {state} at {reached}")
    return problems


def duplicates(twilio: FakeTwilio | None, smtp: FakeSmtpServer | None) -> int:
    """Messages a parent got twice: a text Twilio holds twice, or one outbox row's email
    received under two Message-IDs or with two different words."""
    found = 0
    if twilio is not None:
        texts = Counter((m.to, m.body) for m in twilio.messages if m.sid)
        found += sum(n - 1 for n in texts.values())
    if smtp is not None:
        versions: dict[str | None, set[tuple[str, str]]] = {}
        for r in smtp.received:
            words = str(r.message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
            versions.setdefault(r.key, set()).add((str(r.message["Message-ID"]), words))
        found += sum(len(v) - 1 for v in versions.values())
    return found


def outbox_rows(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.scalars(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def shown_to_staff(url: str, schools: tuple[str, ...]) -> dict[int, dict[str, object]]:
    """What `attendance outbox --flagged` shows staff, by message id, for every school."""
    shown: dict[int, dict[str, object]] = {}
    for school in schools:
        result = CliRunner().invoke(
            app,
            ["--database", url, "outbox", "--school", school, "--flagged", *FLAGGED_JSON],
        )
        assert result.exit_code == 0, result.output
        shown |= {m["id"]: m for m in json.loads(result.stdout)["messages"]}
    return shown


def untold(engine: Engine, url: str, schools: tuple[str, ...]) -> list[int]:
    """Messages unknown or failed for good that staff are not shown: should be none."""
    shown = shown_to_staff(url, schools)
    return [
        m.id or 0
        for m in outbox_rows(engine)
        if m.status in ("unknown", "failed") and m.id not in shown
    ]
