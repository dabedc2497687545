"""A claimed batch is written a statement a table: a tick's SQL does not grow with its checks,
and every alert still holds what was known when it was raised."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from sqlalchemy import event, func, select
from sqlmodel import Session, col

from chase.models import DslAlert, StaffTask, WelfareCheck, WelfareCheckEvent
from chase.service import chase_tick
from chase.timeline import timeline_entries
from school.clock import FixedClock
from tests.chase_helpers import MONDAY, channels, loaded, local, set_up_morning

ABSENT = 60


def test_each_step_of_a_large_morning_costs_fewer_statements_than_checks(
    session: Session, engine: Any, tmp_path: Any
) -> None:
    pupils: dict[int, dict[str, object]] = {
        n: {"year": 7, "flags": "social_worker" if n % 10 == 0 else ""}
        for n in range(1, ABSENT + 1)
    }
    pupils[ABSENT + 1] = {"year": 7, "present": True}
    set_up_morning(session, "emmanuel-middle", tmp_path, pupils)
    school = loaded(engine, "emmanuel-middle")
    sent = channels()
    statements: Counter[str] = Counter()

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements[statement.split(None, 1)[0].upper()] += 1

    per_tick = {}
    for hhmm in ("09:00", "09:30", "10:00"):
        statements.clear()
        clock = FixedClock(local(MONDAY, hhmm))
        result = asyncio.run(chase_tick(engine, school, MONDAY, clock, sent))
        per_tick[hhmm] = (sum(statements.values()), result.steps)
    event.remove(engine, "before_cursor_execute", count)

    # 60 checks, 180 steps at 09:00: once ten statements a check, now a handful a batch.
    assert per_tick["09:00"][1] == 3 * ABSENT
    assert per_tick["09:30"][1] == per_tick["10:00"][1] == ABSENT
    assert all(total < ABSENT for total, _ in per_tick.values()), per_tick

    states = session.execute(select(WelfareCheck.state, func.count()).group_by(WelfareCheck.state))
    assert dict(states.tuples().all()) == {"dsl_alerted": ABSENT}
    assert session.scalar(select(func.count()).select_from(DslAlert)) == ABSENT
    told = select(func.count()).where(col(StaffTask.kind) == "notify_social_worker")
    assert session.scalar(told) == ABSENT // 10
    assert all(count == 1 for count in sent["sms"].sent.values())
    assert len(sent["sms"].sent) == ABSENT  # the primary contact of each, texted once

    # Each alert's timeline is the check's as it stood when raised: everything before it, and
    # not the move to dsl_alerted that the same step wrote after.
    for alert in session.scalars(select(DslAlert)):
        check = session.get(WelfareCheck, alert.check_id)
        assert check is not None
        now = [e.row() for e in timeline_entries(session, check)]
        raised = session.scalars(
            select(WelfareCheckEvent).where(
                col(WelfareCheckEvent.check_id) == check.id,
                col(WelfareCheckEvent.to_state) == "dsl_alerted",
            )
        ).one()
        later = f"{raised.from_state} → dsl_alerted ({raised.actor}: {raised.reason})"
        assert [r for r in now if r["what"] != later] == alert.timeline
        assert alert.timeline[0]["what"].startswith("Check opened")
        assert any("→ reasonable_steps" in r["what"] for r in alert.timeline)
