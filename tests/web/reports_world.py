"""A small register for the reports: a week of marks with known figures, one pupil per case."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from school.clock import FixedClock
from school.register_import import RegisterFiles, import_register
from tests.register_files import pupil_row, upn, write_contacts, write_marks, write_pupils
from tests.web.pages_world import make_accounts

WEEK = date(2026, 11, 16)  # Monday; ten sessions to Friday the 20th
FRIDAY = WEEK + timedelta(days=4)

# pupil -> (year, flags, marks over the ten sessions in order)
PUPILS = {
    1: (7, "fsm", "//////////"),  # 100%
    2: (7, "send_support", "/////////O"),  # 90%: persistent (exactly 10% missed)
    3: (8, "social_worker", "////IIIIII"),  # 40%: severe
    4: (8, "", "////////OO"),  # 80%: persistent; named like a spreadsheet formula
}


@pytest.fixture
def reports_world(session: Session, school: str, clock: FixedClock, tmp_path: Path) -> str:
    rows = []
    for n, (year, flags, _) in PUPILS.items():
        row = pupil_row(n, year=year, born="2013-03-10" if year == 8 else "2014-03-10")
        row[-1] = flags
        if n == 4:
            row[1] = "=HYPERLINK(1)"
        rows.append(row)
    write_pupils(tmp_path, rows)
    contacts = [
        [upn(n), 1, f"Parent {n}", "Mother", "true", f"+4477009001{n:02d}", ""] for n in PUPILS
    ]
    write_contacts(tmp_path, contacts)
    marks = []
    for n, (_, _, codes) in PUPILS.items():
        for i, code in enumerate(codes):
            day = WEEK + timedelta(days=i // 2)
            am = i % 2 == 0
            mark = code if code != "/" or am else "\\"  # present is \\ in the afternoon
            marks.append([upn(n), day.isoformat(), "AM" if am else "PM", mark, ""])
    write_marks(tmp_path, marks)
    import_register(session, school, RegisterFiles.in_folder(tmp_path), clock)
    make_accounts(session, school, clock)
    return school
