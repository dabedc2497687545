"""A seed school at the command line in simulated time, for the duties' worked scenarios."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from cli.main import app
from school import clock as clock_module
from school.calendar import SchoolCalendar, SchoolDay
from tests.register_files import upn, write_contacts, write_marks, write_pupils

ROOT = Path(__file__).resolve().parents[2]
CALENDAR = SchoolCalendar.from_toml(
    (ROOT / "policies" / "calendars" / "england-2025-27.toml").read_text()
)
STAFF = "Jo Bloggs, Attendance Officer"
D = date.fromisoformat
runner = CliRunner()

# A code for (school day, session), or None for no mark.
Pattern = Callable[[SchoolDay, str], str | None]


def present(day: SchoolDay, session: str) -> str:
    return "/" if session == "AM" else "\\"


def from_day(first: str, code: str, last: str = "9999-12-31") -> Pattern:
    """The code on school days from `first` to `last`, present on the others."""
    return lambda day, s: code if D(first) <= day.date <= D(last) else present(day, s)


@dataclass
class SchoolAtTheDoor:
    """One seed school set up with `attendance init`, driven through `attendance ...`."""

    url: str
    school: str
    year_groups: list[int]
    folder: Path
    monkeypatch: pytest.MonkeyPatch

    @property
    def entry_year(self) -> int:
        return self.year_groups[0]

    @property
    def final_year(self) -> int:
        return self.year_groups[-1]

    @property
    def middle_year(self) -> int:
        return self.year_groups[len(self.year_groups) // 2]

    def at(self, day: str, hhmm: str = "16:00") -> None:
        """Move the clock to a time on a day (UTC; after school in London either way)."""
        when = datetime.fromisoformat(f"{day}T{hhmm}:00+00:00")
        self.monkeypatch.setattr(clock_module.SystemClock, "now", lambda _self: when)

    def run(self, *args: str, on: str | None = None) -> Result:
        if on is not None:
            self.at(on)
        return runner.invoke(app, ["--database", self.url, *args])

    def ok(self, *args: str, on: str | None = None) -> Result:
        result = self.run(*args, on=on)
        assert result.exit_code == 0, result.output
        return result

    def json(self, *args: str, on: str | None = None) -> Any:
        return json.loads(self.ok(*args, "--format", "json", on=on).stdout)

    def duties(self, on: str) -> list[dict[str, Any]]:
        """`duties review` as of a day, the clock at that day's end: every open duty."""
        result = self.json("duties", "review", "--school", self.school, "--date", on, on=on)
        return list(result["duties"])

    def import_register(
        self,
        pupils: Sequence[Sequence[object]],
        patterns: dict[int, Pattern],
        first: str,
        last: str,
        contacts: Sequence[Sequence[object]] = (),
    ) -> None:
        """Import pupils (rows of tests.register_files.pupil_row) and their marks, each pupil
        marked only while on roll, on the school days from first to last."""
        self.folder.mkdir(parents=True, exist_ok=True)
        on_roll = {str(row[0]): (str(row[5]), str(row[6]) or "9999-12-31") for row in pupils}
        rows = []
        for n, pattern in patterns.items():
            admitted, left = on_roll[upn(n)]
            for day in CALENDAR.days:
                if not (D(first) <= day.date <= D(last) and D(admitted) <= day.date <= D(left)):
                    continue
                for s in day.sessions:
                    code = pattern(day, s)
                    if code is not None:
                        rows.append([upn(n), day.date.isoformat(), s, code, ""])
        write_pupils(self.folder, pupils)
        write_marks(self.folder, rows)
        write_contacts(self.folder, contacts)
        self.ok("import", "--school", self.school, str(self.folder), on=last)


def set_up(url: str, school: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> SchoolAtTheDoor:
    from school.policy_files import load_policy

    policy = ROOT / "policies" / f"{school}.toml"
    result = runner.invoke(
        app, ["--database", url, "init", "--school", school, "--policy", str(policy)]
    )
    assert result.exit_code == 0, result.output
    years = [int(y) for y in load_policy(policy).policy.school.year_groups]
    return SchoolAtTheDoor(url, school, years, folder, monkeypatch)


def of_kind(duties: Sequence[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in duties if d["kind"] == kind]
