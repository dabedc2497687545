"""The register-taken guard: no register, no chase; one alert, at close plus grace; pick-up."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from chase.models import RegisterAlert, WelfareCheck, WelfareCheckEvent
from chase.service import chase_tick
from notifications.models import OutboxMessage
from school.clock import FixedClock
from school.register_import import RegisterFiles, import_register
from tests.chase_helpers import MONDAY, channels, check_for, loaded, local, set_up_morning
from tests.register_files import upn, write_marks

SCHOOL = "emmanuel-middle"  # AM register closes at 09:00 for every year group


def tick(engine: Engine, at: datetime, on: date = MONDAY) -> None:
    asyncio.run(chase_tick(engine, loaded(engine, SCHOOL), on, FixedClock(at), channels()))


def count(session: Session, table: type) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def take_register(session: Session, folder: Path, marks: dict[int, str], at: datetime) -> None:
    """The register comes in: each pupil's AM mark."""
    write_marks(folder, [[upn(n), MONDAY.isoformat(), "AM", code, ""] for n, code in marks.items()])
    import_register(session, SCHOOL, RegisterFiles(marks=folder / "marks.csv"), FixedClock(at))


def test_no_register_holds_the_year_group_and_alerts_once_after_the_grace(
    session, engine, tmp_path
) -> None:
    set_up_morning(session, SCHOOL, tmp_path, {n: {"year": 7} for n in range(1, 5)}, register=False)
    tick(engine, local(MONDAY, "09:00"))
    tick(engine, local(MONDAY, "09:09"))  # inside the grace: waiting, no alert yet
    assert (count(session, WelfareCheck), count(session, RegisterAlert)) == (0, 0)
    for at in ("09:10", "09:11", "09:30", "10:30"):
        tick(engine, local(MONDAY, at))
    alert = session.scalars(select(RegisterAlert)).one()
    assert alert.reason == "AM register not taken for Year 7: 4 pupils, 09:00"
    assert alert.raised_at == local(MONDAY, "09:10") and alert.resolved_at is None
    assert (count(session, WelfareCheck), count(session, OutboxMessage)) == (0, 0)


def test_below_the_share_is_not_taken_and_at_the_share_the_rest_are_chased(
    session, engine, tmp_path
) -> None:
    """The default share is 50% of the year group on roll with any mark for the session."""
    pupils = {n: {"year": 7} for n in range(1, 11)}
    set_up_morning(session, SCHOOL, tmp_path, pupils, register=False)
    take_register(session, tmp_path, {n: "/" for n in range(1, 5)}, local(MONDAY, "08:50"))
    tick(engine, local(MONDAY, "09:15"))
    alert = session.scalars(select(RegisterAlert)).one()
    assert alert.reason == "AM register incomplete for Year 7: 6 of 10 pupils unmarked, 09:00"
    assert count(session, WelfareCheck) == 0
    take_register(session, tmp_path, {5: "/"}, local(MONDAY, "09:20"))
    tick(engine, local(MONDAY, "09:20"))
    assert count(session, WelfareCheck) == 5  # pupils 6-10: no mark, on a register now taken


def test_marks_arriving_resolve_the_alert_and_the_chase_starts_from_then(
    session, engine, tmp_path
) -> None:
    pupils = {1: {"year": 7}, 2: {"year": 7}, 3: {"year": 8}, 4: {"year": 8, "present": True}}
    set_up_morning(session, SCHOOL, tmp_path, pupils, register=False)
    take_register(session, tmp_path, {3: "N"}, local(MONDAY, "08:55"))  # Year 8's is in
    tick(engine, local(MONDAY, "09:10"))
    assert check_for(session, SCHOOL, 3) is not None  # Year 8 is chased on time
    assert check_for(session, SCHOOL, 1) is None and check_for(session, SCHOOL, 2) is None
    alert = session.scalars(select(RegisterAlert)).one()
    assert alert.year_group == 7

    take_register(session, tmp_path, {1: "/", 2: "N"}, local(MONDAY, "09:40"))
    tick(engine, local(MONDAY, "09:40"))
    session.refresh(alert)
    assert alert.resolved_at == local(MONDAY, "09:40")
    assert alert.resolution == "register in: 2 of 2 pupils marked; the chase picks up the rest"
    assert check_for(session, SCHOOL, 1) is None
    picked = check_for(session, SCHOOL, 2)
    assert picked is not None
    # Emmanuel's steps run 09:00 to 10:00; a register 40 minutes late moves them 40 minutes on.
    assert [s["local_time"] for s in picked.plan] == ["09:40", "09:40", "09:40", "10:10", "10:40"]
    opening = session.scalars(
        select(WelfareCheckEvent)
        .where(col(WelfareCheckEvent.check_id) == picked.id)
        .order_by(col(WelfareCheckEvent.id))  # PostgreSQL promises no order without it
    ).first()
    assert opening is not None and "came in, late (it closed at 09:00)" in opening.reason
    tick(engine, local(MONDAY, "09:45"))
    assert count(session, RegisterAlert) == 1  # resolved, kept, not raised again


def test_a_non_school_day_is_never_chased_or_alerted(session, engine, tmp_path) -> None:
    inset = date(2026, 11, 2)  # a closure in the calendar
    set_up_morning(session, SCHOOL, tmp_path, {1: {"year": 7}}, on=inset, register=False)
    saturday = date(2026, 11, 21)
    for day in (inset, saturday):
        tick(engine, local(day, "10:30"), on=day)
    assert (count(session, WelfareCheck), count(session, RegisterAlert)) == (0, 0)


def test_pupils_off_roll_are_neither_chased_nor_counted(session, engine, tmp_path) -> None:
    pupils = {
        1: {"year": 7},
        2: {"year": 7, "left": "2026-11-20"},
        3: {"year": 7, "admitted": "2026-11-24"},
    }
    set_up_morning(session, SCHOOL, tmp_path, pupils, register=False)
    tick(engine, local(MONDAY, "09:10"))
    alert = session.scalars(select(RegisterAlert)).one()
    assert alert.reason == "AM register not taken for Year 7: 1 pupils, 09:00"
    take_register(session, tmp_path, {1: "N"}, local(MONDAY, "09:20"))
    tick(engine, local(MONDAY, "09:20"))
    assert check_for(session, SCHOOL, 1) is not None
    assert check_for(session, SCHOOL, 2) is None and check_for(session, SCHOOL, 3) is None
