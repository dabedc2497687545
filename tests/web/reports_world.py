"""A small register for the reports: weeks of marks with known figures, one pupil per case."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from school.clock import FixedClock
from school.register_import import RegisterFiles, import_register
from school.schools import load_school
from tests.register_files import pupil_row, upn, write_contacts, write_marks, write_pupils
from tests.web.pages_world import make_accounts

WEEK = date(2026, 11, 16)  # Monday; ten sessions to Friday the 20th
FRIDAY = WEEK + timedelta(days=4)

# pupil -> (year, flags, marks over the last week's ten sessions in order). Numbered from 11
# so the morning world's pupils 1 and 2 can share the school (the browser tests).
PUPILS = {
    11: (7, "fsm", "//////////"),  # 100%
    12: (7, "send_support", "/////////O"),  # 90%: persistent (exactly 10% missed)
    13: (8, "social_worker", "////IIIIII"),  # 40%: severe
    14: (8, "", "////////OO"),  # 80%: persistent; named like a spreadsheet formula
}


def import_reports_register(
    session: Session, school: str, clock: FixedClock, folder: Path, weeks: int = 1
) -> None:
    """The pupils above; in the weeks before the last (when asked for) every pupil but the
    severe one attended every session, so the trend falls into the last week."""
    rows = []
    for n, (year, flags, _) in PUPILS.items():
        row = pupil_row(n, year=year, born="2013-03-10" if year == 8 else "2014-03-10")
        row[-1] = flags
        if n == 14:
            row[1] = "=HYPERLINK(1)"
        rows.append(row)
    write_pupils(folder, rows)
    contacts = [
        [upn(n), 1, f"Parent {n}", "Mother", "true", f"+4477009001{n:02d}", ""] for n in PUPILS
    ]
    write_contacts(folder, contacts)
    meets = {d.date for d in load_school(session, school).calendar.days}
    marks = []
    for back in range(weeks - 1, -1, -1):
        monday = WEEK - timedelta(weeks=back)
        for n, (_, _, codes) in PUPILS.items():
            week_codes = codes if back == 0 or n == 13 else "/" * 10
            for i, code in enumerate(week_codes):
                day = monday + timedelta(days=i // 2)
                if day not in meets:  # an INSET day
                    continue
                am = i % 2 == 0
                mark = code if code != "/" or am else "\\"  # present is \ in the afternoon
                marks.append([upn(n), day.isoformat(), "AM" if am else "PM", mark, ""])
    write_marks(folder, marks)
    import_register(session, school, RegisterFiles.in_folder(folder), clock)


@pytest.fixture
def reports_world(session: Session, school: str, clock: FixedClock, tmp_path: Path) -> str:
    import_reports_register(session, school, clock, tmp_path)
    make_accounts(session, school, clock)
    return school
