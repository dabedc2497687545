"""Registration scenarios: the arrival time decides the code (reg 10), amendments keep who and
why (reg 6), and an arrival ends the morning chase. Each runs through `attendance` in simulated
time on Monday 23 November 2026, for at least two seed schools."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col
from typer.testing import CliRunner, Result

from chase.models import DslAlert, WelfareCheck
from cli.main import app
from notifications.models import OutboxMessage
from school.clock import SCHOOL_TIME_ZONE
from school.models import AttendanceMark, MarkAmendment
from school.policy_files import bundled_policy, load_policy
from tests.chase_helpers import MONDAY, set_up_morning
from tests.register_files import upn, write_marks

runner = CliRunner()
OFFICE = ("--by", "Pat Jones, Office Manager")


class Clock:
    """The school's wall clock for the commands, moved on by the scenario."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from school import clock as clock_module

        self.at = datetime.combine(MONDAY, datetime.min.time(), SCHOOL_TIME_ZONE)
        monkeypatch.setattr(clock_module.SystemClock, "now", lambda _: self.at)

    def set(self, hhmm: str) -> None:
        hours, minutes = map(int, hhmm.split(":"))
        self.at = datetime(MONDAY.year, MONDAY.month, MONDAY.day, hours, minutes).replace(
            tzinfo=SCHOOL_TIME_ZONE
        )


def cli(engine: Engine, *args: str) -> Result:
    db = ["--database", engine.url.render_as_string(hide_password=False)]
    return runner.invoke(app, [*db, *args])


def hhmm(clock: datetime, minutes: int = 0) -> str:
    return (clock + timedelta(minutes=minutes)).strftime("%H:%M")


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("seed,year", [("emmanuel-middle", 7), ("kts-academy", 10)])
def test_a_pupil_chased_at_register_close_signs_in_late_and_the_chase_stops(
    session: Session,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seed: str,
    year: int,
) -> None:
    """Monday 23 Nov 2026. The AM register is taken with the pupil N (no reason yet). At the
    close the chase opens a welfare check and takes its first step (Emmanuel Middle texts the
    parents; KTS puts a call to the primary contact on the office's list). Ten minutes after
    the close the pupil signs in at the office: after the close, so U (reg 10), replacing the N
    as an audited amendment (reg 6). The chase's next tick closes the check as arrived; nothing more
    is sent, no call is left to make, and the DSL is never alerted."""
    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    window = load_policy(bundled_policy(seed)).policy.register_window(year, "AM")
    close = datetime.combine(MONDAY, window.closes)
    set_up_morning(session, seed, tmp_path, {1: {"year": year}})
    clock = Clock(monkeypatch)
    tick = ("chase", "--school", seed, "--date", str(MONDAY), "--once")

    clock.set(hhmm(close, 1))
    opened = cli(engine, *tick)
    assert opened.exit_code == 0, opened.output
    assert "opened 1" in opened.stdout
    sent_before = count(session, OutboxMessage)
    calls = cli(engine, "tasks", "--school", seed, "--date", str(MONDAY))
    # The first step at the close: a message to the parents, or the office's call to them.
    assert sent_before >= 1 or "0 tasks" not in calls.stdout

    clock.set(hhmm(close, 11))
    signed_in = cli(engine, "arrive", upn(1), "--school", seed, "--at", hhmm(close, 10), *OFFICE)
    assert signed_in.exit_code == 0, signed_in.output
    assert "the chase's next tick closes it" in " ".join(signed_in.stdout.split())
    late = window.minutes_open + 10
    stored = session.scalars(select(AttendanceMark)).one()
    assert (stored.code, stored.minutes_late) == ("U", late)
    audit = session.scalars(select(MarkAmendment)).one()
    assert (audit.original_code, audit.amended_code, audit.amended_by_position) == (
        "N",
        "U",
        "Office Manager",
    )
    assert audit.reason == f"signed in at {hhmm(close, 10)}"

    clock.set(hhmm(close, 12))
    closed = cli(engine, *tick)
    assert closed.exit_code == 0, closed.output
    assert "closed 1" in closed.stdout
    session.expire_all()
    check = session.scalars(select(WelfareCheck)).one()
    assert check.state == "explained"

    for later in (30, 60, 120):  # the rest of the morning: every step would have been due
        clock.set(hhmm(close, later))
        assert cli(engine, *tick).exit_code == 0
    session.expire_all()
    assert count(session, DslAlert) == 0
    assert count(session, OutboxMessage) == sent_before
    tasks = cli(engine, "tasks", "--school", seed, "--date", str(MONDAY))
    assert "0 tasks" in tasks.stdout


