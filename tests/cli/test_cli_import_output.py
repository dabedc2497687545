"""`attendance import` prints its counts first, then what needs a person, in 80 columns; and
`--format json` in the shape docs/cli-json.md gives (issue 9 item 10)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.cli.test_cli import SCHOOL, run
from tests.register_files import pupil_row, upn, write_contacts, write_marks, write_pupils

COUNTS = {
    "pupils_added", "pupils_changed", "contacts_changed", "marks_added", "marks_amended",
    "marks_unchanged",
}  # fmt: skip
NEED = {"kind", "upn", "name", "what", "date", "session", "overdue_from"}


def _files(folder: Path, pupils: int) -> Path:
    """Pupils 1..n; only pupil 1 has a contact; every pupil N on Monday 8 September 2025 AM."""
    folder.mkdir()
    write_pupils(folder, [pupil_row(n) for n in range(1, pupils + 1)])
    write_contacts(folder, [[upn(1), 1, "Ann One", "mother", "yes", "07700900001", ""]])
    write_marks(folder, [[upn(n), "2025-09-08", "AM", "N", ""] for n in range(1, pupils + 1)])
    return folder


def test_import_json_counts_and_what_needs_a_person(
    engine: Engine, initialised: str, tmp_path: Path
) -> None:
    folder = _files(tmp_path / "register", 3)
    result = run(initialised, "import", "--school", SCHOOL, str(folder), "--format", "json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert set(shown) == {"school", "files", "changed", "counts", "needs_a_person"}
    assert shown["files"] == ["pupils.csv", "contacts.csv", "marks.csv"]
    assert shown["counts"] == dict.fromkeys(COUNTS, 0) | {"pupils_added": 3, "marks_added": 3,
                                                          "contacts_changed": 1}  # fmt: skip
    needs = shown["needs_a_person"]
    assert all(set(n) == NEED for n in needs)
    # Each N is overdue from the fifth school day after it (Monday 8 Sep 2025 -> Monday 15th).
    resolve = [(n["upn"], n["date"], n["session"], n["overdue_from"]) for n in needs[:3]]
    assert sorted(resolve) == sorted((upn(n), "2025-09-08", "AM", "2025-09-15") for n in (1, 2, 3))
    assert [n["kind"] for n in needs] == ["resolve_n"] * 3 + ["no_contact"] * 2
    assert sorted(n["upn"] for n in needs[3:]) == sorted([upn(2), upn(3)])

    again = run(initialised, "import", "--school", SCHOOL, str(folder), "--format", "json")
    assert json.loads(again.stdout)["changed"] is False


def test_import_summary_first_fits_80_columns_and_wide_shows_every_row(
    engine: Engine, initialised: str, tmp_path: Path
) -> None:
    folder = _files(tmp_path / "register", 25)
    result = run(initialised, "import", "--school", SCHOOL, str(folder))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Imported into Emmanuel Middle School")
    assert lines[3] == "  marks     25 added, 0 amended, 0 unchanged"
    assert lines[4] == "Needs a person: 25 N marks to resolve, 24 pupils with no contact on file."
    assert all(len(line) <= 80 for line in lines)
    assert "... and 29 more (--wide shows them all)." in result.stdout
    assert "UPN" not in result.stdout  # the UPN and year columns are for --wide

    wide = run(initialised, "import", "--school", SCHOOL, str(folder), "--wide")
    assert wide.exit_code == 0, wide.output
    assert wide.stdout.startswith("Nothing to change: 25 marks already as imported.")
    assert "UPN" in wide.stdout and "more" not in wide.stdout
    assert all(f"Pupil{n} " in wide.stdout for n in range(1, 26))


def test_a_refused_import_prints_nothing_on_stdout_in_json(
    initialised: str, tmp_path: Path
) -> None:
    folder = _files(tmp_path / "register", 1)
    write_marks(folder, [[upn(1), "2025-09-08", "AM", "L", "45"]])  # after the 09:00 close
    result = run(initialised, "import", "--school", SCHOOL, str(folder), "--format", "json")
    assert result.exit_code == 1 and result.stdout == ""
    assert "marks.csv:2: L with minutes_late 45 is an arrival at 09:25" in result.stderr


def test_an_amending_import_needs_a_reason_that_says_why(
    engine: Engine, imported: str, tmp_path: Path
) -> None:
    """At the door (exit 2, one line) and in the service itself (nothing written)."""
    from sqlmodel import Session

    from school.amendments import Amender
    from school.clock import SystemClock
    from school.register_import import RegisterFiles, RegisterImportError, import_register

    folder = tmp_path / "amend"
    folder.mkdir()
    write_marks(folder, [[upn(1), "2025-09-08", "PM", "I", ""]])  # was N
    by = ("--by", "Jo Bloggs, Attendance Officer")
    for said in ("   ", "n/a", "-"):
        result = run(imported, "import", "--school", SCHOOL, str(folder), *by, "--reason", said)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("Error: --reason:") and result.stderr.count("\n") == 1
    with Session(engine) as session, pytest.raises(RegisterImportError) as refused:
        import_register(
            session, SCHOOL, RegisterFiles(marks=folder / "marks.csv"), SystemClock(),
            by=Amender("Jo Bloggs", "Attendance Officer"), reason=" \t ",
        )  # fmt: skip
    assert "reason is blank" in refused.value.lines()[-1]
    assert "would amend" in refused.value.lines()[0]


def test_import_runs_with_the_collector_set_for_a_batch_and_puts_it_back(
    engine: Engine, initialised: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    import school.register_import as register_import
    from school.batch_gc import BATCH_THRESHOLD

    seen: list[int] = []
    real = register_import.import_register

    def watched(*args: object, **kwargs: object) -> object:
        seen.append(gc.get_threshold()[0])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(register_import, "import_register", watched)
    before = gc.get_threshold()
    result = run(initialised, "import", "--school", SCHOOL, str(_files(tmp_path / "r", 2)))
    assert result.exit_code == 0, result.output
    assert seen == [BATCH_THRESHOLD]
    assert gc.get_threshold() == before
