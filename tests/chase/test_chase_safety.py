"""Crash safety and concurrency: a stopped run loses nothing and repeats nothing."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from chase.checks import advance_due_checks, open_checks
from chase.models import WelfareCheck, WelfareCheckEvent
from chase.morning import school_morning
from chase.service import chase_tick
from notifications.message import Delivery
from notifications.models import OutboxMessage
from notifications.outbox import LEASE
from school import checkpoints
from school.clock import FixedClock
from school.database import session_for
from tests.chase_helpers import MONDAY, channels, loaded, local, set_up_morning


class Crash(Exception):
    """The run stops here, as if the process died."""


def _count(session: Session, model: type, *where: object) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


@pytest.mark.parametrize("point", checkpoints.POINTS)
def test_a_run_stopped_at_any_boundary_misses_nothing_and_sends_nothing_twice(
    session: Session, engine: Engine, tmp_path, monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    pupils = {n: {"year": 7} for n in range(1, 7)} | {7: {"year": 7, "present": True}}
    set_up_morning(session, "emmanuel-middle", tmp_path, pupils)
    sent = channels()
    clock = FixedClock(local(MONDAY, "09:00"))

    crashed: list[str] = []

    def crash_at(name: str) -> None:
        if name == point and not crashed:  # the run dies once, where it first reaches `point`
            crashed.append(name)
            raise Crash(name)

    monkeypatch.setattr(checkpoints, "reached", crash_at)
    with pytest.raises(Crash):
        asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, sent))
    monkeypatch.setattr(checkpoints, "reached", lambda name: None)
    # The next tick comes later, after any claim left by the dead run has expired.
    clock.at += LEASE + timedelta(minutes=1)
    asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, sent))
    asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, sent))

    assert _count(session, WelfareCheck) == 6  # no check missed, none doubled
    for channel in sent.values():
        assert max(channel.sent.values(), default=1) == 1, f"sent twice after a crash at {point}"
    keys = session.scalars(select(OutboxMessage.idempotency_key)).all()
    assert len(keys) == len(set(keys)) == 12  # a text and an email for each mother
    statuses = Counter(session.scalars(select(OutboxMessage.status)))
    delivered = sum(c.sent.total() for c in sent.values())
    flagged = _count(session, OutboxMessage, col(OutboxMessage.flagged_for_staff))
    # A claim is marked started when taken, so a crash anywhere in dispatch leaves its sends
    # without an answer; the next run asks the provider: what it holds (dispatch.sent) is
    # recorded as sent, what it does not (dispatch.claimed, .started) is sent once more.
    assert statuses == {"sent": 12}
    assert flagged == 0 and delivered == 12
    steps = session.scalars(
        select(WelfareCheckEvent.trigger).where(col(WelfareCheckEvent.trigger) == "message_parents")
    )
    assert len(list(steps)) == 6  # each check's step ran exactly once


def test_two_runs_at_once_never_advance_a_check_twice(
    engine: Engine, session: Session, tmp_path
) -> None:
    """Two workers tick the same school at the same moment: on PostgreSQL they share the work
    (SKIP LOCKED); on SQLite, where SKIP LOCKED does not exist, the claim's write lock makes
    the second wait and find nothing left to do."""
    pupils = {n: {"year": 5 + n % 4, "second_contact": False} for n in range(1, 301)}
    set_up_morning(session, "emmanuel-middle", tmp_path, pupils)
    clock = FixedClock(local(MONDAY, "10:00"))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with session_for(engine) as own:
                morning = school_morning(own, "emmanuel-middle", MONDAY)
                start.wait()
                open_checks(own, morning, clock)
                advance_due_checks(own, morning, clock)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert _count(session, WelfareCheck) == 300
    per_check = Counter(
        session.execute(select(WelfareCheckEvent.check_id, WelfareCheckEvent.trigger)).all()
    )
    assert set(per_check.values()) == {1}, "a step ran twice for some check"
    assert _count(session, WelfareCheckEvent, col(WelfareCheckEvent.trigger) == "alert_dsl") == 300
    assert _count(session, OutboxMessage) == 600


def test_a_status_that_arrives_before_the_send_is_recorded_is_not_lost(
    session: Session, engine: Engine, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twilio can report 'undelivered' before the dispatcher has stored the message's sid (here
    as early as can be: the first send is about to start, its text's claim committed)."""
    from chase.responses import handle_delivery_status

    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 7}})
    sent = channels()
    sent["email"].fail = {"parent1@example.org": Delivery.PERMANENT}  # only the text is alive
    clock = FixedClock(local(MONDAY, "09:00"))

    reported: list[str] = []

    def early_report(name: str) -> None:
        if name == "dispatch.started" and not reported:  # the first send only
            with session_for(engine) as other:
                key = other.scalars(
                    select(OutboxMessage.idempotency_key).where(
                        col(OutboxMessage.send_started_at).is_not(None),
                        col(OutboxMessage.channel) == "sms",
                    )
                ).one()
            sid = f"SM{abs(hash(key)) % 10**12:012d}"  # as RecordingChannel makes it
            reported.append(sid)
            with session_for(engine) as other:
                assert handle_delivery_status(other, sid, "undelivered", "30003", clock) is None

    monkeypatch.setattr(checkpoints, "reached", early_report)
    asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, sent))
    sms = session.scalars(select(OutboxMessage).where(col(OutboxMessage.channel) == "sms")).all()
    first = next(m for m in sms if m.recipient_label.startswith("mother"))
    assert (first.status, first.last_error) == ("failed", "twilio status undelivered 30003")
    # ... and the chase moved on: the grandmother was texted in the same run.
    assert any(m.recipient_label.startswith("grandmother") for m in sms)
