"""Writing a register's new marks in bulk: executemany on SQLite, COPY on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import Session

from school.tables import MARKS

# pupil_id, date, session, code, minutes_late: the columns a mark is written with.
NewMark = tuple[int, date, str, str, int | None]
_COLUMNS = "pupil_id, date, session, code, minutes_late"


def insert_marks(session: Session, marks: Sequence[NewMark]) -> None:
    """Add the marks in the session's transaction (so a refusal later still writes nothing).

    The ORM's bulk insert spent most of a year's import building statements; the driver's own
    bulk paths take the rows as they are.
    """
    if not marks:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        cursor: Any = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {MARKS.name} ({_COLUMNS}) FROM STDIN") as copy:
            for mark in marks:
                copy.write_row(mark)
        return
    # SQLite keeps a date as its ISO text, as SQLAlchemy's Date type writes it; a year has a
    # few hundred dates, so each is written once, and the rows stream to the driver.
    iso = {on: on.isoformat() for on in {mark[1] for mark in marks}}
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.executemany(
        f"INSERT INTO {MARKS.name} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
        ((pid, iso[on], sess, code, late) for pid, on, sess, code, late in marks),
    )
