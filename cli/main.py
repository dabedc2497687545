"""The `attendance` command: set up a school, import registers, check policies, print figures."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy.engine import make_url
from sqlmodel import Session, col

from cli import alerts as alerts_cli
from cli import cases as cases_cli
from cli import chase
from cli import duties as duties_cli
from cli import legal as legal_cli
from cli import letters as letters_cli
from cli import register as register_cli
from cli.common import State, console, errors, open_database, refused
from cli.door import DoorGroup
from cli.import_report import import_json, print_import
from cli.output import Format, FormatOption, WideOption, print_json, print_result
from cli.parsing import (
    date_or_today,
    parse_date,
    parse_person,
    parse_reason,
    parse_year_groups,
    school_named,
)
from school.calendar import SchoolCalendar
from school.clock import SystemClock
from school.database import (
    database_url,
    session_for,
)
from school.errors import InputError
from school.policy_files import POLICY_DIR, bundled_policy, load_policy
from school.register_import import RegisterFiles, import_register
from school.roll import roll_by_upn
from school.schools import calendar_of, get_school, load_school, set_up_school
from school.statistics import attendance_statistics, statistics_for

app = typer.Typer(
    help="Attendance engine for English schools: registers, policies and attendance figures.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=DoorGroup,
)
policy_app = typer.Typer(help="Work with school policy files.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")

DEFAULT_CALENDAR = POLICY_DIR / "calendars" / "england-2025-27.toml"


@app.callback()
def main(
    database: Annotated[
        str | None,
        typer.Option(
            help="Database URL (default: ATTENDANCE_DATABASE_URL, else sqlite:///attendance.db)."
        ),
    ] = None,
) -> None:
    State.database = database


@app.command()
def init(
    school: Annotated[str, typer.Option(help="The school's id, as in its policy file.")],
    policy: Annotated[Path, typer.Option(help="The school's policy TOML.")],
    calendar: Annotated[Path, typer.Option(help="The school's calendar TOML.")] = DEFAULT_CALENDAR,
    format: FormatOption = Format.table,
) -> None:
    """Create the database (migrations) and the school, or update its policy and calendar."""
    with refused():
        loaded = load_policy(policy)
        calendar_text = _read(calendar)
        engine = open_database(migrated=True)
        with session_for(engine) as session:
            done = set_up_school(
                session, school, loaded, calendar_text, str(calendar), SystemClock()
            )
            session.commit()
    verb = "Created" if done.created else "Updated"
    where = make_url(database_url(State.database)).render_as_string(hide_password=True)
    print_result(
        format,
        f"{verb} {school} in {where}: policy version {done.policy_version}"
        f"{'' if done.policy_changed else ' (unchanged)'}, {done.school_days} school days"
        f"{'' if done.calendar_changed else ' (calendar unchanged)'}",
        {**asdict(done), "database": where},
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
    format: FormatOption = Format.table,
    wide: WideOption = False,
) -> None:
    """Import register CSVs in one transaction; changed marks are audited amendments."""
    files = RegisterFiles.in_folder(folder) if folder else RegisterFiles()
    files = RegisterFiles(pupils or files.pupils, contacts or files.contacts, marks or files.marks)
    amender = parse_person("--by", by) if by is not None else None
    reason = parse_reason("--reason", reason) if reason is not None else None
    with session_for(open_database()) as session:
        loaded = school_named(session, school)
    with refused(), _progress() as progress:
        tasks: dict[str, TaskID] = {}

        def advance(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(f"Checking {name}", total=total)
            progress.update(tasks[name], completed=done, total=total)

        with session_for(open_database()) as session:
            result = import_register(
                session, school, files, SystemClock(), by=amender, reason=reason, progress=advance
            )
            roll = roll_by_upn(session, school)
    names = ", ".join(p.name for p in (files.pupils, files.contacts, files.marks) if p)
    if format is Format.json:
        print_json(import_json(school, names, result, roll))
    else:
        print_import(loaded.name, names, result, roll, wide)


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
    wide: WideOption = False,
) -> None:
    """Every on-roll pupil's attendance figures as of a date."""
    from cli.report import pupil_table, summary_table
    from school.roll import roll_by_upn

    # Any day will do: on a weekend or in a holiday the figures count to the last school day.
    on = date_or_today("--as-of", as_of)
    with refused(), session_for(open_database()) as session:
        loaded = school_named(session, school)
        figures = statistics_for(session, loaded, on)
        roll = roll_by_upn(session, school)
    if format is Format.json:
        json.dump([f.as_json() for f in figures], sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    console.print(summary_table(loaded.name, on, figures))
    console.print(pupil_table(figures, roll, wide))


@policy_app.command("check")
def policy_check(
    files: Annotated[list[Path], typer.Argument(help="Policy TOML files to check.")],
    format: FormatOption = Format.table,
) -> None:
    """Validate policy files and print every problem, naming the key (exit 1 if any)."""
    checked: list[dict[str, Any]] = []
    for path in files:
        try:
            loaded = load_policy(path)
        except InputError as exc:
            checked.append({"file": str(path), "ok": False, "school": None, "name": None,
                            "version": None, "problems": list(exc.problems)})  # fmt: skip
            continue
        school = loaded.policy.school
        checked.append({"file": str(path), "ok": True, "school": school.id, "name": school.name,
                        "version": loaded.version, "problems": []})  # fmt: skip
    bad = sum(not policy["ok"] for policy in checked)
    if format is Format.json:
        print_json({"policies": checked})
    else:
        console.print(f"{len(checked)} policy files checked: {len(checked) - bad} ok, {bad} not.")
    for policy in checked if format is Format.table else []:
        if policy["ok"]:
            console.print(
                f"{policy['file']}: ok ({policy['name']}, version {policy['version']})",
                markup=False,
                highlight=False,
            )
            continue
        errors.print(f"[bold red]{policy['file']}: {len(policy['problems'])} problem(s)[/]")
        for problem in policy["problems"]:
            errors.print(f"  {policy['file']}: {problem}", markup=False, highlight=False)
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
    format: FormatOption = Format.table,
) -> None:
    """Write a realistic, deterministic school year of register data as the three CSVs."""
    from demo.school_data import generate, write_csvs
    from school.calendar import SchoolCalendar

    with refused():
        cal = SchoolCalendar.from_toml(_read(calendar), str(calendar))
    groups = parse_year_groups("--year-groups", year_groups)
    school = generate(pupils, seed, cal, groups, parse_date("--until", until) if until else None)
    out.mkdir(parents=True, exist_ok=True)
    write_csvs(school, out)
    shutil.copyfile(calendar, out / "calendar.toml")
    days = sorted({row[1] for row in school.marks})
    print_result(
        format,
        f"Wrote {pupils} pupils' register data to {out}/ (seed {seed}): {len(school.contacts)} "
        f"contacts, {len(school.marks)} marks"
        + (f" from {days[0]} to {days[-1]}." if days else "."),
        {"folder": str(out), "seed": seed, "pupils": len(school.pupils),
         "contacts": len(school.contacts), "marks": len(school.marks),
         "first_date": days[0] if days else None, "last_date": days[-1] if days else None,
         "files": [str(out / name) for name in
                   ("pupils.csv", "contacts.csv", "marks.csv", "calendar.toml")]},
    )  # fmt: skip


