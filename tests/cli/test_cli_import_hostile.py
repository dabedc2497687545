"""Hostile register files through `attendance import` (issue 13 item 5): marks after today, the
plain present marks in the wrong session, control characters, numbers no text can reach, and a
flood of bad rows summed up in a screenful; each refusal writes nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, create_engine
from typer.testing import CliRunner, Result

from cli.main import DEFAULT_CALENDAR, app
from school.bundled import POLICY_DIR
from school.clock import SCHOOL_TIME_ZONE
from school.register_csv import Problems
from school.tables import CONTACTS, MARKS, PUPILS
from tests.register_files import pupil_row, upn, write_contacts, write_marks, write_pupils

runner = CliRunner()
SEEDS = ["emmanuel-middle", "kts-academy"]
# "Today" for every test: Monday 15 September 2025, mid-morning.
TODAY = datetime(2025, 9, 15, 10, 30, tzinfo=SCHOOL_TIME_ZONE)


def run(url: str, *args: str) -> Result:
    return runner.invoke(app, ["--database", url, *args])


@pytest.fixture
def school(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str]:
    from school import clock as clock_module

    monkeypatch.setattr(clock_module.SystemClock, "now", lambda _: TODAY)
    seed = request.param
    url = f"sqlite:///{tmp_path / 'school.db'}"
    policy = POLICY_DIR / f"{seed}.toml"
    done = run(
        url, "init", "--school", seed, "--policy", str(policy), "--calendar", str(DEFAULT_CALENDAR)
    )
    assert done.exit_code == 0, done.output
    return url, seed


def folder_with(
    tmp_path: Path, marks: list[list[object]], *, pupils: list[list[object]] | None = None,
    contacts: list[list[object]] | None = None,
) -> Path:  # fmt: skip
    folder = tmp_path / "register"
    folder.mkdir(exist_ok=True)
    write_pupils(folder, pupils or [pupil_row(1, year=7), pupil_row(2, year=7)])
    write_contacts(
        folder, contacts or [[upn(1), 1, "Ann One", "mother", "yes", "07700 900001", ""]]
    )
    write_marks(folder, marks)
    return folder


def stored(url: str) -> tuple[int, int, int]:
    with Session(create_engine(url)) as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(t)) or 0
            for t in (PUPILS, CONTACTS, MARKS)
        )


def refused_lines(result: Result) -> list[str]:
    assert result.exit_code == 1, result.output
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("school", SEEDS, indirect=True)
@pytest.mark.parametrize(
    "where,column",
    [("pupils", "given_name"), ("pupils", "family_name"), ("contacts", "name"),
     ("contacts", "relationship"), ("contacts", "address_line1")],
)  # fmt: skip
@pytest.mark.parametrize("control", ["\x1b[31m", "\x00", "\x7f", "\u0085", "\r"])
def test_a_control_character_in_any_text_field_is_refused(
    school: tuple[str, str], tmp_path: Path, where: str, column: str, control: str
) -> None:
    url, seed = school
    pupil = pupil_row(1, year=7)
    contact: list[object] = [upn(1), 1, "Ann One", "mother", "yes", "07700 900001", "",
                             "1 High Street", "", "Leeds", "LS25 4AJ"]  # fmt: skip
    if where == "pupils":
        pupil[{"given_name": 1, "family_name": 2}[column]] = f"Zo{control}e"
    else:
        contact[{"name": 2, "relationship": 3, "address_line1": 7}[column]] = f"An{control}n"
    folder = tmp_path / "register"
    folder.mkdir()
    write_pupils(folder, [pupil])
    from school.register_csv import CONTACT_ADDRESS_COLUMNS, CONTACT_COLUMNS
    from tests.register_files import write_csv

    write_csv(folder / "contacts.csv", CONTACT_COLUMNS + CONTACT_ADDRESS_COLUMNS, [contact])
    lines = refused_lines(run(url, "import", "--school", seed, str(folder)))
    assert any(
        line.startswith(f"{where}.csv:2: {column} holds a control character") for line in lines
    ), lines
    assert stored(url) == (0, 0, 0)


@pytest.mark.parametrize("school", SEEDS, indirect=True)
def test_mobiles_are_numbers_a_text_can_reach(school: tuple[str, str], tmp_path: Path) -> None:
    """The one check of school/contact_details.py: a landline, letters and a short number are
    refused; a UK mobile in any usual spelling is stored as E.164."""
    url, seed = school
    rows: list[list[object]] = [
        [upn(1), 1, "Ann One", "mother", "yes", "0113 496 0000", ""],  # a Leeds landline
        [upn(1), 2, "Bob One", "father", "yes", "07700 9OO123", ""],  # letter O for zero
        [upn(1), 3, "Cy One", "uncle", "no", "07700 9001", ""],  # too short
        [upn(2), 1, "Di Two", "mother", "yes", "+44 (0)7700 900002", ""],
    ]
    folder = folder_with(tmp_path, [[upn(1), "2025-09-08", "AM", "/", ""]], contacts=rows)
    lines = refused_lines(run(url, "import", "--school", seed, str(folder)))
    bad = sorted(line.split(":")[1] for line in lines if "mobile" in line)
    assert bad == ["2", "3", "4"], lines
    assert stored(url) == (0, 0, 0)

    mother = [upn(1), 1, "Ann One", "mother", "yes", "07700 900001", ""]
    folder_with(tmp_path, [[upn(1), "2025-09-08", "AM", "/", ""]], contacts=[*rows[3:], mother])
    assert run(url, "import", "--school", seed, str(folder)).exit_code == 0
    with Session(create_engine(url)) as session:
        mobiles = set(session.scalars(select(CONTACTS.c.mobile)))
    assert mobiles == {"+447700900002", "+447700900001"}


@pytest.mark.parametrize("school", SEEDS[:1], indirect=True)
@pytest.mark.parametrize("bad_rows", [50, 51, 5000])
def test_errors_are_capped_at_fifty_with_a_count_per_kind_and_all_in_the_errors_file(
    school: tuple[str, str], tmp_path: Path, bad_rows: int
) -> None:
    """Two kinds of bad row, alternating: an unknown code and a session that is not AM or PM.
    The screen shows the first 50 problems, then how many of each kind; the file holds all."""
    url, seed = school
    marks: list[list[object]] = [
        [upn(1 + i % 2), "2025-09-08", "AM", "ZZ", ""] if i % 2 == 0
        else [upn(1 + i % 2), "2025-09-08", "XM", "/", ""]
        for i in range(bad_rows)
    ]  # fmt: skip
    folder = folder_with(tmp_path, marks)
    every = tmp_path / "problems.txt"
    result = run(url, "import", "--school", seed, str(folder), "--errors-file", str(every))
    lines = refused_lines(result)
    assert lines[0] == f"Refused; nothing was written: {bad_rows} problems."
    listed = [line for line in lines if line.startswith("marks.csv:")]
    assert len(listed) == min(bad_rows, 50)
    assert len(lines) <= 60
    written = every.read_text(encoding="utf-8").splitlines()
    assert len(written) == bad_rows
    assert written[:50] == listed
    if bad_rows > 50:
        assert lines[51] == f"... and {bad_rows - 50} more. By kind:"
        counts = {line.split()[0] for line in lines[52:54]}
        assert counts == {str((bad_rows + 1) // 2), str(bad_rows // 2)}
    assert stored(url) == (0, 0, 0)


def test_problems_of_one_kind_differ_only_in_their_values() -> None:
    problems = Problems()
    problems.add("marks.csv", 2, "unknown attendance code 'Q'")
    problems.add("marks.csv", 9, "unknown attendance code 'ZZ'")
    problems.add("marks.csv", 12, f"unknown pupil {upn(3)}: not in pupils.csv or on roll")
    problems.add("marks.csv", 13, f"unknown pupil {upn(4)}: not in pupils.csv or on roll")
    problems.add("marks.csv", 14, "2025-09-16 is after today (2025-09-15): a register records")
    assert problems.kinds == {
        "marks.csv: unknown attendance code …": 2,
        "marks.csv: unknown pupil …: not in pupils.csv or on roll": 2,
        "marks.csv: … is after today (…): a register records": 1,
    }
    assert len(problems.items) == 5
