"""Writing small register CSVs for tests, in the documented format."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from cases.register_csv import CONTACT_COLUMNS, MARK_COLUMNS, PUPIL_COLUMNS
from cases.upn import make_upn


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
