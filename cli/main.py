"""The `attendance` command: set up a school, import registers, check policies, print figures."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy import Engine

from cases.clock import SystemClock, school_today
from cases.database import (
    database_url,
    make_engine,
    migrate,
    require_current_schema,
    session_for,
)
from cases.errors import InputError
from cases.policy import POLICY_DIR, bundled_policy, load_policy
from cases.register_import import Amender, RegisterFiles, import_register
from cases.schools import calendar_of, get_school, set_up_school
from cases.statistics import attendance_statistics

app = typer.Typer(
    help="Attendance engine for English schools: registers, policies and attendance figures.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
policy_app = typer.Typer(help="Work with school policy files.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")

console = Console()
errors = Console(stderr=True)
DEFAULT_CALENDAR = POLICY_DIR / "calendars" / "england-2025-27.toml"


class Format(StrEnum):
    table = "table"
    json = "json"


class _State:
    database: str | None = None


@app.callback()
def main(
    database: Annotated[
        str | None,
        typer.Option(
            help="Database URL (default: ATTENDANCE_DATABASE_URL, else sqlite:///attendance.db)."
        ),
    ] = None,
) -> None:
    _State.database = database


def fail(lines: list[str], headline: str | None = None) -> NoReturn:
    if headline:
        errors.print(f"[bold red]{headline}[/]")
    for line in lines:
        errors.print(line, markup=False, highlight=False)
    raise typer.Exit(1)


@contextmanager
def refused() -> Iterator[None]:
    """Turn the engine's input and lookup errors into a clear message and exit code 1."""
    try:
        yield
    except InputError as exc:
        fail(exc.lines(), "Refused; nothing was written:")
    except LookupError as exc:
        fail([str(exc.args[0] if exc.args else exc)])


def _engine(migrated: bool = False) -> Engine:
    """The database engine; set up (migrated) for `init`, else checked to be set up."""
    engine = make_engine(_State.database)
    if migrated:
        migrate(engine)
    else:
        require_current_schema(engine)
    return engine


@app.command()
def init(
    school: Annotated[str, typer.Option(help="The school's id, as in its policy file.")],
    policy: Annotated[Path, typer.Option(help="The school's policy TOML.")],
    calendar: Annotated[Path, typer.Option(help="The school's calendar TOML.")] = DEFAULT_CALENDAR,
) -> None:
    """Create the database (migrations) and the school, or update its policy and calendar."""
    with refused():
        loaded = load_policy(policy)
        calendar_text = _read(calendar)
        engine = _engine(migrated=True)
        with session_for(engine) as session:
            done = set_up_school(
                session, school, loaded, calendar_text, str(calendar), SystemClock()
            )
            session.commit()
    verb = "Created" if done.created else "Updated"
    console.print(
        f"{verb} {school} in {database_url(_State.database)}: policy version {done.policy_version}"
        f"{'' if done.policy_changed else ' (unchanged)'}, {done.school_days} school days"
        f"{'' if done.calendar_changed else ' (calendar unchanged)'}"
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), [f"cannot read the file: {exc.strerror}"]) from exc


