"""A local authority's morning chase: 200 schools of 1,000 pupils against loopback fakes.

Each worker is a process that ticks its share of the schools (`chase_tick`, one after another)
at a fixed clock: 09:00 (register close: open the checks, message the parents, raise the
calls), 09:30 (reasonable steps) and 10:00 (DSL alerts, emailed). The SMTP server (aiosmtpd)
and the fake Twilio each run in a process of their own. Times are wall-clock from the moment
the workers are told "it is now HH:MM" until every tick has returned and the fakes have counted
every message. The floor of each step is the same messages (read back from the outbox) sent
straight to the same fakes in a worker process: emails with aiosmtplib on the same number of
connections, texts with the twilio SDK's async client as many at a time, both at once.

    .venv/bin/python -m bench.chase_morning                      # 200 x 1,000, 1 and 2 workers
    .venv/bin/python -m bench.chase_morning --schools 20 --workers 1
    .venv/bin/python -m bench.chase_morning --database sqlite:///chase.db --schools 20
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from time import perf_counter
from typing import Any, TypeVar

from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.engine import make_url

from bench.chase_common import (
    DEFAULT_URL,
    MONDAY,
    ROOT,
    SENDER,
    Expected,
    FakeProcess,
    FloorEmail,
    FloorText,
    TwilioAccount,
    expected_for,
    max_rss_mib,
    recreate_database,
    reset_chase,
    set_up_la,
    smtp_fake_main,
    step_floor,
    twilio_fake_main,
)
from bench.process_common import floor_over_goal
from chase.every_school import AHEAD, SENDERS
from chase.models import DslAlert, StaffTask, WelfareCheck, WelfareCheckEvent
from notifications.message import Channel, OutgoingMessage, SendGate, SendOutcome
from notifications.models import OutboxMessage
from school.clock import SCHOOL_TIME_ZONE, FixedClock
from school.database import make_engine, session_for
from school.tables import PUPILS

TARGET_FIRST_S = 60.0  # every first message accepted within 60 s of register close
TARGET_STEP_S = 60.0  # every step done within 60 s of its deadline
TARGET_FLOOR_RATIO = 2.0
TARGET_LA_STEP_S = 15.0  # issue 12: each step <= 2x its floor and <= 15 s with one worker
STEP_TEMPLATES = {"09:00": "unexplained_absence", "10:00": "dsl_alert"}
TARGET_MIB = 300.0
SMTP_CONNECTIONS = 4  # SmtpEmailChannel's default
TWILIO_CONCURRENCY = 8  # TwilioSmsChannel's default
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
CHECKS = WelfareCheck.__table__  # type: ignore[attr-defined]
TASKS = StaffTask.__table__  # type: ignore[attr-defined]
EVENTS = WelfareCheckEvent.__table__  # type: ignore[attr-defined]
ALERTS = DslAlert.__table__  # type: ignore[attr-defined]

T = TypeVar("T")


def local(hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return datetime(MONDAY.year, MONDAY.month, MONDAY.day, int(hours), int(minutes),
                    tzinfo=SCHOOL_TIME_ZONE)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The worker process: the engine, as a scheduler would run it.


class TimedChannel:
    """Passes sends to the real channel and adds up the wall time spent in them."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls = 0
        self.messages = 0
        self.seconds = 0.0

    async def send_many(self, messages: list[OutgoingMessage], gate: SendGate) -> list[SendOutcome]:
        start = perf_counter()
        try:
            return list(await self.inner.send_many(messages, gate))
        finally:
            self.calls += 1
            self.messages += len(messages)
            self.seconds += perf_counter() - start

    def take(self) -> dict[str, float]:
        figures: dict[str, float] = {"calls": self.calls, "messages": self.messages}
        figures["seconds"] = self.seconds
        self.calls = self.messages = 0
        self.seconds = 0.0
        return figures


