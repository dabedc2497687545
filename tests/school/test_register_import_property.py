"""Random marks files: the import succeeds exactly when every row is good, else it names exactly
the bad lines and writes nothing; arbitrary bytes only ever give a RegisterImportError."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from sqlmodel import Session, SQLModel

from school.calendar import SchoolCalendar
from school.clock import FixedClock
from school.codes import CODES, LEGACY_CODES
from school.models import (
    AdmissionAmendment,
    AttendanceMark,
    Contact,
    MarkAmendment,
    Pupil,
    RegisterImport,
)
from school.register_csv import CONTACT_COLUMNS, MARK_COLUMNS, PUPIL_COLUMNS
from school.register_import import RegisterFiles, RegisterImportError, import_register
from school.schools import calendar_of, get_school
from tests.register_files import pupil_row, stored_marks, upn, write_marks, write_pupils

ON_ROLL = [1, 2, 3]  # on roll all year
LEAVER, LEFT = 4, date(2025, 10, 10)
PUPILS = [pupil_row(n) for n in ON_ROLL] + [pupil_row(LEAVER, left=LEFT.isoformat())]
FIRST, LAST = date(2025, 9, 4), date(2025, 12, 19)  # spans half-term, an INSET day, a half day
MORNING_ONLY = date(2025, 12, 19)
CLOSURE = date(2025, 11, 14)
HOLIDAY = [date(2025, 10, 27) + timedelta(days=i) for i in range(5)]
WEEKEND = [
    FIRST + timedelta(days=i)
    for i in range((LAST - FIRST).days)
    if (FIRST + timedelta(days=i)).weekday() >= 5
]
GOOD_CODES = sorted(set(CODES) - {"#", "X"})  # X is wrong for these pupils, # on school days
LATE_CODES = ("L", "U")
WINDOW = 20  # Emmanuel Middle's registers stay open 20 minutes (08:40-09:00, 13:40-14:00)
VALID_UPNS = {upn(n) for n in [*ON_ROLL, LEAVER]}
COUNTED = (
    "pupil",
    "contact",
    "attendance_mark",
    "mark_amendment",
    "admission_amendment",
    "register_import",
)
PROBLEM = re.compile(r"^(pupils|contacts|marks)\.csv:(\d+): \S")

Key = tuple[str, date, str]


@dataclass
class Roll:
    school: str
    clock: FixedClock
    folder: Path
    keys: list[Key]  # every (UPN, date, session) a good mark may be given for
    after_leaving: list[Key]
    baseline: dict[str, int]


def _school_keys(cal: SchoolCalendar) -> tuple[list[Key], list[Key]]:
    keys: list[Key] = []
    after: list[Key] = []
    for day in cal.days:
        if not FIRST <= day.date <= LAST:
            continue
        for session in day.sessions:
            keys += [(upn(n), day.date, session) for n in ON_ROLL]
            if day.date <= LEFT:
                keys.append((upn(LEAVER), day.date, session))
            else:
                after.append((upn(LEAVER), day.date, session))
    return keys, after


@pytest.fixture
def roll(session: Session, school: str, clock: FixedClock, tmp_path: Path) -> Roll:
    pupils = tmp_path / "pupils"
    pupils.mkdir()
    write_pupils(pupils, PUPILS)
    import_register(session, school, RegisterFiles.in_folder(pupils), clock)
    keys, after = _school_keys(calendar_of(get_school(session, school)))
    return Roll(school, clock, tmp_path, keys, after, counts(session))


def counts(session: Session) -> dict[str, int]:
    tables = SQLModel.metadata.tables
    return {
        name: session.scalar(select(func.count()).select_from(tables[name])) or 0
        for name in COUNTED
    }


def restore(session: Session, roll: Roll) -> None:
    """Undo whatever a successful example wrote, back to the four pupils and their import."""
    session.rollback()
    first_import = session.scalar(select(func.min(RegisterImport.id)))
    for model in (MarkAmendment, AdmissionAmendment, AttendanceMark, Contact):
        session.execute(delete(model))
    session.execute(delete(RegisterImport).where(RegisterImport.id != first_import))  # type: ignore[arg-type]
    session.execute(delete(Pupil).where(Pupil.upn.not_in(VALID_UPNS)))  # type: ignore[attr-defined]
    session.commit()
    assert counts(session) == roll.baseline


# --- strategies --------------------------------------------------------------------------------

_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
    max_size=12,
)


def _not_a_code(value: str) -> bool:
    stripped = value.strip()
    return stripped not in CODES and stripped.upper() not in CODES


def _not_a_session(value: str) -> bool:
    return value.strip().upper() not in ("AM", "PM")


def _not_a_upn(value: str) -> bool:
    return value.strip().upper() not in VALID_UPNS


def _not_minutes(value: str) -> bool:
    """Not a number of minutes from 0 to 240, as int() reads numbers."""
    if not value.strip():
        return False
    try:
        return not 0 <= int(value) <= 240
    except ValueError:
        return True


def _casing(value: str) -> st.SearchStrategy[str]:
    return st.sampled_from([value, value.lower(), f" {value} "])


@st.composite
def good_code(draw: st.DrawFn) -> tuple[str, str, str]:
    """(code as written, code as stored, minutes_late as written)."""
    code = draw(st.sampled_from(GOOD_CODES))
    written = draw(_casing(code))
    minutes = ""
    if code in LATE_CODES:  # the time decides the code: L while the register is open, U after
        late = st.integers(0, WINDOW) if code == "L" else st.integers(WINDOW + 1, 240)
        minutes = draw(st.one_of(st.just(""), late.map(str)))
    return written, code, minutes


@dataclass(frozen=True)
class Row:
    values: tuple[str, str, str, str, str]
    bad: bool
    stored: tuple[Any, ...] | None = None  # the mark a good row stores


@st.composite
def marks_file(draw: st.DrawFn, keys: list[Key], after_leaving: list[Key]) -> list[Row]:
    """Rows for marks.csv, good and bad mixed; no two rows share a key unless one is a
    deliberate duplicate of an earlier good row."""
    used: set[Key] = set()
    good: list[Key] = []

    def fresh_key() -> Key:
        i = draw(st.integers(0, len(keys) - 1))
        while keys[i] in used:  # the next unused key: no filtering, so no discarded examples
            i = (i + 1) % len(keys)
        return keys[i]

    rows: list[Row] = []
    kinds = draw(
        st.one_of(
            st.lists(
                st.sampled_from(["good", "good", "good", "duplicate"]), min_size=1, max_size=14
            ),
            st.lists(st.just("good"), min_size=1, max_size=14),
            st.lists(st.sampled_from(_KINDS), min_size=1, max_size=14),
        )
    )
    for kind in kinds:
        if kind == "duplicate" and not good:
            kind = "good"
        if kind in ("good", "duplicate"):
            who, on, session = draw(st.sampled_from(good)) if kind == "duplicate" else fresh_key()
            written, code, minutes = draw(good_code())
            values = (draw(_casing(who)), on.isoformat(), draw(_casing(session)), written, minutes)
            if kind == "good":
                used.add((who, on, session))
                good.append((who, on, session))
                rows.append(
                    Row(values, False, (who, on, session, code, int(minutes) if minutes else None))
                )
            else:
                rows.append(Row(values, True))
            continue
        if kind in _BAD_CODE:  # a fresh good key with a bad code or minutes
            who, on, session = fresh_key()
            used.add((who, on, session))
            code, minutes = draw(_BAD_CODE[kind])
            rows.append(Row((who, on.isoformat(), session, code, minutes), True))
            continue
        # A key no good row can have: the row is bad whatever its code.
        who, on_text, session = draw(
            _BAD_KEY[kind]
            if kind in _BAD_KEY
            else st.sampled_from(after_leaving).map(lambda k: (k[0], k[1].isoformat(), k[2]))
        )
        written, _, minutes = draw(good_code())
        rows.append(Row((who, on_text, session, written, minutes), True))
    return rows


_a_upn = st.sampled_from([upn(n) for n in ON_ROLL])
_a_session = st.sampled_from(["AM", "PM"])
_a_day = st.dates(FIRST, LAST).filter(
    lambda d: d.weekday() < 5 and d not in HOLIDAY and d != CLOSURE
)
_BAD_CODE: dict[str, st.SearchStrategy[tuple[str, str]]] = {
    "random code": st.tuples(_text.filter(_not_a_code), st.just("")),
    "legacy code": st.tuples(st.sampled_from(sorted(LEGACY_CODES)).flatmap(_casing), st.just("")),
    "X for a pupil of compulsory school age": st.tuples(_casing("X"), st.just("")),
    "closure code on a school day": st.tuples(st.just("#"), st.just("")),
    "minutes on a code that is not late": st.tuples(
        st.sampled_from(sorted(set(GOOD_CODES) - set(LATE_CODES))), st.integers(0, 240).map(str)
    ),
    "L after the register closed": st.tuples(_casing("L"), st.integers(WINDOW + 1, 240).map(str)),
    "U while the register was open": st.tuples(_casing("U"), st.integers(0, WINDOW).map(str)),
    "minutes not a number or too many": st.tuples(
        st.sampled_from(LATE_CODES),
        st.one_of(
            st.integers(241, 10_000).map(str),
            st.integers(-50, -1).map(str),
            _text.filter(_not_minutes),
        ),
    ),
}
_BAD_KEY: dict[str, st.SearchStrategy[tuple[str, str, str]]] = {
    "random date": st.tuples(
        _a_upn, _text.filter(lambda t: not re.match(r"^\s*\d{4}-\d\d-\d\d\s*$", t)), _a_session
    ),
    "impossible date": st.tuples(
        _a_upn,
        st.sampled_from(["2025-02-30", "2025-13-01", "2025-09-00", "2025-11-31"]),
        _a_session,
    ),
    "malformed date": st.tuples(
        _a_upn,
        st.sampled_from(["2025-9-8", "08/09/2025", "20250908", "2025-09-08T00:00"]),
        _a_session,
    ),
    "weekend": st.tuples(_a_upn, st.sampled_from(WEEKEND).map(date.isoformat), _a_session),
    "holiday": st.tuples(_a_upn, st.sampled_from(HOLIDAY).map(date.isoformat), _a_session),
    "closure day": st.tuples(_a_upn, st.just(CLOSURE.isoformat()), _a_session),
    "afternoon of a morning-only day": st.tuples(
        _a_upn, st.just(MORNING_ONLY.isoformat()), st.just("PM")
    ),
    "unknown UPN": st.tuples(st.integers(5, 999).map(upn), _a_day.map(date.isoformat), _a_session),
    "random UPN": st.tuples(_text.filter(_not_a_upn), _a_day.map(date.isoformat), _a_session),
    "bad session": st.tuples(_a_upn, _a_day.map(date.isoformat), _text.filter(_not_a_session)),
}
_KINDS = ["good"] * 8 + ["duplicate"] * 2 + list(_BAD_CODE) + list(_BAD_KEY) + ["after leaving"]


# --- properties --------------------------------------------------------------------------------


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    max_examples=150,
    deadline=None,
)
@given(data=st.data())
def test_import_succeeds_iff_every_row_is_good(
    session: Session, roll: Roll, data: st.DataObject
) -> None:
    rows = data.draw(marks_file(roll.keys, roll.after_leaving))
    write_marks(roll.folder, [r.values for r in rows])
    files = RegisterFiles(marks=roll.folder / "marks.csv")
    bad_lines = {line for line, r in enumerate(rows, start=2) if r.bad}
    event("bad rows" if bad_lines else "all rows good")
    try:
        result = import_register(session, roll.school, files, roll.clock)
    except RegisterImportError as exc:
        assert bad_lines, exc.problems
        reported = set()
        for problem in exc.problems:
            match = PROBLEM.match(problem)
            assert match and match[1] == "marks", problem
            reported.add(int(match[2]))
        assert reported == bad_lines, exc.problems
        assert counts(session) == roll.baseline
        assert stored_marks(session) == set()
        return
    try:
        assert not bad_lines, f"accepted bad lines {sorted(bad_lines)}"
        assert result.marks_added == len(rows)
        assert stored_marks(session) == {r.stored for r in rows}
        again = import_register(session, roll.school, files, roll.clock)
        assert not again.changed and again.marks_unchanged == len(rows)
        assert counts(session)["register_import"] == roll.baseline["register_import"] + 1
    finally:
        restore(session, roll)


_COLUMNS = {"pupils.csv": PUPIL_COLUMNS, "contacts.csv": CONTACT_COLUMNS, "marks.csv": MARK_COLUMNS}
_csvish = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(',,,"\n\r\t ;#/\\-:0123456789AMPLNHXYZ')),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=300,
)


@st.composite
def arbitrary_file(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(_COLUMNS)))
    header = ",".join(draw(st.permutations(_COLUMNS[name]))) + draw(st.sampled_from(["\n", "\r\n"]))
    body = draw(
        st.one_of(
            st.binary(max_size=300),
            _csvish.map(lambda t: t.encode("utf-8")),
            _csvish.map(lambda t: (header + t).encode("utf-8")),
            st.binary(max_size=100).map(lambda b: header.encode() + b),
        )
    )
    return name, body


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    max_examples=300,
    deadline=None,
)
@given(file=arbitrary_file())
def test_arbitrary_file_only_ever_gives_register_import_error(
    session: Session, roll: Roll, file: tuple[str, bytes]
) -> None:
    name, content = file
    path = roll.folder / name
    path.write_bytes(content)
    kwargs: dict[str, Path] = {name.removesuffix(".csv"): path}
    try:
        import_register(session, roll.school, RegisterFiles(**kwargs), roll.clock)
    except RegisterImportError as exc:
        event("refused")
        assert exc.problems
        for problem in exc.problems:
            match = PROBLEM.match(problem)
            assert match and f"{match[1]}.csv" == name, problem
        assert counts(session) == roll.baseline
    else:
        event("accepted")
        restore(session, roll)
    finally:
        path.unlink()
