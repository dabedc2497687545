"""Writing small register CSVs for tests, in the documented format."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from school.register_csv import CONTACT_COLUMNS, MARK_COLUMNS, PUPIL_COLUMNS
from school.tables import MARKS, PUPILS
from school.upn import make_upn

# The keys of `attendance stats --format json`, in the order the issue documents them.
DOCUMENTED_STATISTICS_KEYS = [
    "upn", "possible_sessions", "present_sessions", "aea_sessions", "authorised_sessions",
    "unauthorised_sessions", "attendance_pct", "persistent_absence", "severe_absence",
    "unauthorised_sessions_rolling_10_school_weeks", "national_threshold_met",
    "national_threshold_first_met_on", "consecutive_unauthorised_school_days",
    "illness_school_days", "late_before_close_half_term", "late_before_close_term",
    "late_after_close_half_term", "late_after_close_term", "overdue_n_codes",
    "compulsory_school_age",
]  # fmt: skip


def upn(n: int) -> str:
    """A valid UPN for test pupil n."""
    return make_upn(835, 4000, 25, n)


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def pupil_row(
    n: int,
    *,
    year: int = 7,
    born: str = "2013-03-10",
    admitted: str = "2025-09-03",
    left: str = "",
    flags: str = "",
) -> list[object]:
    return [upn(n), f"Pupil{n}", "Test", born, year, admitted, left, flags]


def write_pupils(folder: Path, rows: Iterable[Sequence[object]]) -> Path:
    return write_csv(folder / "pupils.csv", PUPIL_COLUMNS, rows)


def write_contacts(folder: Path, rows: Iterable[Sequence[object]]) -> Path:
    return write_csv(folder / "contacts.csv", CONTACT_COLUMNS, rows)


def write_marks(folder: Path, rows: Iterable[Sequence[object]]) -> Path:
    return write_csv(folder / "marks.csv", MARK_COLUMNS, rows)


def stored_marks(session: Session) -> set[tuple[Any, ...]]:
    """Every stored mark as (upn, date, session, code, minutes late)."""
    rows = session.execute(
        select(
            PUPILS.c.upn, MARKS.c.date, MARKS.c.session, MARKS.c.code, MARKS.c.minutes_late
        ).join(PUPILS, PUPILS.c.id == MARKS.c.pupil_id)
    ).all()
    return {tuple(r) for r in rows}