class PhaseTimes:
    """Wall time in each stage of `chase_tick`, and the CPU of the thread running it (the
    stage's own Python, the database's time excluded), by wrapping the names chase.service
    calls. drain_outbox's CPU includes its email and text coroutines.

    Only the bench process is touched: the module attributes are replaced in memory."""

    PHASES = ("open_checks", "close_on_arrival", "advance_due_checks")

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def install(self) -> None:
        import chase.service as morning

        wrapped: dict[str, Callable[..., Any]] = {
            name: self._timed(name, getattr(morning, name)) for name in self.PHASES
        }
        wrapped["drain_outbox"] = self._timed_async("drain_outbox", morning.drain_outbox)
        for name, function in wrapped.items():
            setattr(morning, name, function)

    def _timed(self, name: str, function: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> T:
            start, cpu = perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += perf_counter() - start
                self.seconds[f"{name} cpu"] += time.thread_time() - cpu

        return timed

    def _timed_async(
        self, name: str, function: Callable[..., Awaitable[T]]
    ) -> Callable[..., Awaitable[T]]:
        @functools.wraps(function)
        async def timed(*args: Any, **kwargs: Any) -> T:
            start, cpu = perf_counter(), time.thread_time()
            try:
                return await function(*args, **kwargs)
            finally:
                self.seconds[name] += perf_counter() - start
                self.seconds[f"{name} cpu"] += time.thread_time() - cpu

        return timed

    def take(self) -> dict[str, float]:
        figures = dict(self.seconds)
        self.seconds.clear()
        return figures


async def _tick_all(
    engine: Engine,
    schools: Sequence[str],
    clock: FixedClock,
    channels: dict[str, Channel],
    overlap: tuple[int, int],
) -> tuple[list[tuple[str, float, float]], Counter[str]]:
    """Every school's tick as `chase_every_school` runs them (`ahead` schools' database stages
    overlapping the sending); per school, the time since the one before finished."""
    from chase.every_school import SchoolTick, chase_every_school
    from school.database import session_for
    from school.schools import load_school

    ticks = []
    totals: Counter[str] = Counter()
    last = perf_counter()
    with session_for(engine) as session:  # as a worker does: the schools once per tick
        loaded = [load_school(session, school_id) for school_id in schools]

    def done(tick: SchoolTick) -> None:
        nonlocal last
        if tick.result is None:
            raise RuntimeError(f"{tick.school_id}: {tick.error}")
        now = perf_counter()
        ticks.append((tick.school_id, now - last, time.time()))
        last = now
        totals.update(tick.result.counts())
        totals.update({f"sent_{k}": v for k, v in tick.result.dispatch.by_channel.items()})

    ahead, senders = overlap
    await chase_every_school(
        engine, loaded, MONDAY, clock, channels, ahead=ahead, senders=senders, done=done
    )
    return ticks, totals


def _floor_messages(engine: Engine, template: str) -> tuple[list[FloorEmail], list[FloorText]]:
    """The engine's own messages of a step, read back from the outbox, for the floor to send."""
    with session_for(engine) as session:
        rows = session.execute(
            select(OUTBOX.c.channel, OUTBOX.c.idempotency_key, OUTBOX.c.to, OUTBOX.c.subject,
                   OUTBOX.c.text, OUTBOX.c.html)
            .where(OUTBOX.c.template == template)
            .order_by(OUTBOX.c.id)
        ).all()  # fmt: skip
    emails = [FloorEmail(key, to, subject or "", body, html)
              for channel, key, to, subject, body, html in rows if channel == "email"]  # fmt: skip
    texts = [FloorText(to, body) for channel, _, to, _, body, _ in rows if channel == "sms"]
    return emails, texts


def _cpu_seconds() -> float:
    """User and system CPU of this process, every thread (the Twilio senders too)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker_main(
    conn: Connection,
    index: int,
    url: str,
    schools: list[str],
    smtp_port: int,
    twilio: tuple[str, str, str, str],
    profile_dir: str | None,
    overlap: tuple[int, int],
) -> None:
    from notifications.channels import SmtpEmailChannel, TwilioSmsChannel
    from notifications.rendering import render_email, render_sms

    engine = make_engine(url)
    base_url, account_sid, auth_token, from_number = twilio
    sms = TimedChannel(
        TwilioSmsChannel(
            account_sid, auth_token, from_number, base_url=base_url, concurrency=TWILIO_CONCURRENCY
        )
    )
    email = TimedChannel(
        SmtpEmailChannel("127.0.0.1", smtp_port, SENDER, start_tls=False,
                         connections=SMTP_CONNECTIONS)
    )  # fmt: skip
    channels: dict[str, Channel] = {"sms": sms, "email": email}
    phases = PhaseTimes()
    phases.install()
    statements = Counter[str]()

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements[statement.split(None, 1)[0].upper()] += 1

    # A scheduler's worker is already running at 09:00: connect and load the templates first.
    with engine.connect() as warm:
        warm.execute(select(func.count()).select_from(PUPILS)).scalar()
    context = {"contact_name": "A", "child_first_name": "B", "school_name": "C",
               "school_phone": None, "reply_by": None, "session": "morning"}  # fmt: skip
    render_sms(schools[0] if schools else "default", "unexplained_absence", context)
    render_email(schools[0] if schools else "default", "unexplained_absence", context)
    conn.send(("ready", max_rss_mib()))
    while True:
        command = conn.recv()
        if command[0] == "stage":
            label, hhmm = command[1], command[2]
            clock = FixedClock(local(hhmm))
            profiler = cProfile.Profile() if profile_dir else None
            if profiler:
                profiler.enable()
            statements.clear()
            start, cpu = perf_counter(), _cpu_seconds()
            ticks, totals = asyncio.run(_tick_all(engine, schools, clock, channels, overlap))
            seconds, cpu = perf_counter() - start, _cpu_seconds() - cpu
            if profiler:
                profiler.disable()
                name = label.replace(" ", "_").replace(":", "")
                profiler.dump_stats(str(Path(str(profile_dir)) / f"w{index}-{name}.prof"))
            conn.send(
                {
                    "seconds": seconds,
                    "cpu": cpu,
                    "ticks": ticks,
                    "totals": dict(totals),
                    "phases": phases.take(),
                    "statements": dict(statements),
                    "sms": sms.take(),
                    "email": email.take(),
                    "rss": max_rss_mib(),
                }
            )
        elif command[0] == "floor":
            template, connections, concurrency, prebuilt = command[1:5]
            emails, texts = _floor_messages(engine, template)
            smtp = ("127.0.0.1", smtp_port, connections)
            cpu = _cpu_seconds()
            seconds = asyncio.run(step_floor(smtp, TwilioAccount(*twilio), emails, texts,
                                             concurrency, prebuilt))  # fmt: skip
            conn.send({"seconds": seconds, "cpu": _cpu_seconds() - cpu, "emails": len(emails),
                       "texts": len(texts)})  # fmt: skip
        elif command[0] == "stop":
            sms.inner.close()
            engine.dispose()
            conn.send(None)
            return


class Workers:
    def __init__(
        self,
        count: int,
        url: str,
        schools: list[str],
        smtp_port: int,
        twilio: Any,
        profile: Any,
        overlap: tuple[int, int],
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self.conns: list[Connection] = []
        self.processes = []
        for index in range(count):
            parent, child = context.Pipe()
            process = context.Process(
                target=worker_main,
                args=(
                    child,
                    index,
                    url,
                    schools[index::count],
                    smtp_port,
                    twilio,
                    profile,
                    overlap,
                ),
                daemon=True,
            )
            process.start()
            child.close()
            self.conns.append(parent)
            self.processes.append(process)
        self.ready_rss = [conn.recv()[1] for conn in self.conns]

    def all(self, *command: Any) -> list[Any]:
        for conn in self.conns:
            conn.send(command)
        return [conn.recv() for conn in self.conns]

    def first(self, *command: Any) -> Any:
        self.conns[0].send(command)
        return self.conns[0].recv()

    def stop(self) -> None:
        self.all("stop")
        for process in self.processes:
            process.join(timeout=10)


# ---------------------------------------------------------------------------------------------
# The coordinator: stages, checks and the report.


@dataclass
class Stage:
    label: str
    hhmm: str
    seconds: float = 0.0  # from "it is now HH:MM" until ticks returned and fakes counted
    last_accepted_s: float | None = None  # the last message the fakes took, from the start
    sms: int = 0  # messages the fakes took in this stage
    email: int = 0
    results: list[dict[str, Any]] = field(default_factory=list)
    server: dict[str, int] = field(default_factory=dict)  # database sessions sampled

    def total(self, key: str) -> int:
        return sum(int(r["totals"].get(key, 0)) for r in self.results)

    def summed(self, part: str, key: str) -> float:
        return sum(float(r[part].get(key, 0)) for r in self.results)

    def worst(self, part: str, key: str) -> float:
        return max(float(r[part].get(key, 0)) for r in self.results)

    @property
    def ticks(self) -> list[float]:
        return [seconds for r in self.results for _, seconds, _ in r["ticks"]]

    @property
    def rss(self) -> float:
        return max(float(r["rss"]) for r in self.results)


@dataclass
class Run:
    workers: int
    stages: list[Stage]
    ready_rss: list[float]
    # Each step's floor (by HH:MM): (emails built and sent, pre-built emails sent), texts sent
    # alongside either way; the best of --floor-repeat runs each.
    floors: dict[str, tuple[float, float]] = field(default_factory=dict)
    # ... and the worker CPU the built floor took: on a busy machine wall times swing with
    # everyone else's load, CPU seconds much less.
    floor_cpu: dict[str, float] = field(default_factory=dict)
    floor_connections: int = 0
    floor_in_flight: int = 0
    problems: list[str] = field(default_factory=list)
    load: list[float] = field(default_factory=list)  # 1-minute load average before, after

    def stage(self, label: str) -> Stage:
        return next(s for s in self.stages if s.label == label)


class Fakes:
    def __init__(self) -> None:
        self.smtp = FakeProcess(smtp_fake_main)
        self.twilio = FakeProcess(twilio_fake_main)
        self.seen_sms = self.seen_email = 0

    def reset(self) -> None:
        self.smtp.call("reset")
        self.twilio.call("reset")
        self.seen_sms = self.seen_email = 0

    def stop(self) -> None:
        self.smtp.stop()
        self.twilio.stop()


class ServerSampler:
    """What the database's other sessions are doing, sampled every 0.2 s during a stage:
    running a statement (active), waiting for the engine between statements (idle in
    transaction), or waiting on a lock."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.samples: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ServerSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        query = text(
            "SELECT state, wait_event_type FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        with self.engine.connect() as conn:
            while not self._stop.wait(0.2):
                for state, wait in conn.execute(query):
                    if state == "idle":
                        continue
                    label = state if wait in (None, "Client") else f"{state}, waiting on {wait}"
                    self.samples[label] += 1
                conn.rollback()


def run_stage(
    engine: Engine, workers: Workers, fakes: Fakes, stage: Stage, want_sms: int, want_email: int
) -> None:
    """Tell every worker the time; wait for its ticks and for the fakes to hold the messages."""
    wall = time.time()
    start = perf_counter()
    if engine.dialect.name == "postgresql":
        with ServerSampler(engine) as sampler:
            stage.results = workers.all("stage", stage.label, stage.hhmm)
        stage.server = dict(sampler.samples)
    else:
        stage.results = workers.all("stage", stage.label, stage.hhmm)
    sms = email = -1
    for _ in range(1000):  # the ticks await every send, so this is one round trip each
        sms, email = fakes.twilio.call("count"), fakes.smtp.call("count")
        if sms >= fakes.seen_sms + want_sms and email >= fakes.seen_email + want_email:
            break
        time.sleep(0.01)
    stage.seconds = perf_counter() - start
    stage.sms, stage.email = sms - fakes.seen_sms, email - fakes.seen_email
    sms_at = [r[3] for r in fakes.twilio.call("records")[fakes.seen_sms :]]
    email_at = [r[2] for r in fakes.smtp.call("records")[fakes.seen_email :]]
    if sms_at or email_at:
        stage.last_accepted_s = max(sms_at + email_at) - wall
    fakes.seen_sms, fakes.seen_email = sms, email


def _states(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(CHECKS.c.state, func.count()).group_by(CHECKS.c.state))
        return {state: count for state, count in rows}


def _grouped(engine: Engine, *columns: Any) -> dict[tuple[Any, ...], int]:
    with engine.connect() as conn:
        rows = conn.execute(select(*columns, func.count()).group_by(*columns)).all()
    return {tuple(row[:-1]): row[-1] for row in rows}


def verify_stage(engine: Engine, stage: Stage, expected: Expected, problems: list[str]) -> None:
    """The checks in the right state, and the right numbers of tasks, alerts and messages."""
    n = expected.unexplained

    def want(what: str, got: object, wanted: object) -> None:
        if got != wanted:
            problems.append(f"{stage.label}: {what}: got {got}, expected {wanted}")

    state = {"09:00": "calling_others", "09:30": "reasonable_steps", "10:00": "dsl_alerted"}
    want("check states", _states(engine), {state[stage.hhmm]: n})
    outbox = _grouped(engine, OUTBOX.c.template, OUTBOX.c.channel, OUTBOX.c.status)
    wanted_outbox = {
        ("unexplained_absence", "sms", "sent"): expected.sms_0900,
        ("unexplained_absence", "email", "sent"): expected.email_0900,
    }
    if stage.hhmm == "10:00":
        wanted_outbox[("dsl_alert", "email", "sent")] = expected.alerts_1000
    want("outbox (template, channel, status)", outbox, wanted_outbox)
    tasks = _grouped(engine, TASKS.c.kind, TASKS.c.state)
    # call_others escalates the primary call; the 09:30 step escalates the other calls.
    # The 09:00 calls are due by the next later step (09:30), then escalated with the check.
    calls = "open" if stage.hhmm == "09:00" else "escalated"
    wanted_tasks = {
        ("call", calls): n + expected.with_others,
        ("notify_social_worker", "open"): expected.social_worker,
    }
    if stage.hhmm != "09:00":
        later = "open" if stage.hhmm == "09:30" else "escalated"
        for kind in ("siblings_schools", "home_visit", "police"):
            wanted_tasks[(kind, later)] = n
        for kind in ("social_worker", "early_help"):
            wanted_tasks[(kind, later)] = expected.social_worker
    want("staff tasks (kind, state)", tasks, {k: v for k, v in wanted_tasks.items() if v})
    with engine.connect() as conn:
        alerts = conn.execute(select(func.count()).select_from(ALERTS)).scalar_one()
        events = conn.execute(select(func.count()).select_from(EVENTS)).scalar_one()
    want("DSL alerts", alerts, n if stage.hhmm == "10:00" else 0)
    steps = {"09:00": 3, "09:30": 4, "10:00": 5}[stage.hhmm]
    want("check events (open + one per step)", events, n * (1 + steps))


def verify_fakes(engine: Engine, fakes: Fakes, expected: Expected, problems: list[str]) -> None:
    """Exactly one message per idempotency key reached the fakes, and nothing else did."""
    with engine.connect() as conn:
        email_keys = set(
            conn.scalars(select(OUTBOX.c.idempotency_key).where(OUTBOX.c.channel == "email"))
        )
        sms_sids = set(conn.scalars(select(OUTBOX.c.provider_id).where(OUTBOX.c.channel == "sms")))
    emails = fakes.smtp.call("records")
    keys = Counter(key for key, _, _, _ in emails)
    twice = [k for k, c in keys.items() if c > 1]
    if twice:
        problems.append(f"{len(twice)} email keys reached the SMTP server more than once")
    if set(keys) != email_keys:
        problems.append(
            f"SMTP server keys differ from the outbox: {len(set(keys) - email_keys)} extra, "
            f"{len(email_keys - set(keys))} missing"
        )
    parents = {to for key, to, _, _ in emails if key and key.startswith("check:")}
    if parents != expected.emails:
        problems.append("the 09:00 emails did not go to exactly the parents expected")
    texts = fakes.twilio.call("records")
    sids = Counter(sid for _, sid, _, _ in texts)
    if any(c > 1 for c in sids.values()) or set(sids) != sms_sids:
        problems.append("fake Twilio's message SIDs are not exactly the outbox's, once each")
    if Counter(status for _, _, status, _ in texts) != Counter({201: len(texts)}):
        problems.append("fake Twilio answered something other than 201")
    recipients = Counter(to for to, _, _, _ in texts)
    if set(recipients) != expected.mobiles or any(c > 1 for c in recipients.values()):
        problems.append("the 09:00 texts did not go once each to exactly the parents expected")


def run_morning(
    engine: Engine,
    url: str,
    expected: Expected,
    count: int,
    fakes: Fakes,
    profile: str | None,
    floor_repeat: int,
    overlap: tuple[int, int],
) -> Run:
    reset_chase(engine)
    fakes.reset()
    workers = Workers(
        count, url, expected.schools, fakes.smtp.address, fakes.twilio.address, profile, overlap
    )
    run = Run(count, [], workers.ready_rss, load=[os.getloadavg()[0]])
    try:
        plan = [
            (Stage("09:00 register close", "09:00"), expected.sms_0900, expected.email_0900),
            (Stage("09:00 again (idempotent)", "09:00"), 0, 0),
            (Stage("09:30 reasonable steps", "09:30"), 0, 0),
            (Stage("10:00 DSL alerts", "10:00"), 0, expected.alerts_1000),
        ]
        for stage, sms, email in plan:
            print(f"  {count} worker(s): {stage.label} ...", end="", flush=True)
            run_stage(engine, workers, fakes, stage, sms, email)
            print(f" {stage.seconds:.1f} s", flush=True)
            run.stages.append(stage)
            if (stage.sms, stage.email) != (sms, email):
                run.problems.append(
                    f"{stage.label}: the fakes took {stage.sms} texts and {stage.email} emails, "
                    f"expected {sms} and {email}"
                )
            verify_stage(engine, stage, expected, run.problems)
        verify_fakes(engine, fakes, expected, run.problems)
        run.floor_connections = SMTP_CONNECTIONS * count
        run.floor_in_flight = TWILIO_CONCURRENCY * count
        for stage, sms, email in plan:
            if stage.hhmm in STEP_TEMPLATES and "again" not in stage.label:
                run.floors[stage.hhmm] = _floor(
                    run, workers, fakes, stage, sms, email, floor_repeat
                )
        fakes.reset()
        run.load.append(os.getloadavg()[0])
    finally:
        workers.stop()
    return run


def _floor(
    run: Run, workers: Workers, fakes: Fakes, stage: Stage, sms: int, email: int, repeat: int
) -> tuple[float, float]:
    """The step's messages sent straight to the fakes (built, then pre-built), best of `repeat`;
    the fakes must take exactly the step's texts and emails each time."""
    best = {False: float("inf"), True: float("inf")}
    run.floor_cpu[stage.hhmm] = float("inf")
    for prebuilt in (False, True):
        for _ in range(repeat):
            fakes.reset()
            floor = workers.first("floor", STEP_TEMPLATES[stage.hhmm], run.floor_connections,
                                  run.floor_in_flight, prebuilt)  # fmt: skip
            taken = (fakes.twilio.call("count"), fakes.smtp.call("count"))
            if taken != (sms, email) or (floor["texts"], floor["emails"]) != (sms, email):
                run.problems.append(
                    f"{stage.label} floor: sent {floor['texts']} texts and {floor['emails']} "
                    f"emails, the fakes took {taken[0]} and {taken[1]}, expected {sms} and {email}"
                )
            best[prebuilt] = min(best[prebuilt], floor["seconds"])
            if not prebuilt:
                run.floor_cpu[stage.hhmm] = min(run.floor_cpu[stage.hhmm], floor["cpu"])
    return best[False], best[True]


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def print_run(run: Run, expected: Expected) -> None:
    print(f"\n=== {run.workers} worker process(es), {len(expected.schools)} schools ===")
    header = (
        f"{'stage':<26}{'texts':>7}{'emails':>8}{'steps':>7}{'ticks done s':>14}"
        f"{'last accepted s':>17}{'target':>8}  result"
    )
    print(header)
    print("-" * len(header))
    for stage in run.stages:
        timed = "again" not in stage.label
        target = f"{TARGET_FIRST_S if stage.hhmm == '09:00' else TARGET_STEP_S:.0f} s"
        last = "-" if stage.last_accepted_s is None else f"{stage.last_accepted_s:.2f}"
        print(
            f"{stage.label:<26}{stage.sms:>7}{stage.email:>8}{stage.total('steps'):>7}"
            f"{stage.seconds:>14.2f}{last:>17}{target if timed else '-':>8}  "
            + (verdict(stage.seconds <= TARGET_STEP_S) if timed else "nothing re-sent")
        )
    print("\nper tick (one school), seconds:")
    for stage in run.stages:
        ticks = sorted(stage.ticks)
        p95 = ticks[min(len(ticks) - 1, int(0.95 * len(ticks)))]
        print(
            f"  {stage.label:<26} mean {statistics.mean(ticks):.3f}  median "
            f"{statistics.median(ticks):.3f}  p95 {p95:.3f}  max {ticks[-1]:.3f}"
        )
    print("\nwhere a stage's time goes (seconds summed over workers):")
    phases = ("open_checks", "close_on_arrival", "advance_due_checks")
    print(
        f"  {'stage':<26}"
        + "".join(f"{p:>20}" for p in (*phases, "drain_outbox"))
        + f"{'  sms send':>11}{'email send':>11}"
    )
    for stage in run.stages:
        print(
            f"  {stage.label:<26}"
            + "".join(f"{stage.summed('phases', p):>20.2f}" for p in (*phases, "drain_outbox"))
            + f"{stage.summed('sms', 'seconds'):>11.2f}{stage.summed('email', 'seconds'):>11.2f}"
        )
        print(
            f"  {'  its thread CPU':<26}"
            + "".join(
                f"{stage.summed('phases', f'{p} cpu'):>20.2f}" for p in (*phases, "drain_outbox")
            )
        )
    print("\nworker CPU (user + system, all threads) against the stage's wall time:")
    for stage in run.stages:
        cpu_s = sum(float(r["cpu"]) for r in stage.results)
        busy = max(float(r["seconds"]) for r in stage.results)
        print(f"  {stage.label:<26} CPU {cpu_s:7.2f} s over {busy:7.2f} s of ticking")
    if any(stage.server for stage in run.stages):
        print("\ndatabase sessions, sampled every 0.2 s (share of samples):")
        for stage in run.stages:
            total = sum(stage.server.values()) or 1
            shares = sorted(stage.server.items(), key=lambda kv: -kv[1])
            print(
                f"  {stage.label:<26}" + ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in shares)
            )
    print("\nSQL statements sent (all workers):")
    for stage in run.stages:
        verbs = Counter[str]()
        for result in stage.results:
            verbs.update(result["statements"])
        steps = stage.total("steps")
        per_step = f", {sum(verbs.values()) / steps:.1f} per step run" if steps else ""
        print(
            f"  {stage.label:<26}{sum(verbs.values()):>8}  ("
            + ", ".join(f"{verb} {n}" for verb, n in verbs.most_common())
            + f"){per_step}"
        )
    print(
        f"\nfloor: each step's messages straight to the fakes (aiosmtplib on "
        f"{run.floor_connections} connections, the twilio SDK's async client "
        f"{run.floor_in_flight} at a time, "
        "both at once), one worker process, after the morning"
    )
    print(f"  {'stage':<26}{'ours s':>8}{'floor s':>9}{'x floor':>9}{'send-only floor s':>19}"
          f"{'x':>7}  goal <= {TARGET_FLOOR_RATIO:g}x and <= {TARGET_LA_STEP_S:g} s")  # fmt: skip
    for stage in run.stages:
        if "again" in stage.label:
            continue
        built, prebuilt = run.floors.get(stage.hhmm, (0.0, 0.0))
        met = stage.seconds <= TARGET_LA_STEP_S
        figures = f"{'-':>9}{'-':>9}{'-':>19}{'-':>7}"
        if built:
            met = met and stage.seconds / built <= TARGET_FLOOR_RATIO
            figures = (f"{built:>9.2f}{stage.seconds / built:>9.2f}{prebuilt:>19.2f}"
                       f"{stage.seconds / prebuilt:>7.2f}")  # fmt: skip
        print(f"  {stage.label:<26}{stage.seconds:>8.2f}{figures}  {verdict(met)}")
        if note := floor_over_goal(built, TARGET_LA_STEP_S) if built else "":
            print(f"  {stage.label}:{note}")
    for stage in run.stages:
        if stage.hhmm in run.floor_cpu and "again" not in stage.label:
            ours = sum(float(r["cpu"]) for r in stage.results)
            floor = run.floor_cpu[stage.hhmm]
            print(f"  {stage.label:<26}worker CPU {ours:.2f} s, the floor's {floor:.2f} s: "
                  f"{ours / floor:.2f}x")  # fmt: skip
    print(
        "  (the email channel's own time at 09:00, busiest worker: "
        f"{run.stage('09:00 register close').worst('email', 'seconds'):.2f} s)"
    )
    peak = max(s.rss for s in run.stages)
    print(
        f"\nmemory: engine worker peak RSS {peak:.0f} MiB (after warm-up "
        f"{max(run.ready_rss):.0f} MiB); target <= {TARGET_MIB:.0f} MiB "
        f"[{verdict(peak <= TARGET_MIB)}]"
    )
    print(f"machine load (1-minute average) before/after this run: "
          f"{run.load[0]:.2f} / {run.load[-1]:.2f} on {os.cpu_count()} CPUs")  # fmt: skip
    print(
        "correctness: "
        + (
            "OK - every check in the expected state, tasks and alerts as expected, exactly one "
            "message per idempotency key at the fakes, none re-sent by the second 09:00 tick"
            if not run.problems
            else "PROBLEMS:\n  " + "\n  ".join(run.problems)
        )
    )