@app.command("import")
def import_(
    school: Annotated[str, typer.Option(help="The school's id.")],
    folder: Annotated[
        Path | None,
        typer.Argument(help="A folder holding pupils.csv, contacts.csv and/or marks.csv."),
    ] = None,
    pupils: Annotated[Path | None, typer.Option(help="pupils.csv")] = None,
    contacts: Annotated[Path | None, typer.Option(help="contacts.csv")] = None,
    marks: Annotated[Path | None, typer.Option(help="marks.csv")] = None,
    by: Annotated[
        str | None,
        typer.Option(help='Who is amending: "Name, Position" (needed when marks change).'),
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why marks are being amended.")] = None,
) -> None:
    """Import register CSVs in one transaction; changed marks are audited amendments."""
    files = RegisterFiles.in_folder(folder) if folder else RegisterFiles()
    files = RegisterFiles(pupils or files.pupils, contacts or files.contacts, marks or files.marks)
    try:
        amender = Amender.parse(by) if by else None
    except ValueError as exc:
        fail([str(exc)])
    with refused(), _progress() as progress:
        tasks: dict[str, TaskID] = {}

        def advance(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(f"Checking {name}", total=total)
            progress.update(tasks[name], completed=done, total=total)

        with session_for(_engine()) as session:
            result = import_register(
                session, school, files, SystemClock(), by=amender, reason=reason, progress=advance
            )
    if not result.changed:
        console.print(f"Nothing to change: {result.marks_unchanged} marks already as imported.")
        return
    console.print(
        f"Imported: {result.pupils_added} pupils added, {result.pupils_changed} changed; "
        f"{result.contacts_changed} pupils' contacts updated; {result.marks_added} marks added, "
        f"{result.marks_amended} amended, {result.marks_unchanged} unchanged."
    )


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    )


@app.command()
def stats(
    school: Annotated[str, typer.Option(help="The school's id.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="YYYY-MM-DD; its last session is included. Default: today."),
    ] = None,
    format: Annotated[Format, typer.Option(help="table or json")] = Format.table,
) -> None:
    """Every on-roll pupil's attendance figures as of a date."""
    from cases.roll import roll_by_upn
    from cli.report import pupil_table, summary_table

    on = _date(as_of) if as_of else school_today(SystemClock())
    with refused(), session_for(_engine()) as session:
        name = get_school(session, school).name
        figures = attendance_statistics(session, school, on)
        roll = roll_by_upn(session, school)
    if format is Format.json:
        json.dump([f.as_json() for f in figures], sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    console.print(summary_table(name, on, figures))
    console.print(pupil_table(figures, roll))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail([f"--as-of {text!r} is not a date in the form YYYY-MM-DD"])


@policy_app.command("check")
def policy_check(
    files: Annotated[list[Path], typer.Argument(help="Policy TOML files to check.")],
) -> None:
    """Validate policy files and print every problem, naming the key."""
    bad = False
    for path in files:
        try:
            loaded = load_policy(path)
        except InputError as exc:
            bad = True
            errors.print(f"[bold red]{path}: {len(exc.problems)} problem(s)[/]")
            for problem in exc.problems:
                errors.print(f"  {path}: {problem}", markup=False, highlight=False)
            continue
        console.print(f"{path}: ok ({loaded.policy.school.name}, version {loaded.version})")
    if bad:
        raise typer.Exit(1)


@app.command("demo-data")
def demo_data(
    out: Annotated[Path, typer.Option(help="Folder to write pupils.csv, contacts.csv, marks.csv.")],
    pupils: Annotated[int, typer.Option(min=1, help="How many pupils.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 1,
    calendar: Annotated[Path, typer.Option(help="Calendar TOML.")] = DEFAULT_CALENDAR,
    year_groups: Annotated[
        str, typer.Option(help="Comma-separated year groups, e.g. 5,6,7,8.")
    ] = "7,8,9,10,11",
    until: Annotated[
        str | None,
        typer.Option(
            help="Last date to generate marks for (default: end of the first academic year)."
        ),
    ] = None,
) -> None:
    """Write a realistic, deterministic school year of register data as the three CSVs."""
    from cases.calendar import SchoolCalendar
    from cases.demo_data import generate, write_csvs

    with refused():
        cal = SchoolCalendar.from_toml(_read(calendar), str(calendar))
    groups = [int(y) for y in year_groups.split(",") if y.strip()]
    school = generate(pupils, seed, cal, groups, _date(until) if until else None)
    out.mkdir(parents=True, exist_ok=True)
    write_csvs(school, out)
    shutil.copyfile(calendar, out / "calendar.toml")
    console.print(f"Wrote {pupils} pupils' register data to {out}/ (seed {seed}).")


@app.command()
def demo(
    school: Annotated[
        str, typer.Option(help="Which seed school's policy to run.")
    ] = "emmanuel-middle",
    pupils: Annotated[int, typer.Option(min=1)] = 300,
    folder: Annotated[
        Path, typer.Option(help="Where the demo's files and SQLite database go.")
    ] = Path("demo"),
) -> None:
    """Set up a demo school from scratch and print its attendance report."""
    from cases.demo_data import generate, write_csvs
    from cases.roll import roll_by_upn
    from cli.report import print_report

    with refused():
        loaded = load_policy(bundled_policy(school))
        calendar_text = _read(DEFAULT_CALENDAR)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    _State.database = f"sqlite:///{folder / 'attendance.db'}"
    console.print(
        f"[bold]Demo: {loaded.policy.school.name}[/] ({loaded.source}, version {loaded.version})"
    )
    engine = _engine(migrated=True)
    with refused(), session_for(engine) as session:
        set_up_school(session, school, loaded, calendar_text, str(DEFAULT_CALENDAR), SystemClock())
        session.commit()
        cal = calendar_of(get_school(session, school))
        data = generate(pupils, 1, cal, list(loaded.policy.school.year_groups))
        write_csvs(data, folder)
        console.print(f"Generated {pupils} pupils' register for a school year into {folder}/")
        with _progress() as progress:
            task = progress.add_task("Importing", total=None)
            result = import_register(
                session,
                school,
                RegisterFiles.in_folder(folder),
                SystemClock(),
                progress=lambda _n, done, total: progress.update(task, completed=done, total=total),
            )
        console.print(f"Imported {result.pupils_added} pupils and {result.marks_added} marks.")
        as_of = max(d.date for d in cal.days if d.academic_year == cal.days[0].academic_year)
        figures = attendance_statistics(session, school, as_of)
        roll = roll_by_upn(session, school)
    print_report(console, loaded.policy.school.name, as_of, figures, roll, limit=15)
    console.print(
        f"Full figures: attendance --database sqlite:///{folder / 'attendance.db'} stats "
        f"--school {school} --as-of {as_of} [--format json]"
    )


if __name__ == "__main__":
    app()
