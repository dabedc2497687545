"""`attendance arrive`: the signing-in book's time decides present, L or U, through the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col
from typer.testing import CliRunner, Result

from cli.main import app
from school.models import Arrival, AttendanceMark, MarkAmendment, Pupil
from school.policy_files import bundled_policy, load_policy
from tests.chase_helpers import MONDAY, set_up_morning
from tests.register_files import upn

runner = CliRunner()
OFFICE = ("--by", "Pat Jones, Office Manager")
SATURDAY = "2026-11-21"


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(autouse=True)
def evening(monkeypatch: pytest.MonkeyPatch) -> None:
    """The office types the book up that evening: every arrival that morning is in the past."""
    from school import clock as clock_module

    when = datetime(MONDAY.year, MONDAY.month, MONDAY.day, 18, 0, tzinfo=UTC)
    monkeypatch.setattr(clock_module.SystemClock, "now", lambda self: when)


def arrive(engine: Engine, school: str, n: int, at: str, *more: str) -> Result:
    db = ["--database", engine.url.render_as_string(hide_password=False)]
    args = [*db, "arrive", upn(n), "--school", school, "--at", at, "--date", str(MONDAY), *more]
    return runner.invoke(app, args)


def mark(session: Session, n: int, sess: str = "AM") -> tuple[str, int | None] | None:
    session.expire_all()
    found = session.execute(
        select(AttendanceMark.code, AttendanceMark.minutes_late)
        .join(Pupil, col(Pupil.id) == AttendanceMark.pupil_id)
        .where(col(Pupil.upn) == upn(n), col(AttendanceMark.session) == sess)
    ).first()
    return None if found is None else (found[0], found[1])


def shifted(clock: time, minutes: int) -> str:
    return (datetime.combine(MONDAY, clock) + timedelta(minutes=minutes)).strftime("%H:%M")


@pytest.mark.parametrize("seed,year", [("emmanuel-middle", 7), ("basildon-lower", 7)])
def test_no_mark_yet_present_by_the_opening_l_at_the_close_minute_u_one_minute_after(
    session: Session, engine: Engine, tmp_path: Path, seed: str, year: int
) -> None:
    window = load_policy(bundled_policy(seed)).policy.register_window(year, "AM")
    set_up_morning(session, seed, tmp_path, {n: {"year": year} for n in (1, 2, 3)}, register=False)
    opens, closes = f"{window.opens:%H:%M}", f"{window.closes:%H:%M}"

    assert arrive(engine, seed, 1, opens).exit_code == 0
    at_close = arrive(engine, seed, 2, closes)
    assert at_close.exit_code == 0, at_close.output
    assert f"Recorded: Pupil2 Test (Y{year}, {upn(2)}) arrived {closes}" in flat(at_close.stdout)
    late = arrive(engine, seed, 3, shifted(window.closes, 1), "--format", "json")
    assert late.exit_code == 0, late.output
    shown = json.loads(late.stdout)

    length = window.minutes_open
    assert (mark(session, 1), mark(session, 2), mark(session, 3)) == (
        ("/", None),
        ("L", length),
        ("U", length + 1),
    )
    assert shown["code"] == "U" and shown["minutes_late"] == length + 1
    assert shown["register"] == {"opens": opens, "closes": closes}
    assert (shown["outcome"], shown["replaced"], shown["amendment"]) == ("recorded", None, None)
    book = session.scalars(select(Arrival).order_by(col(Arrival.id))).all()
    assert [(a.code, a.register_closes, a.recorded_by_name) for a in book] == [
        ("/", window.closes, None),
        ("L", window.closes, None),
        ("U", window.closes, None),
    ]
    assert session.scalar(select(func.count()).select_from(MarkAmendment)) == 0


def test_over_an_n_mark_it_is_an_audited_amendment_needing_who_and_a_real_reason(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 6}, 2: {"year": 6}})
    assert mark(session, 1) == ("N", None)

    nobody = arrive(engine, "emmanuel-middle", 1, "08:51")
    assert nobody.exit_code == 1
    assert "already marked N" in flat(nobody.stderr) and '--by "Name, Position"' in nobody.stderr
    for bad in (["--by", "Pat Jones"], ["--by", "Pat Jones,  "], [*OFFICE, "--reason", "  "]):
        refused = arrive(engine, "emmanuel-middle", 1, "08:51", *bad)
        assert refused.exit_code == 2, refused.output
        assert len(refused.stderr.strip().splitlines()) == 1
    assert mark(session, 1) == ("N", None)

    done = arrive(engine, "emmanuel-middle", 1, "08:51", *OFFICE)
    assert done.exit_code == 0, done.output
    assert "Amended" in done.stdout and "Replaced N: amendment" in flat(done.stdout)
    assert mark(session, 1) == ("L", 11)
    audit = session.scalars(select(MarkAmendment)).one()
    assert (audit.original_code, audit.amended_code, audit.amended_minutes_late) == ("N", "L", 11)
    assert (audit.reason, audit.amended_by_name, audit.amended_by_position) == (
        "signed in at 08:51",
        "Pat Jones",
        "Office Manager",
    )
    again = arrive(engine, "emmanuel-middle", 1, "08:51", *OFFICE)
    assert again.exit_code == 0 and "nothing changed" in again.stdout

    # A corrected time is a second amendment, with the reason the office gives.
    fixed = arrive(
        engine, "emmanuel-middle", 1, "09:05", *OFFICE, "--reason", "book misread: 09:05"
    )
    assert fixed.exit_code == 0, fixed.output
    assert mark(session, 1) == ("U", 25)
    reasons = session.scalars(select(MarkAmendment.reason).order_by(col(MarkAmendment.id))).all()
    assert reasons == ["signed in at 08:51", "book misread: 09:05"]


def test_the_afternoon_from_midday_and_by_session(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    """Emmanuel's afternoon register is open 13:40-14:00 for every year group."""
    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 5}, 2: {"year": 5}})
    lunch = arrive(engine, "emmanuel-middle", 1, "12:30")
    assert lunch.exit_code == 0, lunch.output
    assert mark(session, 1, "PM") == ("\\", None) and mark(session, 1, "AM") == ("N", None)
    late = arrive(engine, "emmanuel-middle", 2, "14:01", "--format", "json")
    assert json.loads(late.stdout)["session"] == "PM" and mark(session, 2, "PM") == ("U", 21)


