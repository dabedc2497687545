"""Who is on a school's roll, as staff name them in reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlmodel import Session

from school.tables import PUPILS


@dataclass(frozen=True, slots=True)
class RollEntry:
    upn: str
    name: str
    year_group: int


def year_label(year_group: int) -> str:
    return {-2: "N1", -1: "N2", 0: "R"}.get(year_group, f"Y{year_group}")


def roll_by_upn(session: Session, school_id: str) -> dict[str, RollEntry]:
    """Every pupil ever on the school's roll, by UPN (one query)."""
    rows = session.execute(
        select(PUPILS.c.upn, PUPILS.c.given_name, PUPILS.c.family_name, PUPILS.c.year_group).where(
            PUPILS.c.school_id == school_id
        )
    )
    return {upn: RollEntry(upn, f"{given} {family}", year) for upn, given, family, year in rows}


def on_roll(
    school_id: str | BindParameter[str], as_of: date | BindParameter[date]
) -> ColumnElement[bool]:
    """A pupil of the school on its roll on the date: admitted by then and not yet left (either
    may be a named parameter, as in the compiled statistics statement)."""
    return and_(
        PUPILS.c.school_id == school_id,
        PUPILS.c.admission_date <= as_of,
        or_(PUPILS.c.leaving_date.is_(None), PUPILS.c.leaving_date >= as_of),
    )