DEMO_MORNING = date(2026, 11, 23)  # a Monday; the generated register runs to the Friday before


@app.command()
def demo(
    school: Annotated[
        str, typer.Option(help="Which seed school's policy to run.")
    ] = "emmanuel-middle",
    pupils: Annotated[int, typer.Option(min=1)] = 300,
    folder: Annotated[
        Path, typer.Option(help="Where the demo's files, SQLite database and outbox go.")
    ] = Path("demo-school"),
) -> None:
    """A demo school from scratch: its register to date, its attendance report, and a
    simulated Monday morning chase with a few parent replies (messages to a local outbox)."""
    import asyncio

    from chase.simulation import simulate_morning
    from cli.chase import local_channels, print_timeline
    from cli.report import print_report
    from demo.morning import demo_script, take_morning_register
    from demo.school_data import generate, write_csvs
    from school.roll import roll_by_upn

    with refused():
        loaded = load_policy(bundled_policy(school))
        calendar_text = _read(DEFAULT_CALENDAR)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    State.database = f"sqlite:///{folder / 'attendance.db'}"
    console.print(
        f"[bold]Demo: {loaded.policy.school.name}[/] ({loaded.source}, version {loaded.version})"
    )
    engine = open_database(migrated=True)
    with refused(), session_for(engine) as session:
        set_up_school(session, school, loaded, calendar_text, str(DEFAULT_CALENDAR), SystemClock())
        session.commit()
        cal = calendar_of(get_school(session, school))
        last_day = cal.last_school_day_on_or_before(DEMO_MORNING - timedelta(days=1))
        assert last_day is not None
        data = generate(pupils, 1, cal, list(loaded.policy.school.year_groups), last_day.date)
        write_csvs(data, folder)
        console.print(
            f"Generated {pupils} pupils' register to {last_day.date:%-d %B %Y} in {folder}/"
        )
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
        figures = attendance_statistics(session, school, last_day.date)
        roll = roll_by_upn(session, school)
        print_report(console, loaded.policy.school.name, last_day.date, figures, roll, limit=10)
        _demo_half_term_of_reviews(session, school, cal, last_day.date, folder)
        unexplained = take_morning_register(session, school, loaded.policy, DEMO_MORNING)
    console.rule(f"Morning chase, {DEMO_MORNING:%A %-d %B %Y} (simulated time)")
    console.print(
        f"{len(unexplained)} pupils are absent and nobody has said why. Messages go to "
        f"{folder / 'outbox'}/ (no Twilio or SMTP settings)."
    )
    script = demo_script(loaded.policy, unexplained)
    with session_for(engine) as session:
        stored = load_school(session, school)
    timeline = asyncio.run(
        simulate_morning(engine, stored, DEMO_MORNING, local_channels(folder / "outbox"), script)
    )
    print_timeline(timeline)
    database = f"--database sqlite:///{folder / 'attendance.db'}"
    console.print(
        "\nSee more: "
        f"attendance {database} tasks --school {school} --date {DEMO_MORNING} | "
        f"alerts --school {school} | outbox --school {school} | "
        f"stats --school {school} --as-of {last_day.date}"
    )


