"""Every pupil's figures read with the bare database driver (stdlib sqlite3, or psycopg for
PostgreSQL): no SQLAlchemy, SQLModel or pydantic.

The same statement (school/statistics_sql.py, compiled from `statistics_query`), the same
counting period (`period_for` over the stored calendar) and the same figures
(`figures_from_row`) as `statistics_for`; only the loading differs. Whatever this path cannot
read exactly as the full path would (a URL it does not know, a schema behind the code, a
stored file in a form only validation would accept, a database it cannot open) gives None,
and the caller asks the full path, which answers or refuses in its own words.
"""

from __future__ import annotations

import os
import sqlite3
import tomllib
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from school.calendar import SchoolCalendar
from school.law import N_CODE_SCHOOL_DAYS
from school.schema_head import SCHEMA_HEAD
from school.statistics_figures import figures_from_row
from school.statistics_period import Period, period_for
from school.statistics_sql import CONSTANTS, statement

_PLAIN_FILE = "sqlite:///"
_POSTGRES = "postgresql+psycopg://"  # what `database_url` makes of every PostgreSQL URL


@dataclass(frozen=True)
class _Driver:
    dialect: str  # which stored statement (school/statistics_<dialect>.sql)
    placeholder: str
    dates_as_text: bool  # SQLite stores dates as text (SQLAlchemy's format: ISO 8601)


_SQLITE = _Driver("sqlite", "?", dates_as_text=True)
_PSYCOPG = _Driver("postgresql", "%s", dates_as_text=False)


def sqlite_file(url: str) -> str | None:
    """The file a plain `sqlite:///path` URL names, or None for any other URL (in-memory,
    options after `?`, %-escapes): those keep the full path."""
    if not url.startswith(_PLAIN_FILE):
        return None
    path = url[len(_PLAIN_FILE) :]
    if not path or path == ":memory:" or path.startswith("file:") or any(c in path for c in "?%"):
        return None
    return path


def quick_statistics(url: str, school_id: str, as_of: date) -> list[dict[str, Any]] | None:
    """The figures as `PupilStatistics.as_json` gives them, by UPN; None: ask the full path."""
    path = sqlite_file(url)
    if path is not None:
        if not os.path.isfile(path):  # the full path creates it, then says it is not set up
            return None
        try:
            with closing(sqlite3.connect(path, timeout=30)) as connection:
                connection.row_factory = sqlite3.Row
                return _read(connection, _SQLITE, school_id, as_of)
        except sqlite3.Error:  # locked, not a database, tables missing: the full path says
            return None
    if url.startswith(_POSTGRES):
        return _from_postgres("postgresql://" + url[len(_POSTGRES) :], school_id, as_of)
    return None


def _from_postgres(conninfo: str, school_id: str, as_of: date) -> list[dict[str, Any]] | None:
    import psycopg
    from psycopg.rows import dict_row

    try:
        # JIT off, as `make_engine` sets it: it costs a second compiling this statement.
        with psycopg.connect(conninfo, options="-c jit=off", row_factory=dict_row) as connection:
            return _read(connection, _PSYCOPG, school_id, as_of)
    except psycopg.Error:  # cannot connect, bad URL, tables missing: the full path says which
        return None


def _read(
    connection: Any, driver: _Driver, school_id: str, as_of: date
) -> list[dict[str, Any]] | None:
    versions = [
        row["version_num"] for row in connection.execute("SELECT version_num FROM alembic_version")
    ]
    if versions != [SCHEMA_HEAD]:
        return None
    school = connection.execute(
        f"SELECT policy_text, calendar_text FROM school WHERE id = {driver.placeholder}",
        (school_id,),
    ).fetchone()
    if school is None:
        return None
    window = n_code_window(school["policy_text"])
    calendar = SchoolCalendar.stored_as_written(school["calendar_text"])
    if window is None or calendar is None:
        return None
    period = period_for(calendar, as_of, window)
    parameters = statement_parameters(school_id, period, driver)
    rows = connection.execute(statement(driver.dialect), parameters)
    return [figures_from_row(row, as_of).as_json() for row in rows]


def n_code_window(policy_text: str) -> int | None:
    """The policy's `la_duties.n_code_resolution_school_days` (default: the law's), read from
    the stored TOML; None unless it is written as a plain whole number, as validation left it."""
    duties = tomllib.loads(policy_text).get("la_duties", {})
    if not isinstance(duties, dict):
        return None
    window = duties.get("n_code_resolution_school_days", N_CODE_SCHOOL_DAYS)
    return window if type(window) is int and window >= 1 else None


def statement_parameters(school_id: str, period: Period, driver: _Driver) -> dict[str, Any]:
    """The statement's named parameters, the period's dates as the database takes them."""
    varying: dict[str, Any] = asdict(period)
    if driver.dates_as_text:
        varying = {k: v.isoformat() if isinstance(v, date) else v for k, v in varying.items()}
    return {**CONSTANTS, **varying, "school_id": school_id}
