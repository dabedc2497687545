"""The checks a register import makes before writing anything, each refusal as file:line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import cast

from sqlalchemy import select
from sqlmodel import Session

from school.arrival import late_mark_problem
from school.calendar import RegisterSession, SchoolCalendar
from school.models import Pupil
from school.policy import Policy
from school.register_csv import ContactRow, MarkRow, Problems, PupilRow
from school.school_age import is_compulsory_school_age
from school.tables import MARKS


@dataclass(frozen=True)
class KnownPupil:
    """A pupil as the import sees them: from this file if present, else from the database."""

    id: int | None
    date_of_birth: date
    admission_date: date
    leaving_date: date | None
    year_group: int


def check_contacts(
    rows: list[ContactRow], known: dict[str, KnownPupil], path: Path | None, problems: Problems
) -> None:
    for row in rows:
        if row.upn not in known:
            problems.add(
                source_name(path),
                row.line,
                f"unknown pupil {row.upn}: not in pupils.csv or on roll",
            )


def check_marks(
    rows: list[MarkRow],
    known: dict[str, KnownPupil],
    calendar: SchoolCalendar,
    policy: Policy,
    path: Path | None,
    problems: Problems,
) -> None:
    source = source_name(path)
    for row in rows:
        pupil = known.get(row.upn)
        if pupil is None:
            problems.add(source, row.line, f"unknown pupil {row.upn}: not in pupils.csv or on roll")
            continue
        closure_marked = row.code == "#" and row.date in calendar.closures
        if row.session not in calendar.sessions_on(row.date) and not closure_marked:
            if calendar.is_school_day(row.date):
                problems.add(
                    source,
                    row.line,
                    f"{row.date} has no {row.session} session in the school calendar",
                )
            else:
                problems.add(
                    source, row.line, f"{row.date} is not a school day in the school calendar"
                )
            continue
        if row.code == "#" and not closure_marked:
            problems.add(
                source,
                row.line,
                f"code # (planned closure) on {row.date}, which the calendar says is a school "
                "day; add the closure to the calendar",
            )
        if row.date < pupil.admission_date or (
            pupil.leaving_date and row.date > pupil.leaving_date
        ):
            problems.add(
                source,
                row.line,
                f"{row.date} is outside {row.upn}'s time on roll ({_on_roll(pupil)})",
            )
        elif late := late_mark_problem(
            policy, pupil.year_group, cast(RegisterSession, row.session), row.code, row.minutes_late
        ):
            problems.add(source, row.line, late)
        elif row.code == "X" and is_compulsory_school_age(pupil.date_of_birth, row.date):
            problems.add(
                source,
                row.line,
                f"code X is for pupils not of compulsory school age; {row.upn} is of "
                f"compulsory school age on {row.date}",
            )


def _on_roll(pupil: KnownPupil) -> str:
    return f"{pupil.admission_date} to {pupil.leaving_date or 'now'}"


def check_stored_marks_stay_on_roll(
    session: Session,
    stored: dict[str, Pupil],
    rows: list[PupilRow],
    marks: list[MarkRow],
    path: Path | None,
    problems: Problems,
) -> None:
    """A new admission or leaving date must not strand marks already in the register."""
    moved: dict[int | None, PupilRow] = {
        stored[r.upn].id: r
        for r in rows
        if r.upn in stored
        and (stored[r.upn].admission_date, stored[r.upn].leaving_date)
        != (r.admission_date, r.leaving_date)
    }
    if not moved:
        return
    replaced = {(r.upn, r.date, r.session) for r in marks}
    found = session.execute(
        select(MARKS.c.pupil_id, MARKS.c.date, MARKS.c.session)
        .where(MARKS.c.pupil_id.in_(list(moved)))
        .order_by(MARKS.c.date)
    ).all()
    reported: set[int] = set()
    for pid, on, sess in found:
        row = moved[pid]
        outside = on < row.admission_date or (
            row.leaving_date is not None and on > row.leaving_date
        )
        if outside and (row.upn, on, sess) not in replaced and pid not in reported:
            reported.add(pid)
            problems.add(
                source_name(path),
                row.line,
                f"{row.upn} already has a mark on {on} {sess}, outside the new time on roll "
                f"({row.admission_date} to {row.leaving_date or 'now'})",
            )


def source_name(path: Path | None) -> str:
    return path.name if path else "?"
