"""Statistics on PostgreSQL, many schools: the engine against the floor query and a naive loop."""

from __future__ import annotations

import argparse
import csv
import tempfile
from collections.abc import Sequence
from pathlib import Path
from time import perf_counter
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlmodel import Session

from bench.statistics_common import (
    AS_OF,
    CALENDAR_PATH,
    ENGINE,
    FLOOR,
    NAIVE,
    Line,
    check_same,
    floor_statistics,
    floor_statistics_many,
    naive_statistics,
    print_table,
    school_policy,
    target,
    time_interleaved,
)
from demo.school_data import DemoSchool, generate
from school.calendar import SchoolCalendar
from school.clock import SystemClock
from school.database import make_engine, migrate, session_for
from school.pupil_flags import PUPIL_FLAGS
from school.register_csv import (
    CONTACT_COLUMNS,
    PUPIL_COLUMNS,
    Problems,
    parse_contacts,
    parse_pupils,
)
from school.schools import set_up_school
from school.statistics import PupilStatistics, attendance_statistics

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
ADMIN_DATABASE = "test"
DATABASE = "attendance_bench"
ONE = "floor, one statement"

_PUPIL_COPY = (
    "COPY pupil (id, school_id, upn, given_name, family_name, date_of_birth, year_group, "
    f"admission_date, leaving_date, {', '.join(PUPIL_FLAGS)}) FROM STDIN"
)
_CONTACT_COPY = (
    "COPY contact (id, pupil_id, priority, name, relationship, parental_responsibility, "
    "mobile, email) FROM STDIN"
)
_MARK_COPY = "COPY attendance_mark (id, pupil_id, date, session, code, minutes_late) FROM STDIN"


def school_ids(count: int) -> list[str]:
    return [f"school-{n:03d}" for n in range(1, count + 1)]