@pytest.mark.parametrize(
    "seed,year,session_name,arrives,expected",
    [
        # Spec §8 scenario 21: Basildon Y7 arriving 9.20 is U (the policy closes at 9.15); a Y9
        # pupil arriving 13.10 is L (13.00-13.15).
        ("basildon-lower", 7, "AM", "09:20", ("U", 20)),
        ("basildon-lower", 9, "PM", "13:10", ("L", 10)),
        # St John Bosco's register is open five minutes, 08:45-08:50: 08:50 is L, 08:51 is U.
        ("st-john-bosco", 5, "AM", "08:50", ("L", 5)),
        ("st-john-bosco", 5, "AM", "08:51", ("U", 6)),
        # Micklefield's afternoon register, 13:15-13:45: in by the opening is present.
        ("micklefield", 3, "PM", "13:15", ("\\", None)),
    ],
)
def test_the_arrival_time_decides_the_code_at_each_seed(
    session: Session,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seed: str,
    year: int,
    session_name: str,
    arrives: str,
    expected: tuple[str, int | None],
) -> None:
    set_up_morning(session, seed, tmp_path, {1: {"year": year}}, register=False)
    Clock(monkeypatch).set("18:00")
    result = cli(engine, "arrive", upn(1), "--school", seed, "--at", arrives, "--date", str(MONDAY))
    assert result.exit_code == 0, result.output
    stored = session.scalars(
        select(AttendanceMark).where(col(AttendanceMark.session) == session_name)
    ).one()
    assert (stored.code, stored.minutes_late) == expected


@pytest.mark.parametrize(
    "seed,year,minutes_open", [("basildon-lower", 7, 15), ("st-john-bosco", 5, 5)]
)
def test_an_imported_l_after_the_close_is_refused_by_file_and_line(
    session: Session, engine: Engine, tmp_path: Path, seed: str, year: int, minutes_open: int
) -> None:
    """The MIS sends L with minutes late. Up to the window's length it is L; one minute more is
    after the close, so the import is refused, naming the line, and nothing is written."""
    set_up_morning(session, seed, tmp_path, {1: {"year": year}, 2: {"year": year}}, register=False)
    folder = tmp_path / "mis"
    folder.mkdir()
    day = str(MONDAY)
    write_marks(
        folder,
        [
            [upn(1), day, "AM", "L", str(minutes_open)],
            [upn(2), day, "AM", "L", str(minutes_open + 1)],
        ],
    )
    refused = cli(engine, "import", "--school", seed, "--marks", str(folder / "marks.csv"))
    assert refused.exit_code == 1
    said = " ".join(refused.stderr.split())
    assert "marks.csv:3: L with minutes_late" in said and "that is U, not L (reg 10)" in said
    assert "marks.csv:2:" not in said
    assert count(session, AttendanceMark) == 0

    write_marks(
        folder,
        [
            [upn(1), day, "AM", "L", str(minutes_open)],
            [upn(2), day, "AM", "U", str(minutes_open + 1)],
        ],
    )
    accepted = cli(engine, "import", "--school", seed, "--marks", str(folder / "marks.csv"))
    assert accepted.exit_code == 0, accepted.output
    assert count(session, AttendanceMark) == 2
