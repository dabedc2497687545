"""Register import: every refusal names `file:line:` and writes nothing; amendments are audited."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from school.amendments import Amender
from school.clock import FixedClock
from school.models import (
    AdmissionAmendment,
    AttendanceMark,
    Contact,
    MarkAmendment,
    Pupil,
    RegisterImport,
)
from school.register_csv import MARK_COLUMNS
from school.register_import import ImportResult, RegisterFiles, RegisterImportError, import_register
from tests.register_files import (
    pupil_row,
    stored_marks,
    upn,
    write_contacts,
    write_csv,
    write_marks,
    write_pupils,
)

COUNTED = (
    "pupil",
    "contact",
    "attendance_mark",
    "mark_amendment",
    "admission_amendment",
    "register_import",
)
BY = Amender("Jo Bloggs", "Attendance Officer")
_folders = itertools.count()


# --- helpers -------------------------------------------------------------------------------


def folder(tmp_path: Path) -> Path:
    """A fresh folder for one import's files."""
    path = tmp_path / f"import{next(_folders)}"
    path.mkdir()
    return path


def files_for(
    tmp_path: Path,
    *,
    pupils: Sequence[Sequence[object]] | None = None,
    contacts: Sequence[Sequence[object]] | None = None,
    marks: Sequence[Sequence[object]] | None = None,
) -> RegisterFiles:
    where = folder(tmp_path)
    if pupils is not None:
        write_pupils(where, pupils)
    if contacts is not None:
        write_contacts(where, contacts)
    if marks is not None:
        write_marks(where, marks)
    return RegisterFiles.in_folder(where)


def counts(session: Session) -> dict[str, int]:
    tables = SQLModel.metadata.tables
    return {
        name: session.scalar(select(func.count()).select_from(tables[name])) or 0
        for name in COUNTED
    }


def snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    return {
        table.name: [
            tuple(row)
            for row in session.execute(select(table).order_by(*table.primary_key.columns)).all()
        ]
        for table in SQLModel.metadata.sorted_tables
    }


def refused(
    session: Session, school: str, clock: FixedClock, files: RegisterFiles, **kwargs: Any
) -> list[str]:
    """Run an import that must be refused; check nothing was written; return the problems."""
    before_counts, before = counts(session), snapshot(session)
    with pytest.raises(RegisterImportError) as caught:
        import_register(session, school, files, clock, **kwargs)
    assert counts(session) == before_counts
    assert snapshot(session) == before
    return caught.value.problems


def the_problem(problems: list[str]) -> str:
    assert len(problems) == 1, problems
    return problems[0]


