"""The legal scenarios' surroundings: a seed school, a register, the CLI at a simulated time."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from cli.main import app
from school.calendar import SchoolDay
from school.clock import SCHOOL_TIME_ZONE, FixedClock
from school.policy_files import bundled_policy, load_policy
from school.schools import set_up_school
from tests.conftest import CALENDAR
from tests.register_builder import Pattern, build_register, calendar, days_between, present
from tests.register_files import pupil_row, upn, write_contacts, write_marks

D = date.fromisoformat
BY = ("--by", "Ann Lee, Attendance Lead")
runner = CliRunner()
YEAR = {"basildon-lower": 8}  # a year group each seed teaches (Year 5 elsewhere)
SEEDS = ("emmanuel-middle", "st-john-bosco", "basildon-lower", "micklefield", "kts-academy")


class Door:
    """`attendance …` against one database, with "now" at 4pm on the day asked for."""

    def __init__(self, engine: Engine, monkeypatch: pytest.MonkeyPatch, school: str) -> None:
        self.url = engine.url.render_as_string(hide_password=False)
        self.monkeypatch, self.school = monkeypatch, school

    def on(self, day: str) -> Door:
        from school import clock as clock_module

        when = datetime.combine(D(day), time(16, 0), tzinfo=SCHOOL_TIME_ZONE).astimezone(UTC)
        self.monkeypatch.setattr(clock_module.SystemClock, "now", lambda self: when)
        return self

    def run(self, *args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["--database", self.url, *args])
        return result.exit_code, re.sub(r"\s+", " ", result.stdout + result.stderr)

    def ok(self, *args: str) -> str:
        code, said = self.run(*args)
        assert code == 0, said
        return said

    def json(self, *args: str) -> Any:
        result = runner.invoke(app, ["--database", self.url, *args, "--format", "json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def review(self, day: str) -> Any:
        self.on(day)
        return self.json("review", "--school", self.school, "--date", day)

    def amend(self, folder: Path, marks: list[list[str]], reason: str) -> None:
        folder.mkdir(parents=True)
        write_marks(folder, marks)
        self.ok("import", "--school", self.school, str(folder), *BY, "--reason", reason)


def seed_school(
    session: Session,
    school: str,
    folder: Path,
    marks: dict[int, dict[tuple[date, str], str]],
    first: str = "2025-09-08",
    last: str = "2025-10-10",
    year: int | None = None,
) -> None:
    """A seed school on the bundled calendar; each pupil present but for the given marks,
    with two parents on file with parental responsibility and a grandmother without."""
    clock = FixedClock(datetime(2025, 9, 1, 9, tzinfo=UTC))
    set_up_school(
        session, school, load_policy(bundled_policy(school)), CALENDAR.read_text(), "c", clock
    )
    session.commit()
    folder.mkdir(parents=True)
    write_contacts(
        folder,
        [
            row
            for n in marks
            for row in (
                [upn(n), 1, f"Mary Parent{n}", "Mother", "yes", "", f"m{n}@example.org"],
                [upn(n), 2, f"John Parent{n}", "Father", "yes", "", f"j{n}@example.org"],
                [upn(n), 3, f"Gran Parent{n}", "Grandmother", "no", "", f"g{n}@example.org"],
            )
        ],
    )
    patterns: dict[int, Pattern] = {n: _pattern(m) for n, m in marks.items()}
    days = days_between(calendar(session, school), D(first), D(last))
    year = year or YEAR.get(school, 5)
    rows: dict[int, Sequence[object]] = {
        n: pupil_row(n, year=year, born=f"{2020 - year}-03-10") for n in marks
    }
    build_register(session, school, folder, clock, rows, patterns, days)


def _pattern(marks: dict[tuple[date, str], str]) -> Pattern:
    def code(day: SchoolDay, part: str) -> str:
        return marks.get((day.date, part)) or present(day, part)

    return code


def week(monday: str, code: str, sessions: int = 10) -> dict[tuple[date, str], str]:
    """The first `sessions` sessions of a school week from a Monday, coded `code`."""
    start = D(monday)
    every = [(date.fromordinal(start.toordinal() + i), s) for i in range(5) for s in ("AM", "PM")]
    return dict.fromkeys(every[:sessions], code)
