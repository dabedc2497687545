"""The `attendance` command against the test database: init, import, stats, policy check.

typer.testing.CliRunner in this Typer version keeps stdout and stderr apart (`result.stdout`,
`result.stderr`) and mixes both into `result.output`; the tests read the stream each message
belongs on. rich wraps at 80 columns here, so messages are compared with whitespace collapsed.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session
from typer.testing import CliRunner, Result

from cli.main import app
from school.calendar import SchoolCalendar
from school.models import CalendarDay, MarkAmendment, Pupil, RegisterImport, School
from school.policy_files import load_policy
from school.statistics import attendance_statistics
from tests.register_files import (
    DOCUMENTED_STATISTICS_KEYS,
    pupil_row,
    stored_marks,
    upn,
    write_contacts,
    write_marks,
    write_pupils,
)

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "emmanuel-middle.toml"
CALENDAR = ROOT / "policies" / "calendars" / "england-2025-27.toml"
SCHOOL = "emmanuel-middle"
JSON_KEYS = set(DOCUMENTED_STATISTICS_KEYS)
MARKS = [
    [upn(1), "2025-09-08", "AM", "/", ""],
    [upn(1), "2025-09-08", "PM", "N", ""],
    [upn(2), "2025-09-08", "AM", "L", "5"],
    [upn(2), "2025-09-08", "PM", "I", ""],
]

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def run(url: str, *args: str) -> Result:
    return runner.invoke(app, ["--database", url, *args])


@pytest.fixture
def initialised(url: str) -> str:
    result = run(url, "init", "--school", SCHOOL, "--policy", str(POLICY))
    assert result.exit_code == 0, result.output
    return url


@pytest.fixture
def register(tmp_path: Path) -> Path:
    folder = tmp_path / "register"
    folder.mkdir()
    write_pupils(folder, [pupil_row(1), pupil_row(2)])
    write_contacts(folder, [[upn(1), 1, "Ann One", "mother", "yes", "07700900001", ""]])
    write_marks(folder, MARKS)
    return folder


@pytest.fixture
def imported(initialised: str, register: Path) -> str:
    result = run(initialised, "import", "--school", SCHOOL, str(register))
    assert result.exit_code == 0, result.output
    return initialised


def marks_in(engine: Engine) -> set[tuple[object, ...]]:
    with Session(engine) as s:
        return stored_marks(s)


def test_init_creates_the_school(engine: Engine, url: str) -> None:
    result = run(
        url, "init", "--school", SCHOOL, "--policy", str(POLICY), "--calendar", str(CALENDAR)
    )
    assert result.exit_code == 0, result.output
    days = len(SchoolCalendar.from_toml(CALENDAR.read_text()).days)
    version = load_policy(POLICY).version
    assert flat(result.stdout).startswith(f"Created {SCHOOL} in ")
    assert f"policy version {version}, {days} school days" in flat(result.stdout)
    with Session(engine) as s:
        school = s.get(School, SCHOOL)
        assert school is not None
        assert (school.name, school.policy_version) == ("Emmanuel Middle School", version)
        assert school.calendar_text == CALENDAR.read_text()
        stored_days = s.scalar(select(func.count()).select_from(CalendarDay))
    assert stored_days == days

    again = run(url, "init", "--school", SCHOOL, "--policy", str(POLICY))  # bundled calendar
    assert again.exit_code == 0, again.output
    assert flat(again.stdout).startswith(f"Updated {SCHOOL} in ")
    assert f"{version} (unchanged), {days} school days (calendar unchanged)" in flat(again.stdout)


def test_init_refuses_a_policy_for_another_school(url: str) -> None:
    result = run(url, "init", "--school", "st-elsewhere", "--policy", str(POLICY))
    assert result.exit_code == 1
    assert "school.id: the policy is for 'emmanuel-middle', not 'st-elsewhere'" in flat(
        result.stderr
    )


def test_import_of_a_folder(engine: Engine, initialised: str, register: Path) -> None:
    result = run(initialised, "import", "--school", SCHOOL, str(register))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:5] == [
        "Imported into Emmanuel Middle School from pupils.csv, contacts.csv, marks.csv:",
        "  pupils    2 added, 0 changed",
        "  contacts  1 pupil's contacts replaced",
        "  marks     4 added, 0 amended, 0 unchanged",
        "Needs a person: 1 N mark to resolve, 1 pupil with no contact on file.",
    ]
    assert marks_in(engine) == {
        (upn(1), date(2025, 9, 8), "AM", "/", None),
        (upn(1), date(2025, 9, 8), "PM", "N", None),
        (upn(2), date(2025, 9, 8), "AM", "L", 5),
        (upn(2), date(2025, 9, 8), "PM", "I", None),
    }
    again = run(initialised, "import", "--school", SCHOOL, str(register))
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("Nothing to change: 4 marks already as imported.\n")
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(RegisterImport)) == 1


def test_stats_json_has_exactly_the_documented_keys_and_the_engine_figures(
    engine: Engine, imported: str
) -> None:
    result = run(imported, "stats", "--school", SCHOOL, "--as-of", "2025-09-12", "--format", "json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert isinstance(printed, list) and len(printed) == 2
    for row in printed:
        assert set(row) == JSON_KEYS
    with Session(engine) as s:
        expected = [f.as_json() for f in attendance_statistics(s, SCHOOL, date(2025, 9, 12))]
    assert printed == expected
    by_upn = {row["upn"]: row for row in printed}
    one, two = by_upn[upn(1)], by_upn[upn(2)]
    assert (one["possible_sessions"], one["present_sessions"], one["unauthorised_sessions"]) == (
        2,
        1,
        1,
    )
    assert (two["possible_sessions"], two["present_sessions"], two["authorised_sessions"]) == (
        2,
        1,
        1,
    )
    assert one["attendance_pct"] == two["attendance_pct"] == 50.0
    assert (two["late_before_close_term"], two["late_after_close_term"]) == (1, 0)
    assert one["compulsory_school_age"] is True
    assert one["national_threshold_first_met_on"] is None


def test_stats_table_names_the_school(imported: str) -> None:
    result = run(imported, "stats", "--school", SCHOOL, "--as-of", "2025-09-12")
    assert result.exit_code == 0, result.output
    text = flat(result.stdout)
    assert "Emmanuel Middle School: attendance to Friday 12 September 2025" in text
    assert re.search(r"│ Pupils on roll │ 2 │", text), text
    assert re.search(r"│ Overall attendance │ 50\.0% │", text), text


def test_stats_fits_80_columns_and_wide_shows_every_column(
    imported: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    narrow = run(imported, "stats", "--school", SCHOOL, "--as-of", "2025-09-12")
    assert narrow.exit_code == 0, narrow.output
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 80, narrow.stdout
    assert "Attend." in narrow.stdout and "Ill days" not in narrow.stdout
    assert "…" not in narrow.stdout  # no heading or figure cut short

    monkeypatch.setenv("COLUMNS", "200")
    wide = run(imported, "stats", "--school", SCHOOL, "--as-of", "2025-09-12", "--wide")
    assert wide.exit_code == 0, wide.output
    for heading in ("UPN", "Poss.", "Unauth run", "Ill days", "L / U term", "CSA"):
        assert heading in wide.stdout


def test_bad_import_exits_1_listing_every_line(
    engine: Engine, initialised: str, tmp_path: Path
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    write_pupils(folder, [pupil_row(1)])
    write_marks(
        folder,
        [
            [upn(1), "2025-09-08", "AM", "/", ""],
            [upn(1), "2025-09-08", "PM", "H", ""],
            [upn(1), "2025-09-13", "AM", "/", ""],
            [upn(1), "2025-09-09", "AM", "/", ""],
            [upn(1), "2025-09-09", "AM", "N", ""],
        ],
    )
    result = run(initialised, "import", "--school", SCHOOL, str(folder))
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("marks.csv:")]
    assert sorted(line.split(" ", 1)[0] for line in lines) == [
        "marks.csv:3:",
        "marks.csv:4:",
        "marks.csv:6:",
    ]
    assert "Refused; nothing was written:" in result.stderr
    assert "marks.csv:" not in result.stdout
    assert marks_in(engine) == set()
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Pupil)) == 0


def test_amendment_needs_by_and_reason(engine: Engine, imported: str, tmp_path: Path) -> None:
    folder = tmp_path / "amend"
    folder.mkdir()
    write_marks(folder, [[upn(1), "2025-09-08", "PM", "I", ""]])
    before = marks_in(engine)

    no_by = run(imported, "import", "--school", SCHOOL, "--reason", "Parent phoned", str(folder))
    assert no_by.exit_code == 1
    assert f"marks.csv:2: would amend {upn(1)} 2025-09-08 PM from N to I" in flat(no_by.stderr)
    assert '--by "Name, Position"' in flat(no_by.stderr)

    no_position = run(
        imported,
        "import",
        "--school",
        SCHOOL,
        "--by",
        "Jo Bloggs",
        "--reason",
        "Parent phoned",
        str(folder),
    )
    assert no_position.exit_code == 2
    assert "--by: 'Jo Bloggs' must be \"Name, Position\"" in flat(no_position.stderr)
    assert marks_in(engine) == before

    done = run(
        imported,
        "import",
        "--school",
        SCHOOL,
        "--by",
        "Jo Bloggs, Attendance Officer",
        "--reason",
        "Parent phoned",
        str(folder),
    )
    assert done.exit_code == 0, done.output
    assert "marks 0 added, 1 amended, 0 unchanged" in flat(done.stdout)
    assert (upn(1), date(2025, 9, 8), "PM", "I", None) in marks_in(engine)
    with Session(engine) as s:
        amendment = s.scalars(select(MarkAmendment)).one()
    assert (
        amendment.original_code,
        amendment.amended_code,
        amendment.reason,
        amendment.amended_by_name,
        amendment.amended_by_position,
    ) == (
        "N",
        "I",
        "Parent phoned",
        "Jo Bloggs",
        "Attendance Officer",
    )


def test_policy_check_passes_a_good_file() -> None:
    result = runner.invoke(app, ["policy", "check", str(POLICY)])
    assert result.exit_code == 0, result.output
    assert f"{POLICY}: ok (Emmanuel Middle School, version {load_policy(POLICY).version})" in flat(
        result.stdout
    )


def test_policy_check_names_the_broken_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = POLICY.read_text()
    am_window = 'session = "AM"\nopens = "08:40"\ncloses = "09:00"'
    assert am_window in text
    (tmp_path / "broken.toml").write_text(
        text.replace(am_window, am_window.replace("09:00", "09:40"))
    )
    monkeypatch.chdir(tmp_path)  # a short relative path, so rich does not fold it
    result = runner.invoke(app, ["policy", "check", str(POLICY), "broken.toml"])
    assert result.exit_code == 1
    assert f"{POLICY}: ok" in flat(result.stdout)
    assert "broken.toml: register[1]: the register is open 60 minutes" in flat(result.stderr)
    assert "broken.toml" not in result.stdout


def test_stats_for_an_unknown_school_says_how_to_create_it(initialised: str) -> None:
    result = run(initialised, "stats", "--school", "nowhere", "--as-of", "2025-09-12")
    assert result.exit_code == 2
    assert flat(result.stderr) == (
        "Error: --school: no school 'nowhere' (set up here: emmanuel-middle); create one with "
        "`attendance init --school ID --policy FILE --calendar FILE`"
    )
    assert result.stdout == ""


def test_stats_with_a_malformed_date_exits_2(initialised: str) -> None:
    result = run(initialised, "stats", "--school", SCHOOL, "--as-of", "12/09/2025")
    assert result.exit_code == 2
    assert "--as-of: '12/09/2025' is not a date: use YYYY-MM-DD" in flat(result.stderr)


def test_stats_before_init_says_how_to_create_the_school(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["--database", f"sqlite:///{tmp_path / 'fresh.db'}", "stats", "--school", SCHOOL]
    )
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "has not been set up: run `attendance init --school" in flat(result.stderr)