def print_summary(runs: list[Run], fakes_rss: tuple[float, float]) -> None:
    print("\n=== summary (x floor: the step against its messages sent straight) ===")
    print(
        f"{'workers':>7}{'09:00 s':>9}{'x floor':>9}{'09:30 s':>9}{'10:00 s':>9}{'x floor':>9}"
        f"{'peak MiB':>10}  correct"
    )
    for run in runs:
        first, last = run.stage("09:00 register close"), run.stage("10:00 DSL alerts")
        print(
            f"{run.workers:>7}{first.seconds:>9.2f}{first.seconds / run.floors['09:00'][0]:>9.2f}"
            f"{run.stage('09:30 reasonable steps').seconds:>9.2f}"
            f"{last.seconds:>9.2f}{last.seconds / run.floors['10:00'][0]:>9.2f}"
            f"{max(s.rss for s in run.stages):>10.0f}  {'yes' if not run.problems else 'NO'}"
        )
    for workers in sorted({run.workers for run in runs}):
        same = [run for run in runs if run.workers == workers]
        if len(same) > 1:
            print(f"{workers} worker(s), {len(same)} mornings: " + "; ".join(
                _median_line(label, [run.stage(label).seconds for run in same],
                             [run.stage(label).seconds / run.floors[hhmm][0] for run in same])
                for label, hhmm in (("09:00 register close", "09:00"),
                                    ("10:00 DSL alerts", "10:00"))))  # fmt: skip
    print(f"(fake processes' peak RSS: SMTP {fakes_rss[0]:.0f} MiB, Twilio {fakes_rss[1]:.0f} MiB)")