def test_refusals_say_why_in_one_line_and_write_nothing(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    pupils = {1: {"year": 7, "present": True}, 2: {"year": 7, "left": "2026-11-20"}, 3: {"year": 7}}
    set_up_morning(session, "emmanuel-middle", tmp_path, pupils, register=False)
    cases = {
        "is not a school day": (2, ["--date", SATURDAY], 2),
        "is not a time": (1, ["--at", "9.05"], 2),
        "is not on roll on 2026-11-23": (2, [], 1),
        "is already marked / (": (1, OFFICE, 1),
        "no pupil": (9, [], 1),
    }
    for said, (n, extra, code) in cases.items():
        result = arrive(engine, "emmanuel-middle", n, "09:05", *extra)
        assert result.exit_code == code, (said, result.output)
        assert said in flat(result.stderr), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    tomorrow = arrive(engine, "emmanuel-middle", 3, "09:05", "--date", "2026-11-24")
    assert tomorrow.exit_code == 1 and "later than now" in tomorrow.stderr
    assert session.scalar(select(func.count()).select_from(Arrival)) == 0


def test_the_stored_arrival_keeps_the_window_it_was_judged_by(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    set_up_morning(session, "kts-academy", tmp_path, {1: {"year": 10}}, register=False)
    assert arrive(engine, "kts-academy", 1, "09:31", *OFFICE).exit_code == 0
    stored = session.scalars(select(Arrival)).one()
    assert (stored.arrived_at, stored.register_opens, stored.register_closes) == (
        time(9, 31),
        time(9, 10),
        time(9, 30),
    )
    assert (stored.code, stored.minutes_late, stored.recorded_by_position) == (
        "U",
        21,
        "Office Manager",
    )
    assert stored.recorded_at.astimezone(UTC) == datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