def recreate_database(server: str, name: str) -> Engine:
    """A fresh, migrated database (dropped first if a previous run left it)."""
    admin = create_engine(f"{server}/{ADMIN_DATABASE}", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(f"{server}/{name}")
    migrate(engine)
    return engine


class _Ids:
    """Primary keys handed out here, so COPY need not call the sequences once a row."""

    def __init__(self) -> None:
        self.pupil = self.contact = self.mark = 0


_COPY_NULL = "\\N"  # how COPY's text format writes NULL


def _escape(value: str) -> str:
    # COPY's text format: a backslash (the afternoon present code) must be doubled.
    return value.replace("\\", "\\\\")


def load_school(
    cursor: Any, school_id: str, data: DemoSchool, ids: _Ids, work: Path
) -> tuple[int, int]:
    """COPY one school's pupils, contacts and marks; pupils and contacts go through the CSV
    parser the import uses, so names, flags and mobiles are stored exactly as it would."""
    for name, columns, rows in (
        ("pupils.csv", PUPIL_COLUMNS, data.pupils),
        ("contacts.csv", CONTACT_COLUMNS, data.contacts),
    ):
        with (work / name).open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(rows)
    problems = Problems()
    pupils = parse_pupils(work / "pupils.csv", problems)
    contacts = parse_contacts(work / "contacts.csv", problems)
    if problems.items:
        raise ValueError(f"{school_id}: demo data refused: {problems.items[:5]}")

    pupil_ids: dict[str, int] = {}
    with cursor.copy(_PUPIL_COPY) as copy:
        for p in pupils:
            ids.pupil += 1
            pupil_ids[p.upn] = ids.pupil
            flags = [flag in p.flags for flag in PUPIL_FLAGS]
            copy.write_row(
                (
                    ids.pupil,
                    school_id,
                    p.upn,
                    p.given_name,
                    p.family_name,
                    p.date_of_birth,
                    p.year_group,
                    p.admission_date,
                    p.leaving_date,
                    *flags,
                )
            )
    with cursor.copy(_CONTACT_COPY) as copy:
        for c in contacts:
            ids.contact += 1
            copy.write_row(
                (
                    ids.contact,
                    pupil_ids[c.upn],
                    c.priority,
                    c.name,
                    c.relationship,
                    c.parental_responsibility,
                    c.mobile,
                    c.email,
                )
            )
    # Marks are 99% of the rows: written as COPY text in large blocks, not row by row.
    first = ids.mark
    with cursor.copy(_MARK_COPY) as copy:
        block: list[str] = []
        for number, (upn, on, session, code, minutes) in enumerate(data.marks, start=first + 1):
            block.append(
                f"{number}\t{pupil_ids[upn]}\t{on}\t{session}\t{_escape(code)}\t"
                f"{minutes or _COPY_NULL}\n"
            )
            if len(block) == 50_000:
                copy.write("".join(block))
                block.clear()
        copy.write("".join(block))
    ids.mark += len(data.marks)
    return len(pupils), len(data.marks)


def _deferred_mark_indexes(cursor: Any) -> list[str]:
    """Drop the marks' secondary indexes and pupil foreign key for the load, as pg_restore
    does; return the statements that put them back exactly (read from the catalogue, so they
    are whatever the migration made). The primary key stays: mark_amendment refers to it."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'attendance_mark'::regclass AND contype IN ('u', 'f') ORDER BY conname"
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i "
        # Partial indexes stay: rebuilt from pg_get_indexdef, their predicate comes back as a
        # different (equivalent) expression that the planner may no longer match to queries.
        "WHERE indrelid = 'attendance_mark'::regclass AND NOT indisprimary AND indpred IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
        "AND c.conrelid = i.indrelid) ORDER BY 1"
    )
    indexes = cursor.fetchall()
    for name, _ in constraints:
        cursor.execute(f'ALTER TABLE attendance_mark DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    # Unique constraints first: the foreign key check then runs on a fully indexed table.
    ordered = sorted(constraints, key=lambda c: c[1].startswith("FOREIGN"))
    return [
        *(f'ALTER TABLE attendance_mark ADD CONSTRAINT "{n}" {d}' for n, d in ordered),
        *(definition for _, definition in indexes),
    ]


def _schema_of_marks(cursor: Any) -> set[str]:
    cursor.execute(
        "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = "
        "'attendance_mark'::regclass UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE conrelid = 'attendance_mark'::regclass"
    )
    return {row[0] for row in cursor.fetchall()}


def load(
    engine: Engine, schools: Sequence[str], pupils: int, calendar_text: str
) -> tuple[int, int, float, float, float]:
    """Set the schools up and bulk-load their demo registers.

    Returns pupils, marks, seconds generating, seconds copying, seconds building indexes.
    """
    calendar = SchoolCalendar.from_toml(calendar_text, str(CALENDAR_PATH))
    with session_for(engine) as session:
        for school_id in schools:
            set_up_school(
                session,
                school_id,
                school_policy(school_id),
                calendar_text,
                str(CALENDAR_PATH),
                SystemClock(),
            )
        session.commit()
    year_groups = list(school_policy(schools[0]).policy.school.year_groups)
    ids = _Ids()
    total_pupils = total_marks = 0
    generating = 0.0
    start = perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        schema = _schema_of_marks(cursor)
        restore = _deferred_mark_indexes(cursor)
        raw.commit()
        with tempfile.TemporaryDirectory() as folder:
            for number, school_id in enumerate(schools, start=1):
                begin = perf_counter()
                # A different seed per school, so no two schools have the same register.
                data = generate(pupils, number, calendar, year_groups)
                generating += perf_counter() - begin
                added_pupils, added_marks = load_school(cursor, school_id, data, ids, Path(folder))
                total_pupils += added_pupils
                total_marks += added_marks
                raw.commit()
                if number % 10 == 0 or number == len(schools):
                    print(
                        f"  copied {number}/{len(schools)} schools, {total_marks:,} marks, "
                        f"{perf_counter() - start:.0f} s",
                        flush=True,
                    )
        copied = perf_counter()
        cursor.execute("SET maintenance_work_mem = '1GB'")  # this session only: sorts in memory
        for statement in restore:
            cursor.execute(statement)
        for table in ("pupil", "contact", "attendance_mark"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        raw.commit()
        if _schema_of_marks(cursor) != schema:
            raise AssertionError("the marks' indexes and constraints did not come back as made")
    finally:
        raw.close()
    return total_pupils, total_marks, generating, copied - start, perf_counter() - copied


def vacuum_analyze(engine: Engine) -> float:
    """VACUUM ANALYZE: planner statistics, and the visibility map index-only scans rely on
    (autovacuum would do both on a live server; a benchmark cannot wait for it)."""
    start = perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return perf_counter() - start


def _all(session: Session, schools: Sequence[str], method: Any) -> dict[str, Any]:
    return {school_id: method(session, school_id, AS_OF) for school_id in schools}


def timing_engine(url: str, jit: str) -> Engine:
    """An engine for the timed runs; with jit "off" every connection runs `SET jit = off`."""
    engine = make_engine(url)
    if jit == "off":

        @event.listens_for(engine, "connect")
        def _no_jit(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET jit = off")
            dbapi_connection.commit()

    return engine


def spread(schools: Sequence[str], count: int) -> list[str]:
    """`count` schools spread evenly through the list (first, ..., last)."""
    count = max(1, min(count, len(schools)))
    if count == 1:
        return [schools[0]]
    return [schools[round(i * (len(schools) - 1) / (count - 1))] for i in range(count)]


def run(args: argparse.Namespace) -> int:
    schools = school_ids(args.schools)
    sample = spread(schools, args.naive_schools)
    n, scale = len(schools), len(schools) / len(sample)
    calendar_text = CALENDAR_PATH.read_text(encoding="utf-8")
    print(
        f"PostgreSQL: {n} schools x {args.pupils} pupils, a full year (2025-26), "
        f"as of {AS_OF}; database {args.database} dropped and recreated",
        flush=True,
    )
    url = f"{args.server}/{args.database}"
    loader = recreate_database(args.server, args.database)
    pupils, marks, generating, copying, indexing = load(loader, schools, args.pupils, calendar_text)
    print(
        f"Loaded {pupils:,} pupils and {marks:,} marks in {copying + indexing:.1f} s: COPY "
        f"{copying:.1f} s ({generating:.1f} s of it generating the demo data), then the marks' "
        f"unique index, (code, date) index and pupil foreign key {indexing:.1f} s"
    )
    print(f"VACUUM ANALYZE took {vacuum_analyze(loader):.1f} s")
    loader.dispose()

    engine = timing_engine(url, args.jit)
    with session_for(engine) as session:
        version = session.execute(text("SHOW server_version")).scalar_one()
        jit = session.execute(text("SHOW jit")).scalar_one()
        print(
            f"PostgreSQL {version}; jit={jit} on the timed connections "
            + ("(SET jit = off; see the jit lines below)" if args.jit == "off" else "(server)")
        )
        print(
            f"Timing {args.repeat} rounds; each round runs every method once, in turn "
            f"(naive on {len(sample)} schools: {', '.join(sample)})"
        )
        methods: dict[str, Any] = {
            ENGINE: lambda: _all(session, schools, attendance_statistics),
            FLOOR: lambda: _all(session, schools, floor_statistics),
            NAIVE: lambda: _all(session, sample, naive_statistics),
        }
        if args.one_statement:
            methods[ONE] = lambda: floor_statistics_many(session, schools, AS_OF)
        times, results = time_interleaved(methods, args.repeat)
    engine.dispose()

    # Checked on the figures of the first round: every school for the floor, the sample for
    # the naive loop. A difference stops the run before any ratio is printed.
    engine_figures: dict[str, list[PupilStatistics]] = results[ENGINE]
    for method in (FLOOR, ONE):
        for school_id, figures in results.get(method, {}).items():
            check_same(method, engine_figures[school_id], figures, school_id)
    for school_id, figures in results[NAIVE].items():
        check_same(NAIVE, engine_figures[school_id], figures, school_id)
    checked = sum(len(f) for f in engine_figures.values())
    sampled = sum(len(engine_figures[s]) for s in sample)
    print(
        f"Verified: floor = engine for all {checked:,} pupils of {n} schools"
        + (" (per school and in one statement)" if args.one_statement else "")
        + f"; naive = engine for the {sampled:,} pupils of the {len(sample)} sampled schools"
    )

    lines = [
        Line("engine, one call per school", times[ENGINE]),
        Line("floor, one statement per school", times[FLOOR]),
    ]
    if args.one_statement:
        lines.append(Line("floor, one statement for all schools", times[ONE]))
    lines.append(
        Line(
            f"naive, query per pupil: EXTRAPOLATED x{n}/{len(sample)}",
            [t * scale for t in times[NAIVE]],
            f"(measured on {len(sample)} schools)",
        )
    )
    if args.jit == "off":
        server_jit = timing_engine(url, "server")
        with session_for(server_jit) as session:
            jit_times, _ = time_interleaved(
                {
                    ENGINE: lambda: _all(session, sample, attendance_statistics),
                    FLOOR: lambda: _all(session, sample, floor_statistics),
                },
                args.repeat,
            )
            jit = session.execute(text("SHOW jit")).scalar_one()
        server_jit.dispose()
        for method, label in ((ENGINE, "engine"), (FLOOR, "floor, per school")):
            lines.append(
                Line(
                    f"{label}, server jit={jit}: EXTRAPOLATED x{n}/{len(sample)}",
                    [t * scale for t in jit_times[method]],
                    f"(measured on {len(sample)} schools)",
                )
            )
    print(f"\nAll {n} schools, total seconds (best and median of {args.repeat} rounds):")
    print_table(lines, lines[1])
    print(f"\nPer school (total / {n}), milliseconds:")
    width = max(len(line.method) for line in lines)
    for line in lines:
        print(
            f"  {line.method:<{width}}  best {1000 * line.best / n:8.1f}  "
            f"median {1000 * line.median / n:8.1f}"
        )
    engine_best, floor_best = lines[0].best, lines[1].best
    print("\nTargets:")
    print(
        target(
            "engine <= 2x floor (best totals)",
            engine_best <= 2 * floor_best,
            f"{engine_best / floor_best:.2f}x",
        )
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.statistics_postgres", description=__doc__
    )
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--pupils", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--naive-schools", type=int, default=3, help="schools the naive loop runs on"
    )
    parser.add_argument(
        "--jit",
        choices=("off", "server"),
        default="off",
        help="off: time with SET jit = off and measure the server setting on the sample "
        "only (JIT costs ~1 s a statement here); server: time everything as configured",
    )
    parser.add_argument(
        "--one-statement",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time the floor as one statement for all schools",
    )
    parser.add_argument("--server", default=SERVER, help="SQLAlchemy URL without a database")
    parser.add_argument("--database", default=DATABASE, help="dropped and recreated each run")
    args = parser.parse_args(argv)
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
