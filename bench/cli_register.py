"""`attendance import` of a year's marks and `attendance stats --format json` on SQLite, each a
whole process against its floor in the same run (issue 12, rows two and three).

    python -m bench.cli_register [--pupils 1000] [--repeat 5] [--data FOLDER]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from bench.cli_help import ENTRY
from bench.process_common import compare, compile_our_code, report

SCHOOL = "emmanuel-middle"
AS_OF = date(2026, 7, 20)  # the last school day of 2025-26: a whole year counted
ROOT = Path(__file__).resolve().parent.parent
FLOORS = Path(__file__).resolve().parent / "floors"
STATS_GOAL = 1.3
IMPORT_GOAL = 2.0


def attendance(*args: str) -> list[str]:
    """The program as installed (`attendance = "cli.entry:main"`), run by this interpreter."""
    return [sys.executable, "-c", ENTRY, *args]


def run(argv: list[str]) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def demo_data(given: Path | None, folder: Path, pupils: int, *options: str) -> Path:
    """The folder `--data` named, else one `attendance demo-data` makes now in `folder`."""
    if given is not None:
        return given
    data = folder / "data"
    run(attendance("demo-data", "--out", str(data), "--pupils", str(pupils), *options))
    return data


def load_demo_school(url: str, data: Path, school: str = SCHOOL) -> None:
    """A database holding the demo data's school: `init` under its seed policy, one import."""
    policy = ROOT / "policies" / f"{school}.toml"
    run(attendance("--database", url, "init", "--school", school, "--policy", str(policy)))
    run(attendance("--database", url, "import", "--school", school,
                   "--pupils", str(data / "pupils.csv"), "--contacts", str(data / "contacts.csv"),
                   "--marks", str(data / "marks.csv")))  # fmt: skip


def engine_statement(database: Path, school: str = SCHOOL, as_of: date = AS_OF) -> str:
    """The engine's statistics statement for the school, compiled to SQL text."""
    from sqlalchemy.dialects import sqlite

    from school.database import make_engine, session_for
    from school.schools import load_school
    from school.statistics import period_for, statistics_query

    with session_for(make_engine(f"sqlite:///{database}")) as session:
        loaded = load_school(session, school)
    window = loaded.policy.policy.la_duties.n_code_resolution_school_days
    query = statistics_query(school, period_for(loaded.calendar, as_of, window))
    return str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))


def _copy(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)


def _stats(folder: Path, base: Path, marks: Path, repeat: int) -> bool:
    full = folder / "full.db"
    shutil.copyfile(base, full)
    run(attendance("--database", f"sqlite:///{full}", "import", "--school", SCHOOL,
                   "--marks", str(marks)))  # fmt: skip
    statement = folder / "statistics.sql"
    statement.write_text(engine_statement(full), encoding="utf-8")
    stats = attendance("--database", f"sqlite:///{full}", "stats", "--school", SCHOOL,
                       "--as-of", AS_OF.isoformat(), "--format", "json")  # fmt: skip
    floor_stats = [sys.executable, str(FLOORS / "stats_floor.py"), str(full), str(statement)]
    ours_rows, floor_rows = json.loads(run(stats)), json.loads(run(floor_stats))
    if [r["upn"] for r in ours_rows] != [r["upn"] for r in floor_rows]:
        raise SystemExit("the floor's rows are not the engine's pupils")
    ours, floor = compare("stats", stats, floor_stats, repeat=repeat)
    return report(
        f"attendance stats --format json, {len(ours_rows)} pupils", ours, floor, STATS_GOAL
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pupils", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data", type=Path, help="a folder from `attendance demo-data`")
    parser.add_argument("--only", choices=("import", "stats"), help="one of the two rows")
    args = parser.parse_args(argv)
    compile_our_code(Path(__file__).resolve().parent.parent)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = demo_data(args.data, folder, args.pupils)
        base, each = folder / "base.db", folder / "run.db"
        url = f"sqlite:///{base}"
        policy = ROOT / "policies" / f"{SCHOOL}.toml"
        run(attendance("--database", url, "init", "--school", SCHOOL, "--policy", str(policy)))
        run(attendance("--database", url, "import", "--school", SCHOOL,
                       "--pupils", str(data / "pupils.csv"),
                       "--contacts", str(data / "contacts.csv")))  # fmt: skip
        marks = data / "marks.csv"
        print(f"{args.pupils} pupils, {sum(1 for _ in marks.open()) - 1} marks; "
              f"Python {sys.version.split()[0]}")  # fmt: skip

        import_met = stats_met = True
        if args.only != "stats":
            ours, floor = compare(
                "import",
                attendance("--database", f"sqlite:///{each}", "import", "--school", SCHOOL,
                           "--marks", str(marks)),
                [sys.executable, str(FLOORS / "import_floor.py"), str(each), str(marks), SCHOOL],
                repeat=args.repeat,
                before_each=lambda: _copy(base, each),
            )  # fmt: skip
            import_met = report("register import, marks.csv into SQLite", ours, floor, IMPORT_GOAL)
        if args.only != "import":
            stats_met = _stats(folder, base, marks, args.repeat)
    return 0 if import_met and stats_met else 1


if __name__ == "__main__":
    raise SystemExit(main())