def _median_line(label: str, seconds: list[float], ratios: list[float]) -> str:
    return (
        f"{label[:5]} median {statistics.median(seconds):.2f} s "
        f"(spread {min(seconds):.2f}-{max(seconds):.2f}), median {statistics.median(ratios):.2f}x "
        f"floor (spread {min(ratios):.2f}-{max(ratios):.2f})"
    )


def _revision() -> str:
    """The commit measured, and whether the engine's files had local changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "cases", "flows", "notifications",
             "state_machines"],
            cwd=ROOT, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
    except OSError:
        return "unknown"
    return f"{head}{' + local changes' if dirty else ''}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database", default=DEFAULT_URL, help="PostgreSQL or sqlite:/// URL")
    parser.add_argument("--schools", type=int, default=None, help="200 (PostgreSQL), 20 (SQLite)")
    parser.add_argument("--pupils", type=int, default=1000, help="pupils per school")
    parser.add_argument("--workers", default="1,2", help="worker counts to run, e.g. 1,2,4")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep a database already set up")
    parser.add_argument("--profile", metavar="DIR", help="cProfile each worker's stages to DIR")
    parser.add_argument("--floor-repeat", type=int, default=1, help="floor runs (best kept)")
    parser.add_argument(
        "--ahead",
        type=int,
        default=AHEAD,
        help=f"schools' database stages at once, in threads (default {AHEAD}; 0: one school "
        "after another)",
    )
    parser.add_argument(
        "--senders", type=int, default=SENDERS, help=f"schools sending at once (default {SENDERS})"
    )
    args = parser.parse_args(argv)
    url = args.database
    sqlite = make_url(url).get_backend_name() == "sqlite"
    schools = args.schools or (20 if sqlite else 200)
    counts = [int(c) for c in args.workers.split(",")]
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)

    print(
        f"database: {make_url(url).render_as_string()}; engine code at {_revision()}; "
        f"overlap: {args.ahead} database stage(s), {args.senders} sender(s)"
    )
    start = perf_counter()
    if args.reuse:
        engine = make_engine(url)
        expected = expected_for(schools, args.pupils, args.seed)
    else:
        engine = recreate_database(url)
        expected = set_up_la(engine, schools, args.pupils, args.seed)
    with engine.connect() as conn:
        pupils = conn.execute(select(func.count()).select_from(PUPILS)).scalar_one()
    if pupils != expected.pupils:
        print(f"the database holds {pupils} pupils, expected {expected.pupils}: drop --reuse")
        return 2
    print(
        f"set-up: {schools} schools, {expected.pupils:,} pupils, {expected.contacts:,} contacts, "
        f"{expected.present:,} present, {expected.reported:,} absent with a reason reported, "
        f"{expected.unexplained:,} unexplained -> {expected.sms_0900:,} texts + "
        f"{expected.email_0900:,} emails at 09:00, {expected.alerts_1000:,} DSL alert emails at "
        f"10:00 ({perf_counter() - start:.1f} s)"
    )
    fakes = Fakes()
    runs = []
    try:
        for count in counts:
            run = run_morning(
                engine,
                url,
                expected,
                count,
                fakes,
                args.profile,
                args.floor_repeat,
                (args.ahead, args.senders),
            )
            print_run(run, expected)
            runs.append(run)
        fakes_rss = (fakes.smtp.call("rss"), fakes.twilio.call("rss"))
    finally:
        fakes.stop()
        engine.dispose()
    print_summary(runs, fakes_rss)
    return 0 if all(not run.problems for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
