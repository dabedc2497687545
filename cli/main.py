"""The `attendance` command: set up a school, import registers, check policies, print figures."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli import alerts as alerts_cli
from cli import cases as cases_cli
from cli import chase, chase_all, demo_school
from cli import duties as duties_cli
from cli import export as export_cli
from cli import legal as legal_cli
from cli import letters as letters_cli
from cli import register as register_cli
from cli import replies as replies_cli
from cli import retention as retention_cli
from cli import users as users_cli
from cli import watchdog as watchdog_cli
from cli import web as web_cli
from cli.common import (
    DEFAULT_CALENDAR,
    State,
    console,
    errors,
    open_database,
    progress_bar,
    read_text_file,
    refused,
)
from cli.door import DoorGroup, PlainHelpGroup
from cli.output import Format, FormatOption, WideOption, print_json, print_result
from cli.parsing import (
    date_or_today,
    parse_person,
    parse_reason,
    school_named,
)
from school.clock import SystemClock, school_today
from school.errors import InputError

if TYPE_CHECKING:
    from rich.progress import TaskID


app = typer.Typer(
    help="Attendance engine for English schools: registers, policies and attendance figures.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Help as click writes it: plain text that fits 80 columns, and no rich help renderer to
    # load (rich's markdown, syntax and traceback modules were half of `attendance --help`).
    rich_markup_mode=None,
    cls=DoorGroup,
)
policy_app = typer.Typer(
    cls=PlainHelpGroup, help="Work with school policy files.", no_args_is_help=True
)
app.add_typer(policy_app, name="policy")


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
    from sqlalchemy.engine import make_url

    from school.database import database_url, session_for
    from school.policy_files import load_policy
    from school.schools import set_up_school

    with refused():
        loaded = load_policy(policy)
        calendar_text = read_text_file(calendar)
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
    errors_file: Annotated[
        Path | None,
        typer.Option(help="If refused, write every problem here (the screen shows the first 50)."),
    ] = None,
    format: FormatOption = Format.table,
    wide: WideOption = False,
) -> None:
    """Import register CSVs in one transaction; changed marks are audited amendments."""
    amender = parse_person("--by", by) if by is not None else None
    reason = parse_reason("--reason", reason) if reason is not None else None
    from cli.import_report import import_json, print_import, print_refusal
    from school.batch_gc import batch_gc
    from school.database import session_for
    from school.register_import import RegisterFiles, RegisterImportError, import_register
    from school.roll import roll_by_upn

    files = RegisterFiles.in_folder(folder) if folder else RegisterFiles()
    files = RegisterFiles(pupils or files.pupils, contacts or files.contacts, marks or files.marks)
    with session_for(open_database()) as session:
        loaded = school_named(session, school)
    with refused(), progress_bar() as progress:
        tasks: dict[str, TaskID] = {}

        def advance(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(f"Checking {name}", total=total)
            progress.update(tasks[name], completed=done, total=total)

        # A year's marks are hundreds of thousands of rows alive at once: the collector at its
        # default setting spent 0.6-0.7 s of a 4.7 s import re-examining them (0.2 s so).
        with session_for(open_database()) as session, batch_gc():
            try:
                result = import_register(
                    session, school, files, SystemClock(), by=amender, reason=reason,
                    progress=advance, today=school_today(SystemClock()),
                )  # fmt: skip
            except RegisterImportError as exc:
                progress.stop()
                print_refusal(exc, errors_file)
                raise typer.Exit(1) from None
            roll = roll_by_upn(session, school)
    names = ", ".join(p.name for p in (files.pupils, files.contacts, files.marks) if p)
    if format is Format.json:
        print_json(import_json(school, names, result, roll))
    else:
        print_import(loaded.name, names, result, roll, wide)


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
    # Any day will do: on a weekend or in a holiday the figures count to the last school day.
    on = date_or_today("--as-of", as_of)
    from school.database import session_for
    from school.statistics import statistics_for

    with refused(), session_for(open_database()) as session:
        loaded = school_named(session, school)
        figures = statistics_for(session, loaded, on)
        if format is Format.json:  # for a script: the figures alone, no names or tables
            json.dump([f.as_json() for f in figures], sys.stdout, indent=1)
            sys.stdout.write("\n")
            return
        from cli.report import pupil_table, summary_table
        from school.roll import roll_by_upn

        roll = roll_by_upn(session, school)
    console.print(summary_table(loaded.name, on, figures))
    console.print(pupil_table(figures, roll, wide))


@policy_app.command("check")
def policy_check(
    files: Annotated[list[Path], typer.Argument(help="Policy TOML files to check.")],
    format: FormatOption = Format.table,
) -> None:
    """Validate policy files and print every problem, naming the key (exit 1 if any)."""
    checked: list[dict[str, Any]] = []
    from school.policy_files import load_policy

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
        errors.print(f"{policy['file']}: {len(policy['problems'])} problem(s)", style="bold red")
        for problem in policy["problems"]:
            errors.print(f"  {policy['file']}: {problem}", markup=False, highlight=False)
    if bad:
        raise typer.Exit(1)


# The signing-in book (cli/register.py).
app.command("demo-data")(demo_school.demo_data)
app.command()(demo_school.demo)
app.command()(register_cli.arrive)

# The morning chase (cli/chase.py).
app.command()(chase.chase)
app.command("chase-all")(chase_all.chase_all)
app.command()(chase.tasks)
app.command()(chase.absence)
app.command()(alerts_cli.alerts)
app.command()(chase.outbox)
app.command()(chase.serve)
app.command()(watchdog_cli.watchdog)
task_app = typer.Typer(
    cls=PlainHelpGroup, help="Record what happened on a call list task.", no_args_is_help=True
)
task_app.command("done")(chase.task_done)
app.add_typer(task_app, name="task")
alert_app = typer.Typer(cls=PlainHelpGroup, help="Act on DSL alerts.", no_args_is_help=True)
alert_app.command("ack")(alerts_cli.alert_ack)
alert_app.command("action")(alerts_cli.alert_action)
app.add_typer(alert_app, name="alert")
app.command("confirm-code")(replies_cli.confirm_code)

# Cases, legal actions and duties to the LA (cli/cases.py).
app.add_typer(cases_cli.case_app, name="case")
app.add_typer(legal_cli.legal_app, name="legal")
app.add_typer(duties_cli.duties_app, name="duties")
app.add_typer(letters_cli.letters_app, name="letters")
app.command()(letters_cli.review)
app.command()(letters_cli.evidence)
app.command()(retention_cli.retention)
app.command("export-pupil")(export_cli.export_pupil)
app.add_typer(users_cli.user_app, name="user")  # accounts for the web app (cli/users.py)
app.command()(web_cli.web)


def _annotations_evaluated(typer_app: typer.Typer) -> None:
    """Each command's annotations evaluated once, here. They are strings in this code base
    (`from __future__ import annotations`), and Typer evaluates every one four times while it
    builds the command line: a sixth of `attendance --help` before this."""
    from typing import get_type_hints

    infos = [*typer_app.registered_commands, typer_app.registered_callback]
    for info in infos:
        if info is not None and info.callback is not None:
            info.callback.__annotations__ = get_type_hints(info.callback, include_extras=True)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _annotations_evaluated(group.typer_instance)


_annotations_evaluated(app)

if __name__ == "__main__":
    app()