def as_utc(moment: datetime) -> datetime:
    """SQLite hands timezone-aware columns back naive (in UTC); PostgreSQL aware."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def contacts_of(session: Session, pupil_upn: str) -> list[tuple[Any, ...]]:
    rows = session.execute(
        select(
            Contact.priority,
            Contact.name,
            Contact.relationship,
            Contact.parental_responsibility,
            Contact.mobile,
            Contact.email,
        )
        .join(Pupil, Pupil.id == Contact.pupil_id)  # type: ignore[arg-type]
        .where(Pupil.upn == pupil_upn)
        .order_by(Contact.priority)
    ).all()
    return [tuple(r) for r in rows]


PUPILS = [pupil_row(1), pupil_row(2), pupil_row(3, flags="fsm;ehcp")]
CONTACTS = [
    [upn(1), 1, "Ann One", "mother", "true", "07700 900001", ""],
    [upn(1), 2, "Bob One", "father", "yes", "", "bob@example.org"],
    [upn(2), 1, "Cat Two", "carer", "false", "+447700900002", "cat@example.org"],
]
GOOD_MARK = [upn(1), "2025-09-08", "AM", "/", ""]


@pytest.fixture
def on_roll(session: Session, school: str, clock: FixedClock, tmp_path: Path) -> str:
    """Three pupils on roll from 2025-09-03, two with contacts."""
    result = import_register(
        session, school, files_for(tmp_path, pupils=PUPILS, contacts=CONTACTS), clock
    )
    assert (result.pupils_added, result.contacts_changed) == (3, 2)
    return school


# --- one test per kind of refusal ------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_row", "fragment"),
    [
        pytest.param(
            [upn(2), "2025-09-08", "AM", "Q9", ""],
            "unknown attendance code 'Q9'",
            id="unknown-code",
        ),
        pytest.param(
            [upn(99), "2025-09-08", "AM", "/", ""],
            f"unknown pupil {upn(99)}: not in pupils.csv or on roll",
            id="unknown-pupil",
        ),
        pytest.param(
            [upn(2), "2025-09-06", "AM", "/", ""], "2025-09-06 is not a school day", id="saturday"
        ),
        pytest.param(
            [upn(2), "2025-10-28", "PM", "\\", ""],
            "2025-10-28 is not a school day",
            id="half-term-holiday",
        ),
        pytest.param(
            [upn(2), "2025-11-14", "AM", "N", ""],
            "2025-11-14 is not a school day",
            id="closure-with-a-real-code",
        ),
        pytest.param(
            [upn(2), "2025-9-8", "AM", "/", ""],
            "date '2025-9-8' is not a date in the form YYYY-MM-DD",
            id="short-date",
        ),
        pytest.param(
            [upn(2), "08/09/2025", "AM", "/", ""],
            "date '08/09/2025' is not a date in the form YYYY-MM-DD",
            id="uk-date",
        ),
        pytest.param(
            [upn(2), "2025-02-30", "AM", "/", ""],
            "date '2025-02-30' is not a real date",
            id="impossible-date",
        ),
        pytest.param(
            [upn(2), "2025-12-19", "PM", "\\", ""],
            "2025-12-19 has no PM session in the school calendar",
            id="session-not-held",
        ),
        pytest.param(
            [upn(2), "2025-09-08", "EV", "/", ""], "session 'EV' must be AM or PM", id="bad-session"
        ),
        pytest.param(
            [upn(2), "2025-09-08", "AM", "X", ""],
            "code X is for pupils not of compulsory school age",
            id="x-for-csa-pupil",
        ),
        pytest.param(
            [upn(2), "2025-09-08", "AM", "/", "5"],
            "minutes_late is given for code /; only L and U marks are late",
            id="minutes-on-present",
        ),
        pytest.param(
            [upn(2), "2025-09-08", "AM", "N", "10"],
            "minutes_late is given for code N",
            id="minutes-on-absence",
        ),
        pytest.param(
            [upn(2), "2025-09-08", "AM", "L", "241"],
            "minutes_late 241 is outside 0 to 240",
            id="minutes-too-many",
        ),
        pytest.param(
            [upn(2), "2025-09-08", "AM", "#", ""],
            "code # (planned closure) on 2025-09-08, which the calendar says is a school day",
            id="closure-code-on-school-day",
        ),
        pytest.param(
            [upn(2), "2025-09-08", "AM", "/"], "has 4 fields; the header has 5", id="short-row"
        ),
    ],
)
def test_bad_mark_row_is_refused_with_its_line(
    session: Session,
    on_roll: str,
    clock: FixedClock,
    tmp_path: Path,
    bad_row: list[object],
    fragment: str,
) -> None:
    files = files_for(tmp_path, marks=[GOOD_MARK, bad_row, [upn(3), "2025-09-08", "AM", "/", ""]])
    problem = the_problem(refused(session, on_roll, clock, files))
    assert problem.startswith("marks.csv:3: "), problem
    assert fragment in problem


@pytest.mark.parametrize(
    ("code", "replacement"),
    [
        ("H", "use C for leave in exceptional circumstances, or G"),
        ("J", "use J1"),
        ("Y", "use Y1 to Y7 (or Q)"),
        ("F", "use G if the holiday was not granted, or C"),
    ],
)
def test_legacy_code_is_refused_saying_what_replaced_it(
    session: Session, on_roll: str, clock: FixedClock, tmp_path: Path, code: str, replacement: str
) -> None:
    files = files_for(tmp_path, marks=[GOOD_MARK, [upn(2), "2025-09-08", "PM", code.lower(), ""]])
    problem = the_problem(refused(session, on_roll, clock, files))
    assert problem.startswith(f"marks.csv:3: legacy code '{code}'"), problem
    assert replacement in problem


def test_duplicate_row_reports_the_second_occurrence(
    session: Session, on_roll: str, clock: FixedClock, tmp_path: Path
) -> None:
    files = files_for(
        tmp_path,
        marks=[
            GOOD_MARK,
            [upn(2), "2025-09-08", "AM", "/", ""],
            [upn(1).lower(), "2025-09-08", "am", "N", ""],  # same pupil and session as line 2
        ],
    )
    problem = the_problem(refused(session, on_roll, clock, files))
    assert problem == f"marks.csv:4: duplicate row: {upn(1)} 2025-09-08 AM is also on line 2"


def test_mark_before_admission_is_refused(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    files = files_for(
        tmp_path,
        pupils=[pupil_row(4, admitted="2026-01-12")],
        marks=[[upn(4), "2026-01-12", "AM", "/", ""], [upn(4), "2026-01-09", "PM", "\\", ""]],
    )
    problem = the_problem(refused(session, school, clock, files))
    assert problem == (
        f"marks.csv:3: 2026-01-09 is outside {upn(4)}'s time on roll (2026-01-12 to now)"
    )


def test_bad_upn_check_letter_is_refused(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    good = upn(5)
    wrong = ("B" if good[0] != "B" else "C") + good[1:]
    row = pupil_row(5)
    row[0] = wrong
    files = files_for(tmp_path, pupils=[pupil_row(1), row], marks=[GOOD_MARK])
    problems = refused(session, school, clock, files)
    assert problems[0] == (
        f"pupils.csv:3: UPN {wrong!r} has check letter {wrong[0]!r}; its digits give {good[0]!r}"
    )
    assert len(problems) == 1


def test_malformed_upn_is_refused(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    row = pupil_row(5)
    row[0] = "A12345"
    files = files_for(tmp_path, pupils=[pupil_row(1), row])
    problem = the_problem(refused(session, school, clock, files))
    assert problem.startswith("pupils.csv:3: UPN 'A12345' is not 13 characters")


@pytest.mark.parametrize(
    ("columns", "fragment"),
    [
        (("upn", "date", "session", "mark", "minutes_late"), "(missing code; unexpected mark)"),
        (("upn", "date", "session", "code"), "(missing minutes_late)"),
        (("upn", "date", "session", "code", "minutes_late", "code"), "a column appears twice"),
    ],
)
def test_wrong_header_is_refused_on_line_1(
    session: Session,
    on_roll: str,
    clock: FixedClock,
    tmp_path: Path,
    columns: tuple[str, ...],
    fragment: str,
) -> None:
    where = folder(tmp_path)
    write_csv(where / "marks.csv", columns, [GOOD_MARK])
    problem = the_problem(
        refused(session, on_roll, clock, RegisterFiles(marks=where / "marks.csv"))
    )
    assert problem.startswith(f"marks.csv:1: header must be {','.join(MARK_COLUMNS)} ")
    assert fragment in problem


def test_header_in_any_order_is_accepted(
    session: Session, on_roll: str, clock: FixedClock, tmp_path: Path
) -> None:
    where = folder(tmp_path)
    write_csv(
        where / "marks.csv",
        ("code", "session", "upn", "minutes_late", "date"),
        [["L", "AM", upn(2), "7", "2025-09-09"]],
    )
    result = import_register(session, on_roll, RegisterFiles(marks=where / "marks.csv"), clock)
    assert result.marks_added == 1
    assert stored_marks(session) == {(upn(2), date(2025, 9, 9), "AM", "L", 7)}


def test_empty_file_is_refused(
    session: Session, on_roll: str, clock: FixedClock, tmp_path: Path
) -> None:
    where = folder(tmp_path)
    (where / "marks.csv").write_bytes(b"")
    problem = the_problem(
        refused(session, on_roll, clock, RegisterFiles(marks=where / "marks.csv"))
    )
    assert problem.startswith("marks.csv:1: the file is empty")


def test_non_utf8_file_is_refused_naming_the_line(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    where = folder(tmp_path)
    write_pupils(where, [pupil_row(1), pupil_row(2)])
    text = (where / "pupils.csv").read_text(encoding="utf-8").replace("Pupil2", "Zoë")
    (where / "pupils.csv").write_bytes(text.encode("latin-1"))
    problem = the_problem(refused(session, school, clock, RegisterFiles.in_folder(where)))
    assert problem.startswith("pupils.csv:3: not UTF-8 (byte ")
    assert "save the file as UTF-8" in problem


def test_utf8_with_byte_order_mark_is_accepted(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    where = folder(tmp_path)
    write_pupils(where, [pupil_row(1)])
    text = (where / "pupils.csv").read_text(encoding="utf-8").replace("Pupil1", "Zoë")
    (where / "pupils.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert import_register(session, school, RegisterFiles.in_folder(where), clock).pupils_added == 1
    assert session.scalars(select(Pupil.given_name)).all() == ["Zoë"]


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        (
            [upn(2), 1, "Nobody", "aunt", "no", "", ""],
            "the contact has neither a mobile nor an email",
        ),
        ([upn(2), 1, "Nobody", "aunt", "no", "12345", ""], "mobile '12345' is not a phone number"),
        (
            [upn(2), 1, "Nobody", "aunt", "no", "", "not-an-email"],
            "email 'not-an-email' is not an email address",
        ),
        ([upn(2), 0, "Nobody", "aunt", "no", "07700900123", ""], "priority 0 must be 1 or more"),
        (
            [upn(2), 1, "Nobody", "aunt", "perhaps", "07700900123", ""],
            "parental_responsibility 'perhaps' is not true or false",
        ),
        ([upn(2), 1, "", "aunt", "no", "07700900123", ""], "name is empty"),
        ([upn(98), 1, "Nobody", "aunt", "no", "07700900123", ""], f"unknown pupil {upn(98)}"),
    ],
)
def test_bad_contact_is_refused(
    session: Session,
    on_roll: str,
    clock: FixedClock,
    tmp_path: Path,
    row: list[object],
    fragment: str,
) -> None:
    files = files_for(
        tmp_path, contacts=[[upn(3), 1, "Dee", "mother", "yes", "07700900003", ""], row]
    )
    problem = the_problem(refused(session, on_roll, clock, files))
    assert problem.startswith("contacts.csv:3: "), problem
    assert fragment in problem


def test_duplicate_contact_priority_is_refused(
    session: Session, on_roll: str, clock: FixedClock, tmp_path: Path
) -> None:
    files = files_for(
        tmp_path,
        contacts=[
            [upn(3), 1, "Dee", "mother", "yes", "07700900003", ""],
            [upn(3), 1, "Eve", "aunt", "no", "07700900004", ""],
        ],
    )
    problem = the_problem(refused(session, on_roll, clock, files))
    assert problem == (
        f"contacts.csv:3: duplicate row: {upn(3)} already has a priority 1 contact on line 2"
    )


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({4: "2025-13-01"}, "date_of_birth '2025-13-01' is not a real date"),
        ({5: "Y15"}, "year_group 'Y15' is outside N1 to 14"),
        ({5: "Reception"}, "year_group 'Reception' is not a year group"),
        ({7: "2025-09-01"}, "leaving_date 2025-09-01 is before admission_date 2025-09-03"),
        ({8: "fsm;wizard"}, "unknown flag(s) wizard"),
        ({3: ""}, "family_name is empty"),
        ({4: "2025-09-03"}, "date_of_birth 2025-09-03 is not before admission_date 2025-09-03"),
    ],
)
def test_bad_pupil_is_refused(
    session: Session,
    school: str,
    clock: FixedClock,
    tmp_path: Path,
    change: dict[int, str],
    fragment: str,
) -> None:
    row = pupil_row(2)
    for column, value in change.items():
        row[column - 1] = value
    files = files_for(tmp_path, pupils=[pupil_row(1), row])
    problem = the_problem(refused(session, school, clock, files))
    assert problem.startswith("pupils.csv:3: "), problem
    assert fragment in problem


def test_duplicate_pupil_is_refused(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    files = files_for(tmp_path, pupils=[pupil_row(1), pupil_row(2), pupil_row(1)])
    problem = the_problem(refused(session, school, clock, files))
    assert problem == f"pupils.csv:4: duplicate row: UPN {upn(1)} is also on line 2"


def test_no_files_is_refused(session: Session, school: str, clock: FixedClock) -> None:
    assert refused(session, school, clock, RegisterFiles()) == [
        "no files to import: give pupils.csv, contacts.csv or marks.csv"
    ]


def test_unknown_school_is_refused(session: Session, clock: FixedClock, tmp_path: Path) -> None:
    with pytest.raises(LookupError, match="create it with `attendance init --school nowhere"):
        import_register(session, "nowhere", files_for(tmp_path, pupils=PUPILS), clock)


def test_every_problem_in_every_file_is_listed(
    session: Session, on_roll: str, clock: FixedClock, tmp_path: Path
) -> None:
    bad_upn = ("B" if upn(7)[0] != "B" else "C") + upn(7)[1:]
    files = files_for(
        tmp_path,
        pupils=[pupil_row(6), [bad_upn, "Al", "Bad", "2013-01-01", 7, "2025-09-03", "", ""]],
        contacts=[[upn(6), 1, "Fay", "mother", "yes", "", ""]],
        marks=[
            [upn(1), "2025-09-08", "AM", "H", ""],  # 2 legacy
            [upn(1), "2025-09-08", "PM", "\\", ""],  # 3 fine
            [upn(2), "2025-09-13", "AM", "/", ""],  # 4 Saturday
            [upn(99), "2025-09-08", "AM", "/", ""],  # 5 unknown pupil
            [upn(1), "2025-09-08", "PM", "N", ""],  # 6 duplicate of 3
            [upn(6), "2025-09-08", "AM", "ZZ", ""],  # 7 unknown code (pupil new in this import)
            [upn(2), "2025-9-09", "AM", "/", ""],  # 8 malformed date
            [upn(3), "2025-12-19", "PM", "\\", ""],  # 9 session not held
            [upn(3), "2025-09-09", "AM", "N", "3"],  # 10 minutes on N
            [upn(3), "2025-09-10", "AM", "X", ""],  # 11 X for CSA
            [upn(6), "2025-09-10", "AM", "#", ""],  # 12 # on a school day
            [upn(6), "2025-09-11", "AM", "/", ""],  # 13 fine
        ],
    )
    problems = refused(session, on_roll, clock, files)
    prefixes = sorted(p.split(" ", 1)[0] for p in problems)
    assert prefixes == sorted(
        [
            "pupils.csv:3:",
            "contacts.csv:2:",
            *(f"marks.csv:{n}:" for n in (2, 4, 5, 6, 7, 8, 9, 10, 11, 12)),
        ]
    )


# --- re-import, amendments -------------------------------------------------------------------


def test_identical_reimport_changes_nothing(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    marks = [
        [upn(1), "2025-09-08", "AM", "/", ""],
        [upn(1), "2025-09-08", "PM", "\\", ""],
        [upn(2), "2025-09-08", "AM", "L", "12"],
        [upn(2), "2025-09-08", "PM", "U", ""],
        [upn(3), "2025-11-14", "AM", "#", ""],
        [upn(3), "2025-12-19", "AM", "i", ""],
    ]
    files = files_for(tmp_path, pupils=PUPILS, contacts=CONTACTS, marks=marks)
    first = import_register(session, school, files, clock)
    assert first == ImportResult(pupils_added=3, contacts_changed=2, marks_added=6)
    assert counts(session) == {
        "pupil": 3,
        "contact": 3,
        "attendance_mark": 6,
        "mark_amendment": 0,
        "admission_amendment": 0,
        "register_import": 1,
    }
    before = snapshot(session)
    clock.at = datetime(2026, 7, 23, 8, 0, tzinfo=UTC)  # a later run, so any write would differ
    again = import_register(session, school, files, clock, by=BY, reason="same files again")
    assert again == ImportResult(marks_unchanged=6)
    assert not again.changed
    assert snapshot(session) == before


def test_amendment_without_by_and_reason_is_refused(
    session: Session, on_roll: str, clock: FixedClock, tmp_path: Path
) -> None:
    import_register(
        session,
        on_roll,
        files_for(
            tmp_path,
            marks=[
                [upn(1), "2025-09-08", "AM", "N", ""],
                [upn(2), "2025-09-08", "AM", "/", ""],
            ],
        ),
        clock,
    )
    changed = files_for(
        tmp_path,
        marks=[
            [upn(2), "2025-09-08", "AM", "/", ""],  # unchanged
            [upn(1), "2025-09-08", "AM", "I", ""],  # amends N to I
            [upn(3), "2025-09-08", "AM", "/", ""],  # new
        ],
    )
    for kwargs in ({}, {"by": BY}, {"reason": "Parent phoned"}, {"by": BY, "reason": ""}):
        problems = refused(session, on_roll, clock, changed, **kwargs)
        assert problems[0] == f"marks.csv:3: would amend {upn(1)} 2025-09-08 AM from N to I"
        assert "--by" in problems[-1] and "--reason" in problems[-1]
        assert len(problems) == 2


def test_amendment_with_by_and_reason_is_audited(
    session: Session, on_roll: str, clock: FixedClock, tmp_path: Path
) -> None:
    import_register(
        session,
        on_roll,
        files_for(
            tmp_path,
            marks=[
                [upn(1), "2025-09-08", "AM", "N", ""],
                [upn(2), "2025-09-08", "AM", "L", "5"],
                [upn(3), "2025-09-08", "AM", "L", "5"],
                [upn(3), "2025-09-08", "PM", "\\", ""],
            ],
        ),
        clock,
    )
    amended_at = datetime(2026, 7, 23, 9, 15, tzinfo=UTC)
    clock.at = amended_at
    result = import_register(
        session,
        on_roll,
        files_for(
            tmp_path,
            marks=[
                [upn(1), "2025-09-08", "AM", "I", ""],
                [upn(2), "2025-09-08", "AM", "L", "12"],
                [upn(3), "2025-09-08", "AM", "/", ""],
                [upn(3), "2025-09-08", "PM", "\\", ""],
            ],
        ),
        clock,
        by=Amender.parse("Jo Bloggs, Attendance Officer"),
        reason="Parent phoned",
    )
    assert result == ImportResult(marks_amended=3, marks_unchanged=1)
    assert stored_marks(session) == {
        (upn(1), date(2025, 9, 8), "AM", "I", None),
        (upn(2), date(2025, 9, 8), "AM", "L", 12),
        (upn(3), date(2025, 9, 8), "AM", "/", None),
        (upn(3), date(2025, 9, 8), "PM", "\\", None),
    }
    run = session.scalars(select(RegisterImport).order_by(RegisterImport.id.desc())).first()  # type: ignore[union-attr]
    assert run is not None
    assert (run.by_name, run.by_position, run.reason, run.marks_amended) == (
        "Jo Bloggs",
        "Attendance Officer",
        "Parent phoned",
        3,
    )
    rows = session.execute(
        select(Pupil.upn, MarkAmendment)
        .join(AttendanceMark, AttendanceMark.id == MarkAmendment.mark_id)  # type: ignore[arg-type]
        .join(Pupil, Pupil.id == AttendanceMark.pupil_id)  # type: ignore[arg-type]
    ).all()
    audit = {
        who: (a.original_code, a.original_minutes_late, a.amended_code, a.amended_minutes_late)
        for who, a in rows
    }
    assert audit == {
        upn(1): ("N", None, "I", None),
        upn(2): ("L", 5, "L", 12),
        upn(3): ("L", 5, "/", None),
    }
    for _, a in rows:
        assert (a.reason, a.amended_by_name, a.amended_by_position, a.import_id) == (
            "Parent phoned",
            "Jo Bloggs",
            "Attendance Officer",
            run.id,
        )
        assert as_utc(a.amended_at) == amended_at


@pytest.mark.parametrize("text", ["Jo Bloggs", "Jo Bloggs, ", ", Attendance Officer", ""])
def test_amender_needs_name_and_position(text: str) -> None:
    with pytest.raises(ValueError, match='must be "Name, Position"'):
        Amender.parse(text)


def test_amender_parse_splits_at_the_first_comma() -> None:
    assert Amender.parse("  Jo Bloggs ,  Head of Year 7, Pastoral ") == Amender(
        "Jo Bloggs", "Head of Year 7, Pastoral"
    )


def test_pupil_detail_change_is_an_admission_amendment(
    session: Session, on_roll: str, clock: FixedClock, tmp_path: Path
) -> None:
    changed = [pupil_row(1), [*pupil_row(2)[:2], "Smith", *pupil_row(2)[3:7], "fsm"], PUPILS[2]]
    files = files_for(tmp_path, pupils=changed)
    problems = refused(session, on_roll, clock, files)
    assert f"would amend {upn(2)} family_name from Test to Smith" in problems[0]
    assert f"would amend {upn(2)} fsm from False to True" in problems[1]

    clock.at = datetime(2026, 7, 24, 10, 0, tzinfo=UTC)
    result = import_register(
        session, on_roll, files, clock, by=BY, reason="Name change by deed poll"
    )
    assert result == ImportResult(pupils_changed=1)
    pupil = session.scalars(select(Pupil).where(Pupil.upn == upn(2))).one()
    assert (pupil.family_name, pupil.fsm, pupil.ehcp) == ("Smith", True, False)
    amendments = session.scalars(
        select(AdmissionAmendment).order_by(AdmissionAmendment.field)
    ).all()
    assert [(a.pupil_id, a.field, a.original, a.amended) for a in amendments] == [
        (pupil.id, "family_name", "Test", "Smith"),
        (pupil.id, "fsm", "False", "True"),
    ]
    for a in amendments:
        assert (a.reason, a.amended_by_name, a.amended_by_position) == (
            "Name change by deed poll",
            "Jo Bloggs",
            "Attendance Officer",
        )
        assert as_utc(a.amended_at) == clock.at


def test_pupil_amendment_refusal_names_the_line(
    session: Session, on_roll: str, clock: FixedClock, tmp_path: Path
) -> None:
    changed = [pupil_row(1), [*pupil_row(2)[:2], "Smith", *pupil_row(2)[3:]], PUPILS[2]]
    problems = refused(session, on_roll, clock, files_for(tmp_path, pupils=changed))
    assert problems[0].startswith("pupils.csv:3: would amend"), problems[0]


def test_contacts_are_replaced_exactly(
    session: Session, on_roll: str, clock: FixedClock, tmp_path: Path
) -> None:
    result = import_register(
        session,
        on_roll,
        files_for(
            tmp_path,
            contacts=[
                [upn(1), 1, "Ann One", "mother", "true", "07700 900009", ""],
                [upn(1), 3, "Gran One", "grandmother", "no", "", "gran@example.org"],
                [upn(3), 1, "Dee Three", "mother", "y", "00447700900003", ""],
            ],
        ),
        clock,
    )
    assert result == ImportResult(contacts_changed=2)
    assert contacts_of(session, upn(1)) == [
        (1, "Ann One", "mother", True, "+447700900009", None),
        (3, "Gran One", "grandmother", False, None, "gran@example.org"),
    ]
    assert contacts_of(session, upn(3)) == [(1, "Dee Three", "mother", True, "+447700900003", None)]
    # Pupil 2 is not in the file: their contact stays as it was.
    assert contacts_of(session, upn(2)) == [
        (1, "Cat Two", "carer", False, "+447700900002", "cat@example.org")
    ]


def test_marks_after_leaving_date_are_refused(
    session: Session, on_roll: str, clock: FixedClock, tmp_path: Path
) -> None:
    leaver = pupil_row(8, left="2025-10-10")
    # In the same import as the pupil row ...
    files = files_for(
        tmp_path,
        pupils=[leaver],
        marks=[
            [upn(8), "2025-10-10", "PM", "\\", ""],
            [upn(8), "2025-10-13", "AM", "/", ""],
        ],
    )
    problem = the_problem(refused(session, on_roll, clock, files))
    assert problem == (
        f"marks.csv:3: 2025-10-13 is outside {upn(8)}'s time on roll (2025-09-03 to 2025-10-10)"
    )
    # ... and once the leaver is stored.
    import_register(session, on_roll, files_for(tmp_path, pupils=[leaver]), clock)
    later = files_for(
        tmp_path,
        marks=[[upn(8), "2025-10-10", "AM", "/", ""], [upn(8), "2025-11-03", "AM", "N", ""]],
    )
    problem = the_problem(refused(session, on_roll, clock, later))
    assert problem.startswith("marks.csv:3: 2025-11-03 is outside")
    import_register(
        session, on_roll, files_for(tmp_path, marks=[[upn(8), "2025-10-10", "AM", "/", ""]]), clock
    )
    assert stored_marks(session) == {(upn(8), date(2025, 10, 10), "AM", "/", None)}


def test_mid_year_admission(
    session: Session, on_roll: str, clock: FixedClock, tmp_path: Path
) -> None:
    joiner = pupil_row(9, admitted="2026-01-12")
    result = import_register(
        session,
        on_roll,
        files_for(
            tmp_path,
            pupils=[joiner],
            marks=[
                [upn(9), "2026-01-12", "AM", "/", ""],
                [upn(9), "2026-01-12", "PM", "\\", ""],
                [upn(1), "2026-01-12", "AM", "/", ""],
            ],
        ),
        clock,
    )
    assert result == ImportResult(pupils_added=1, marks_added=3)
    pupil = session.scalars(select(Pupil).where(Pupil.upn == upn(9))).one()
    assert (pupil.admission_date, pupil.leaving_date, pupil.year_group) == (
        date(2026, 1, 12),
        None,
        7,
    )
    problem = the_problem(
        refused(
            session,
            on_roll,
            clock,
            files_for(tmp_path, marks=[[upn(9), "2026-01-09", "AM", "N", ""]]),
        )
    )
    assert problem == (
        f"marks.csv:2: 2026-01-09 is outside {upn(9)}'s time on roll (2026-01-12 to now)"
    )


def test_closure_code_is_accepted_on_a_closure_date(
    session: Session, on_roll: str, clock: FixedClock, tmp_path: Path
) -> None:
    result = import_register(
        session,
        on_roll,
        files_for(
            tmp_path,
            marks=[
                [upn(1), "2025-11-14", "AM", "#", ""],
                [upn(1), "2025-11-14", "PM", "#", ""],
                [upn(2), "2026-05-04", "AM", "#", ""],
            ],
        ),
        clock,
    )
    assert result.marks_added == 3
    assert stored_marks(session) == {
        (upn(1), date(2025, 11, 14), "AM", "#", None),
        (upn(1), date(2025, 11, 14), "PM", "#", None),
        (upn(2), date(2026, 5, 4), "AM", "#", None),
    }


def test_closure_code_outside_time_on_roll_is_refused(
    session: Session, on_roll: str, clock: FixedClock, tmp_path: Path
) -> None:
    files = files_for(
        tmp_path,
        pupils=[pupil_row(9, admitted="2026-01-12")],
        marks=[[upn(9), "2025-11-14", "AM", "#", ""]],
    )
    problem = the_problem(refused(session, on_roll, clock, files))
    assert problem.startswith("marks.csv:2: 2025-11-14 is outside")


def test_x_is_accepted_for_a_pupil_below_compulsory_school_age(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    # Born 2021-06-01: compulsory school age from 2026-08-31, so X is right in 2025-26.
    files = files_for(
        tmp_path,
        pupils=[pupil_row(10, year=0, born="2021-06-01")],
        marks=[[upn(10), "2025-09-08", "PM", "x", ""]],
    )
    assert import_register(session, school, files, clock).marks_added == 1
    assert stored_marks(session) == {(upn(10), date(2025, 9, 8), "PM", "X", None)}


def test_overlong_field_is_a_problem_not_a_crash(
    session: Session, on_roll: str, clock: FixedClock, tmp_path: Path
) -> None:
    where = folder(tmp_path)
    (where / "marks.csv").write_text(
        ",".join(MARK_COLUMNS) + "\n" + f"{upn(1)},2025-09-08,AM,{'/' * 200_000},\n",
        encoding="utf-8",
    )
    problems = refused(session, on_roll, clock, RegisterFiles(marks=where / "marks.csv"))
    assert problems[0].startswith("marks.csv:2: ")


def test_a_control_character_in_a_cell_is_refused_not_stripped(
    session: Session, on_roll: str, clock: FixedClock, tmp_path: Path
) -> None:
    """Found by the property test: "0\\x1f" must not be read as 0 minutes late."""
    files = files_for(tmp_path, marks=[[upn(1), "2025-09-08", "AM", "L", "0\x1f"]])
    with pytest.raises(RegisterImportError) as refused:
        import_register(session, on_roll, files, clock)
    assert refused.value.problems == ["marks.csv:2: minutes_late '0\\x1f' is not a whole number"]
