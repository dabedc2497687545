"""`attendance stats --format json` by the quick path gives, byte for byte, what the full
statistics service gives; whatever the quick path cannot read exactly goes to the full command.

The quick path (cli/stats_quick.py, school/statistics_quick.py) reads SQLite files with stdlib
sqlite3 and PostgreSQL with psycopg; every test runs on both.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session

from cli.entry import main
from cli.stats_quick import quick_stats_json
from demo.school_data import generate, write_csvs
from school.clock import FixedClock
from school.models import School
from school.policy_files import bundled_policy, parse_policy
from school.register_import import RegisterFiles, import_register
from school.schools import calendar_of, get_school, set_up_school
from school.statistics import attendance_statistics
from school.statistics_sql import CONSTANTS, statement
from school.statistics_sql_make import compiled_for
from tests.conftest import NOW

UNTIL = date(2026, 2, 27)
AS_OF_DATES = (
    date(2025, 8, 29),  # before the first school day
    date(2025, 9, 3),  # the first day of term, an INSET closure: nothing marked yet
    date(2025, 10, 1),
    date(2025, 10, 29),  # half-term holiday: counts back to the last school day
    date(2025, 12, 19),  # a morning-only day
    date(2026, 1, 5),  # Spring 1 starts on a closure: a new half-term before its first day
    UNTIL,
    date(2026, 8, 10),  # the summer holiday belongs to the year just finished
)
OTHER = "kts-academy"
OTHER_WINDOW = 3  # a school replacing N codes sooner than the law's 5 days


def _import(session: Session, school: str, seed: int, years: list[int], folder: Path) -> None:
    data = generate(30, seed, calendar_of(get_school(session, school)), years, until=UNTIL)
    write_csvs(data, folder)
    import_register(session, school, RegisterFiles.in_folder(folder), FixedClock(NOW))
    session.commit()


@dataclass(frozen=True)
class Registers:
    session: Session
    url: str
    schools: list[str]

    @property
    def sqlite(self) -> bool:
        return self.url.startswith("sqlite")


@pytest.fixture
def registers(
    engine: Engine, session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> Registers:
    """Two registers: Emmanuel Middle, and KTS Academy with a 3-day N-code window."""
    _import(session, school, 3, [5, 6, 7, 8], tmp_path / "one")
    text = bundled_policy(OTHER).read_text(encoding="utf-8")
    text = text.replace(
        "n_code_resolution_school_days = 5", f"n_code_resolution_school_days = {OTHER_WINDOW}"
    )
    policy = parse_policy(text, "kts-academy (3-day window)")
    assert policy.policy.la_duties.n_code_resolution_school_days == OTHER_WINDOW
    calendar = calendar_of(get_school(session, school))
    stored = get_school(session, school).calendar_text
    set_up_school(session, OTHER, policy, stored, "calendar", clock)
    session.commit()
    assert calendar_of(get_school(session, OTHER)).days == calendar.days
    _import(session, OTHER, 11, [9, 10, 11], tmp_path / "two")
    url = engine.url.render_as_string(hide_password=False)
    return Registers(session, url, [school, OTHER])


def _args(url: str, school: str, as_of: date) -> list[str]:
    return [
        "--database",
        url,
        "stats",
        "--school",
        school,
        "--as-of",
        str(as_of),
        "--format",
        "json",
    ]


Door = Callable[[list[str]], tuple[int, str, str]]


@pytest.fixture
def door(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Door:
    """The `attendance` program (cli/entry.py) run in this process: exit code, stdout, stderr."""

    def run(argv: list[str]) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["attendance", *argv])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _service_json(session: Session, school: str, as_of: date) -> str:
    figures = attendance_statistics(session, school, as_of)
    return json.dumps([f.as_json() for f in figures], indent=1) + "\n"


def test_the_stored_statements_are_the_ones_the_engine_compiles() -> None:
    """Change `statistics_query` and this fails until `python -m school.statistics_sql_make`."""
    assert compiled_for("sqlite") == (statement("sqlite"), CONSTANTS)
    assert compiled_for("postgresql") == (statement("postgresql"), CONSTANTS)


def test_quick_path_gives_the_service_figures_on_every_register_and_date(
    registers: Registers, door: Door
) -> None:
    session, url, schools = registers.session, registers.url, registers.schools
    seen = []
    for school in schools:
        for as_of in AS_OF_DATES:
            expected = _service_json(session, school, as_of)
            quick = quick_stats_json(_args(url, school, as_of))
            assert quick == expected, (school, as_of)
            code, out, err = door(_args(url, school, as_of))
            assert (code, err, out) == (0, "", expected), (school, as_of)
            seen.extend(json.loads(expected))
    # The comparison means something only if the registers exercise the figures.
    for key in (
        "national_threshold_first_met_on",
        "consecutive_unauthorised_school_days",
        "overdue_n_codes",
        "illness_school_days",
        "late_after_close_term",
        "attendance_pct",
    ):
        assert any(row[key] for row in seen), key


@pytest.mark.parametrize(
    "form",
    [
        ["stats", "--format=json", "--school={school}", "--as-of", "{as_of}"],
        ["stats", "--as-of={as_of}", "--wide", "--school", "{school}", "--format", "json"],
        [
            "stats",
            "--school",
            "elsewhere",
            "--school",
            "{school}",
            "--as-of={as_of}",
            "--format",
            "json",
        ],
    ],
    ids=["equals-signs", "reordered-and-wide", "last-school-wins"],
)
def test_every_form_typer_takes_gives_the_same(
    form: list[str], registers: Registers, door: Door, monkeypatch: pytest.MonkeyPatch
) -> None:
    school = registers.schools[0]
    argv = ["--database", registers.url, *(a.format(school=school, as_of=UNTIL) for a in form)]
    monkeypatch.setenv("ATTENDANCE_DATABASE_URL", "sqlite:////nonexistent/never.db")
    expected = _service_json(registers.session, school, UNTIL)
    assert quick_stats_json(argv) == expected  # taken by the quick path, not only the full one
    assert door(argv) == (0, expected, "")


def test_what_the_quick_path_cannot_read_goes_to_the_full_command(
    registers: Registers, door: Door, tmp_path: Path
) -> None:
    session, url, schools = registers.session, registers.url, registers.schools
    school = schools[0]
    # A wrong school id and a malformed date: the full command's refusal, exit 2.
    code, out, err = door(_args(url, "nowhere", UNTIL))
    assert (code, out) == (2, "") and "no school 'nowhere'" in err
    bad_date = [*_args(url, school, UNTIL)[:-3], "12/09/2025", "--format", "json"]
    code, out, err = door(bad_date)
    assert (code, out) == (2, "") and "is not a date: use YYYY-MM-DD" in err
    # A calendar stored with its dates quoted: valid (validation reads them as dates), but not
    # in the exact types the quick reading takes, so the full path answers, with the same figures.
    stored = get_school(session, school).calendar_text
    quoted = re.sub(r"^(start|end) = (\S+)", r'\1 = "\2"', stored, flags=re.MULTILINE)
    assert quoted != stored
    session.execute(update(School).where(School.id == school).values(calendar_text=quoted))
    session.commit()
    assert (
        calendar_of(get_school(session, school)).days
        == calendar_of(get_school(session, OTHER)).days
    )
    assert quick_stats_json(_args(url, school, UNTIL)) is None
    code, out, err = door(_args(url, school, UNTIL))
    assert (code, err, out) == (0, "", _service_json(session, school, UNTIL))
    if not registers.sqlite:
        return
    # A database behind the code: the full command's refusal, not figures from an old schema.
    # (A copy: the test database is shared by the whole run.)
    behind = tmp_path / "behind.db"
    with sqlite3.connect(url.removeprefix("sqlite:///")) as source, sqlite3.connect(behind) as copy:
        source.backup(copy)
        copy.execute("UPDATE alembic_version SET version_num = '0001'")
    code, out, err = door(_args(f"sqlite:///{behind}", OTHER, UNTIL))
    assert (code, out) == (1, "") and "is at schema revision 0001" in " ".join(err.split())


def test_the_quick_path_loads_neither_typer_nor_the_orm(registers: Registers) -> None:
    """The whole `attendance` process, as staff run it, imports none of what makes it slow
    (on PostgreSQL it needs psycopg, the driver, and nothing above it)."""
    school = registers.schools[1]
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from cli.entry import main; main()",
         *_args(registers.url, school, UNTIL)],
        capture_output=True, text=True, timeout=60, env={**os.environ},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == _service_json(registers.session, school, UNTIL)
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    heavy = {"sqlalchemy", "sqlmodel", "pydantic", "typer", "rich", "click"}
    heavy |= {"psycopg"} if registers.sqlite else set()
    assert sorted(m for m in modules if m.split(".")[0] in heavy) == []
