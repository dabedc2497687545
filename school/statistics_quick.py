"""Every pupil's figures read from an SQLite file with stdlib sqlite3: no SQLAlchemy or pydantic.

The same statement (school/statistics_sql.py, compiled from `statistics_query`), the same
counting period (`period_for` over the stored calendar) and the same figures
(`figures_from_row`) as `statistics_for`; only the loading differs. Whatever this path cannot
read exactly as the full path would (a URL it does not know, a schema behind the code, a
stored file in a form only validation would accept) gives None, and the caller asks the full
path, which answers or refuses in its own words.
"""

from __future__ import annotations

import os
import sqlite3
import tomllib
from contextlib import closing
from dataclasses import asdict
from datetime import date
from typing import Any

from school.calendar import SchoolCalendar
from school.law import N_CODE_SCHOOL_DAYS
from school.schema_head import SCHEMA_HEAD
from school.statistics_figures import figures_from_row
from school.statistics_period import Period, period_for
from school.statistics_sql import CONSTANTS, STATEMENT

_PLAIN_FILE = "sqlite:///"


def sqlite_file(url: str) -> str | None:
    """The file a plain `sqlite:///path` URL names, or None for any other URL (PostgreSQL,
    in-memory, options after `?`, %-escapes): those keep the full path."""
    if not url.startswith(_PLAIN_FILE):
        return None
    path = url[len(_PLAIN_FILE) :]
    if not path or path == ":memory:" or path.startswith("file:") or any(c in path for c in "?%"):
        return None
    return path


def quick_statistics(url: str, school_id: str, as_of: date) -> list[dict[str, Any]] | None:
    """The figures as `PupilStatistics.as_json` gives them, by UPN; None: ask the full path."""
    path = sqlite_file(url)
    if path is None or not os.path.isfile(path):
        return None
    try:
        with closing(sqlite3.connect(path, timeout=30)) as connection:
            return _read(connection, school_id, as_of)
    except sqlite3.Error:  # locked, not a database, tables missing: the full path says which
        return None


def _read(
    connection: sqlite3.Connection, school_id: str, as_of: date
) -> list[dict[str, Any]] | None:
    version = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    if version != [(SCHEMA_HEAD,)]:
        return None
    school = connection.execute(
        "SELECT policy_text, calendar_text FROM school WHERE id = ?", (school_id,)
    ).fetchone()
    if school is None:
        return None
    window = n_code_window(school[0])
    calendar = SchoolCalendar.stored_as_written(school[1])
    if window is None or calendar is None:
        return None
    connection.row_factory = sqlite3.Row
    rows = connection.execute(
        STATEMENT, statement_parameters(school_id, period_for(calendar, as_of, window))
    )
    return [figures_from_row(row, as_of).as_json() for row in rows]


def n_code_window(policy_text: str) -> int | None:
    """The policy's `la_duties.n_code_resolution_school_days` (default: the law's), read from
    the stored TOML; None unless it is written as a plain whole number, as validation left it."""
    duties = tomllib.loads(policy_text).get("la_duties", {})
    window = (
        duties.get("n_code_resolution_school_days", N_CODE_SCHOOL_DAYS)
        if isinstance(duties, dict)
        else None
    )
    return window if type(window) is int and window >= 1 else None


def statement_parameters(school_id: str, period: Period) -> dict[str, str | int]:
    """The statement's named parameters; dates as SQLAlchemy's SQLite Date stores them."""
    varying = {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(period).items()}
    return {**CONSTANTS, **varying, "school_id": school_id}
