"""Eight ticks at once at every deadline, while the office records reasons and late arrivals are
imported: every run succeeds, and every step runs once (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from chase.models import WelfareCheck, WelfareCheckEvent
from chase.plan import step_times
from chase.responses import report_absence
from chase.service import chase_tick
from notifications.models import OutboxMessage
from school.amendments import Amender
from school.clock import FixedClock
from school.database import session_for
from school.register_import import RegisterFiles, import_register
from tests.chase_helpers import MONDAY, channels, loaded, local, set_up_morning
from tests.register_files import upn, write_marks

TICKS = 8
PUPILS = 60
OFFICE = Amender("Jo Bloggs", "Attendance Officer")


def _all_at_once(jobs: list[Callable[[], object]]) -> list[BaseException]:
    """Start every job at the same instant, each on its own thread; the errors they raised."""
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        start.wait()
        try:
            job()
        except BaseException as exc:  # a failed run, whatever it raised
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_eight_ticks_at_each_deadline_with_the_office_and_an_import_all_succeed_once(
    engine: Engine, session: Session, tmp_path
) -> None:
    pupils: dict[int, dict[str, object]] = {n: {"year": 5 + n % 4} for n in range(1, PUPILS + 1)}
    set_up_morning(session, "emmanuel-middle", tmp_path, pupils)
    school = loaded(engine, "emmanuel-middle")
    deadlines = sorted(step_times(school.policy.policy, "AM"))
    sent = [channels() for _ in range(TICKS)]
    arrived: set[int] = set()
    failures: list[str] = []

    for round_, deadline in enumerate(deadlines):
        clock = FixedClock(local(MONDAY, deadline.strftime("%H:%M")))
        # Each round, the office takes a call for four pupils and four more walk in late.
        called = range(1 + 8 * round_, 5 + 8 * round_)
        late = set(range(5 + 8 * round_, 9 + 8 * round_))
        arrived |= late

        def tick(n: int, clock: FixedClock = clock) -> None:
            asyncio.run(chase_tick(engine, school, MONDAY, clock, sent[n]))

        def office(called: range = called, clock: FixedClock = clock) -> None:
            with session_for(engine) as own:
                for n in called:
                    report_absence(own, school.id, upn(n), MONDAY, ["AM"], "ill", "Office", clock)

        def late_arrivals(marked: frozenset[int] = frozenset(arrived), r: int = round_) -> None:
            folder = tmp_path / f"import-{r}"
            folder.mkdir()
            for name in ("pupils.csv", "contacts.csv"):
                (folder / name).write_bytes((tmp_path / name).read_bytes())
            rows = [[upn(n), MONDAY.isoformat(), "AM", "L" if n in marked else "N", ""]
                    for n in pupils]  # fmt: skip
            write_marks(folder, rows)
            with session_for(engine) as own:
                import_register(
                    own, school.id, RegisterFiles.in_folder(folder), FixedClock(datetime.now(UTC)),
                    by=OFFICE, reason="late arrivals signed in at the office",
                )  # fmt: skip

        jobs: list[Callable[[], object]] = [partial(tick, n) for n in range(TICKS)]
        errors = _all_at_once([*jobs, office, late_arrivals])
        failures += [f"{deadline}: {type(e).__name__}: {e}" for e in errors]

    assert failures == []
    # A minute after the last deadline, one more tick settles what arrived during the last.
    after = FixedClock(local(MONDAY, deadlines[-1].strftime("%H:%M")) + timedelta(minutes=1))
    asyncio.run(chase_tick(engine, school, MONDAY, after, sent[0]))
    events = session.execute(
        select(col(WelfareCheckEvent.check_id), col(WelfareCheckEvent.trigger)).where(
            col(WelfareCheckEvent.trigger) != "note"
        )
    ).all()
    assert Counter(events).most_common(1)[0][1] == 1, "a step or a closing happened twice"
    sends = Counter[str]()
    for channel_set in sent:
        for channel in channel_set.values():
            sends.update(channel.sent)
    assert sends and sends.most_common(1)[0][1] == 1, "a message went out twice"
    # Every message went, except one still waiting when its check closed (a pupil walked in
    # or was explained meanwhile): that one is withdrawn, never sent late to the parent.
    unsent = session.scalars(
        select(OutboxMessage).where(col(OutboxMessage.status).not_in(("sent", "delivered")))
    ).all()
    closed = {c.id for c in session.scalars(select(WelfareCheck)) if c.closed_at is not None}
    assert [(m.status, m.check_id in closed) for m in unsent] == [("withdrawn", True)] * len(unsent)
    # The outcomes are right too: everyone who walked in or was explained is closed.
    open_ = {c.pupil_id for c in session.scalars(select(WelfareCheck)) if c.closed_at is None}
    assert len(open_) == PUPILS - len(arrived) - 4 * len(deadlines)
