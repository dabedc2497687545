"""The register's tables as SQLAlchemy Core objects, for set-based queries that type-check."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table
from sqlmodel import SQLModel

from school.models import AttendanceMark, CalendarDay, Contact, MarkAmendment, Pupil


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


MARKS = _table(AttendanceMark)
PUPILS = _table(Pupil)
CONTACTS = _table(Contact)
SCHOOL_DAYS = _table(CalendarDay)
AMENDMENTS = _table(MarkAmendment)
