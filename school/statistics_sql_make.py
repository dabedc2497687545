"""Writes school/statistics_sql.py: the statistics statement compiled once for SQLite and for
PostgreSQL (psycopg, with the casts SQLAlchemy's psycopg dialect adds).

    python -m school.statistics_sql_make

Run it after changing `statistics_query`; tests/school/test_statistics_quick.py fails until the
stored text is the statement the engine compiles today.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from pathlib import Path
from pprint import pformat

from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import psycopg
from sqlalchemy.engine import Dialect

from school.statistics import Period, statistics_query

TARGET = Path(__file__).resolve().parent / "statistics_sql.py"
# The parameters that change between schools and dates; every other one is a constant (a code).
VARYING = ("school_id", *(f.name for f in fields(Period)))


DIALECTS: dict[str, Dialect] = {
    "sqlite": sqlite.dialect(paramstyle="named"),
    "postgresql": psycopg.dialect(),  # %(name)s parameters, as SQLAlchemy runs it
}


def compiled_for(name: str) -> tuple[str, dict[str, str | int]]:
    """The statement's SQL text (named parameters) and the values of its constant parameters."""
    anyday = date(2000, 1, 1)
    period = Period(anyday, anyday, anyday, anyday, anyday, 0, anyday)
    dialect = DIALECTS[name]
    # render_postcompile: each code of an IN list becomes a parameter of its own in the text.
    compiled = statistics_query("any", period).compile(
        dialect=dialect, compile_kwargs={"render_postcompile": True}
    )
    constants = {k: v for k, v in compiled.params.items() if k not in VARYING}
    missing = set(VARYING) - set(compiled.params)
    odd = {k: v for k, v in constants.items() if type(v) not in (str, int)}
    if missing or odd:
        raise ValueError(f"statistics statement: missing {missing}, not str/int {odd}")
    return str(compiled), constants


def module_text() -> str:
    """school/statistics_sql.py: where the statements are, and their constant parameters."""
    # The constants (codes and window sizes) are the same for every dialect (a test holds it).
    constants = pformat(compiled_for("sqlite")[1], width=90, sort_dicts=True)
    return (
        '"""The statistics statement compiled for SQLite and PostgreSQL (written by `python -m\n'
        "school.statistics_sql_make`; do not edit): `stats --format json` runs it with stdlib "
        'sqlite3 or\npsycopg (school/statistics_quick.py)."""\n\n'
        "from pathlib import Path\n\n"
        "_HERE = Path(__file__).resolve().parent\n\n\n"
        "def statement(dialect: str) -> str:\n"
        '    """The SQL text for "sqlite" or "postgresql", with named parameters."""\n'
        '    return (_HERE / f"statistics_{dialect}.sql").read_text(encoding="utf-8")\n\n\n'
        f"CONSTANTS: dict[str, str | int] = {constants}\n"
    )


def statement_file(dialect: str) -> Path:
    return TARGET.parent / f"statistics_{dialect}.sql"


if __name__ == "__main__":
    TARGET.write_text(module_text(), encoding="utf-8")
    for name in DIALECTS:
        statement_file(name).write_text(compiled_for(name)[0], encoding="utf-8")
    print(f"wrote {TARGET} and its statements")