def _demo_half_term_of_reviews(
    session: Session, school: str, cal: SchoolCalendar, last: date, folder: Path
) -> None:
    """A daily review after every school day of the term so far, as the school would run it."""
    import asyncio
    from collections import Counter

    from sqlalchemy import func, select

    from cases.letters.service import send_planned_letters
    from cases.models import AttendanceCase, CaseAction, CaseProposal
    from cases.review.service import run_daily_review
    from cli.chase import local_channels
    from notifications.outbox import drain_outbox

    start, _ = cal.term_span(last) or (last, last)
    days = [d.date for d in cal.days if start <= d.date <= last]
    console.rule(f"Daily reviews, {days[0]:%-d %B} to {days[-1]:%-d %B %Y} (simulated)")
    emailed = printed = 0
    with _progress() as progress:
        task = progress.add_task("Reviewing", total=len(days))
        loaded = load_school(session, school)
        for day in days:
            run_daily_review(session, loaded, day, SystemClock())
            sent = send_planned_letters(session, school, day, SystemClock())
            emailed, printed = emailed + sent.emailed, printed + sent.to_print
            progress.advance(task)
    asyncio.run(
        drain_outbox(session, local_channels(folder / "outbox"), SystemClock(), school_id=school)
    )
    stages = Counter(session.scalars(select(col(AttendanceCase.stage))))
    waiting = session.scalar(
        select(func.count()).select_from(CaseProposal).where(col(CaseProposal.status) == "proposed")
    )
    letters = session.scalars(select(CaseAction).where(col(CaseAction.kind) == "letter"))
    titles = Counter(action.title for action in letters)
    console.print(
        f"Cases by stage: {', '.join(f'{stage} {n}' for stage, n in sorted(stages.items()))}. "
        f"{waiting} proposals wait for a named member of staff (`attendance case decide`)."
    )
    for title, n in titles.most_common():
        console.print(f"  {n} x {title}", markup=False)
    console.print(
        f"Letters: {emailed} emailed (in {folder / 'outbox' / 'email.jsonl'}), "
        f"{printed} to print (`attendance letters render ID --out letter.pdf`)."
    )


# The signing-in book (cli/register.py).
app.command()(register_cli.arrive)

# The morning chase (cli/chase.py).
app.command()(chase.chase)
app.command()(chase.tasks)
app.command()(chase.absence)
app.command()(alerts_cli.alerts)
app.command()(chase.outbox)
app.command()(chase.serve)
task_app = typer.Typer(help="Record what happened on a call list task.", no_args_is_help=True)
task_app.command("done")(chase.task_done)
app.add_typer(task_app, name="task")
alert_app = typer.Typer(help="Act on DSL alerts.", no_args_is_help=True)
alert_app.command("ack")(alerts_cli.alert_ack)
app.add_typer(alert_app, name="alert")

# Cases, legal actions and duties to the LA (cli/cases.py).
app.add_typer(cases_cli.case_app, name="case")
app.add_typer(legal_cli.legal_app, name="legal")
app.add_typer(duties_cli.duties_app, name="duties")
app.add_typer(letters_cli.letters_app, name="letters")
app.command()(letters_cli.review)
app.command()(letters_cli.evidence)

if __name__ == "__main__":
    app()
