"""The demo doors: `demo-data` writes a realistic school year; `demo` runs a whole demo school."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import (
    DEFAULT_CALENDAR,
    State,
    console,
    open_database,
    progress_bar,
    read_text_file,
    refused,
)
from cli.literal import styled
from cli.output import Format, FormatOption, print_result
from cli.parsing import parse_date, parse_year_groups
from school.clock import SystemClock

if TYPE_CHECKING:
    from sqlmodel import Session

    from school.calendar import SchoolCalendar


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
        cal = SchoolCalendar.from_toml(read_text_file(calendar), str(calendar))
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


def demo(
    school: Annotated[
        str, typer.Option(help="Which seed school's policy to run.")
    ] = "emmanuel-middle",
    pupils: Annotated[int, typer.Option(min=1)] = 300,
    folder: Annotated[
        Path, typer.Option(help="Where the demo's files, SQLite database and outbox go.")
    ] = Path("demo-school"),
) -> None:
    """A demo school from scratch: register, report, reviews and a simulated morning chase.

    Its register to date, its attendance report, the term's daily reviews, and a simulated
    Monday morning chase with a few parent replies (messages to a local outbox).
    """
    import asyncio

    from chase.simulation import simulate_morning
    from cli.chase import local_channels, print_timeline
    from cli.report import print_report
    from demo.morning import demo_script, take_morning_register
    from demo.school_data import generate, write_csvs
    from school.database import session_for
    from school.policy_files import bundled_policy, load_policy
    from school.register_import import RegisterFiles, import_register
    from school.roll import roll_by_upn
    from school.schools import calendar_of, get_school, load_school, set_up_school
    from school.statistics import attendance_statistics

    with refused():
        loaded = load_policy(bundled_policy(school))
        calendar_text = read_text_file(DEFAULT_CALENDAR)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    State.database = f"sqlite:///{folder / 'attendance.db'}"
    name, version = loaded.policy.school.name, f"({loaded.source}, version {loaded.version})"
    console.print(styled((f"Demo: {name}", "bold"), f" {version}"))
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
        with progress_bar() as progress:
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
    from cli.web import print_demo_web

    print_demo_web(engine, school, database, DEMO_MORNING)


def _demo_half_term_of_reviews(
    session: Session, school: str, cal: SchoolCalendar, last: date, folder: Path
) -> None:
    """A daily review after every school day of the term so far, as the school would run it."""
    start, _ = cal.term_span(last) or (last, last)
    days = [d.date for d in cal.days if start <= d.date <= last]
    import asyncio
    from collections import Counter

    from sqlalchemy import func, select
    from sqlmodel import col

    from cases.models import AttendanceCase, CaseAction, CaseProposal
    from cases.review.service import run_daily_review
    from cli.chase import local_channels
    from notifications.outbox import drain_outbox
    from school.schools import load_school

    console.rule(f"Daily reviews, {days[0]:%-d %B} to {days[-1]:%-d %B %Y} (simulated)")
    emailed = printed = 0
    with progress_bar() as progress:
        task = progress.add_task("Reviewing", total=len(days))
        loaded = load_school(session, school)
        for day in days:
            sent = run_daily_review(session, loaded, day, SystemClock(), send_letters=True).letters
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
