"""The statistics statement compiled for SQLite and PostgreSQL (written by `python -m
school.statistics_sql_make`; do not edit): `stats --format json` runs it with stdlib sqlite3 or
psycopg (school/statistics_quick.py)."""

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def statement(dialect: str) -> str:
    """The SQL text for "sqlite" or "postgresql", with named parameters."""
    return (_HERE / f"statistics_{dialect}.sql").read_text(encoding="utf-8")


CONSTANTS: dict[str, str | int] = {
    "coalesce_1": 0,
    "coalesce_10": 0,
    "coalesce_11": 0,
    "coalesce_12": 0,
    "coalesce_13": 0,
    "coalesce_14": 0,
    "coalesce_2": 0,
    "coalesce_3": 0,
    "coalesce_4": 0,
    "coalesce_5": 0,
    "coalesce_6": 0,
    "coalesce_7": 0,
    "coalesce_8": 0,
    "coalesce_9": 0,
    "code_10": "I",
    "code_11": "N",
    "code_12_1": "G",
    "code_12_2": "N",
    "code_12_3": "O",
    "code_12_4": "U",
    "code_1_1": "#",
    "code_1_10": "Y6",
    "code_1_11": "Y7",
    "code_1_12": "Z",
    "code_1_2": "D",
    "code_1_3": "Q",
    "code_1_4": "X",
    "code_1_5": "Y1",
    "code_1_6": "Y2",
    "code_1_7": "Y3",
    "code_1_8": "Y4",
    "code_1_9": "Y5",
    "code_2": "L",
    "code_3_1": "B",
    "code_3_2": "K",
    "code_3_3": "P",
    "code_3_4": "V",
    "code_3_5": "W",
    "code_4_1": "C",
    "code_4_10": "T",
    "code_4_2": "C1",
    "code_4_3": "C2",
    "code_4_4": "E",
    "code_4_5": "I",
    "code_4_6": "J1",
    "code_4_7": "M",
    "code_4_8": "R",
    "code_4_9": "S",
    "code_5_1": "G",
    "code_5_2": "N",
    "code_5_3": "O",
    "code_5_4": "U",
    "code_6": "L",
    "code_7": "L",
    "code_8": "U",
    "code_9": "U",
    "lag_1": 9,
    "param_1": 10,
    "param_2": 1,
}
