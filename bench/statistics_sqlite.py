"""Statistics on SQLite, one school: the engine against the floor query and a naive loop."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path
from time import perf_counter

from sqlalchemy import text

from bench.statistics_common import (
    AS_OF,
    CALENDAR_PATH,
    ENGINE,
    FLOOR,
    NAIVE,
    POLICY_SCHOOL,
    SEED,
    Line,
    floor_statistics,
    naive_statistics,
    print_table,
    school_policy,
    target,
    time_interleaved,
    verify,
)
from demo.school_data import generate, write_csvs
from school.clock import SystemClock
from school.database import make_engine, migrate, session_for
from school.register_import import RegisterFiles, import_register
from school.schools import calendar_of, get_school, set_up_school
from school.statistics import attendance_statistics

ENGINE_SECONDS = 1.0  # target: the engine's figures for a 1,000-pupil school within a second
FLOOR_RATIO = 2.0  # target: the engine within twice the floor


def run(pupils: int, repeat: int, seed: int, folder: Path) -> int:
    school_id = POLICY_SCHOOL
    database = folder / "bench.db"
    engine = make_engine(f"sqlite:///{database}")
    migrate(engine)
    with session_for(engine) as session:
        policy = school_policy(school_id)
        calendar_text = CALENDAR_PATH.read_text(encoding="utf-8")
        set_up_school(session, school_id, policy, calendar_text, str(CALENDAR_PATH), SystemClock())
        session.commit()
        calendar = calendar_of(get_school(session, school_id))
        start = perf_counter()
        data = generate(pupils, seed, calendar, list(policy.policy.school.year_groups))
        write_csvs(data, folder)
        generated = perf_counter() - start
        start = perf_counter()
        result = import_register(session, school_id, RegisterFiles.in_folder(folder), SystemClock())
        loaded = perf_counter() - start
        print(
            f"SQLite {session.execute(text('SELECT sqlite_version()')).scalar_one()}, "
            f"fresh file {database}"
        )
        print(
            f"One school x {pupils} pupils, a full year (2025-26), as of {AS_OF}, seed {seed}: "
            f"generated in {generated:.1f} s; import_register loaded {result.pupils_added:,} "
            f"pupils and {result.marks_added:,} marks in {loaded:.1f} s"
        )

        checked = verify(session, school_id, AS_OF)
        print(f"Verified: floor and naive figures = the engine's for all {checked:,} pupils")

        times, _ = time_interleaved(
            {
                ENGINE: lambda: attendance_statistics(session, school_id, AS_OF),
                FLOOR: lambda: floor_statistics(session, school_id, AS_OF),
                NAIVE: lambda: naive_statistics(session, school_id, AS_OF),
            },
            repeat,
        )
    engine.dispose()

    lines = [
        Line("engine (attendance_statistics)", times[ENGINE]),
        Line("floor (one hand-written statement)", times[FLOOR]),
        Line("naive (a query per pupil + Python)", times[NAIVE]),
    ]
    print(f"\nBest and median of {repeat}, taking turns:")
    print_table(lines, lines[1])
    engine_best, floor_best = lines[0].best, lines[1].best
    print("\nTargets:")
    print(
        target(
            f"engine <= {ENGINE_SECONDS:g} s on SQLite",
            engine_best <= ENGINE_SECONDS,
            f"best {engine_best:.3f} s, median {lines[0].median:.3f} s",
        )
    )
    print(
        target(
            f"engine <= {FLOOR_RATIO:g}x floor",
            engine_best <= FLOOR_RATIO * floor_best,
            f"{engine_best / floor_best:.2f}x (best to best)",
        )
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.statistics_sqlite", description=__doc__)
    parser.add_argument("--pupils", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--keep", type=Path, help="folder for the CSVs and database, kept (default: a temp one)"
    )
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        if (args.keep / "bench.db").exists():
            parser.error(f"{args.keep / 'bench.db'} exists: the benchmark needs a fresh file")
        return run(args.pupils, args.repeat, args.seed, args.keep)
    with tempfile.TemporaryDirectory(prefix="bench-statistics-") as folder:
        return run(args.pupils, args.repeat, args.seed, Path(folder))


if __name__ == "__main__":
    raise SystemExit(main())
