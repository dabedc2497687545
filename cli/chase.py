"""The morning chase at the command line: run or simulate a morning, the call list, alerts."""

from __future__ import annotations

import os
import time as wall
from collections import Counter
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from chase.task_outcomes import TASK_OUTCOMES
from cli.alerts import print_register_alerts, register_alert_json
from cli.common import State, console, fail, open_database, refused
from cli.literal import styled
from cli.output import (
    Column,
    Format,
    FormatOption,
    clock_words,
    people_table,
    print_indented,
    print_json,
    print_result,
    stored,
)
from cli.parsing import (
    date_or_today,
    parse_absence_code,
    parse_choice,
    parse_person,
    parse_upn,
    school_day,
    school_named,
    school_sessions,
)
from school.clock import SystemClock

if TYPE_CHECKING:
    from sqlmodel import Session

    from chase.models import Note, ReportedAbsence, StaffTask, WelfareCheck
    from chase.simulation import Happening
    from notifications.message import Channel
    from notifications.models import OutboxMessage
    from school.models import Pupil


def outbox_dir() -> Path:
    """Where messages go when no Twilio or SMTP is configured: beside an SQLite database."""
    from sqlalchemy.engine import make_url

    from notifications.channels import default_outbox_dir
    from school.database import database_url

    return default_outbox_dir(make_url(database_url(State.database)), os.environ)


def local_channels(folder: Path | None = None) -> dict[str, Channel]:
    from notifications.channels import channels_from_settings

    return channels_from_settings(os.environ, folder or outbox_dir())


def chase(
    school: Annotated[str, typer.Option(help="The school's id.")],
    on: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today).")] = None,
    simulate: Annotated[
        bool, typer.Option(help="Run the whole morning in simulated time.")
    ] = False,
    once: Annotated[
        bool, typer.Option(help="One tick now, then stop (for cron or a scheduler).")
    ] = False,
    format: FormatOption = Format.table,
) -> None:
    """Run the morning chase: open checks at register close, step them, send messages."""
    day = date_or_today("--date", on)
    import asyncio

    from chase.register_guard import register_alerts
    from chase.service import chase_tick
    from chase.simulation import morning_span, simulate_morning
    from school.database import session_for

    engine = open_database()
    with refused(), session_for(engine) as session:
        loaded = school_named(session, school)  # once, handed down to every tick
    shown: dict[str, Any] = {"school": school, "date": day, "school_day": True,
                             "simulated": simulate, "ticks": [], "timeline": []}  # fmt: skip
    if on is None and not loaded.calendar.is_school_day(day):
        _print_chase({**shown, "school_day": False, "register_alerts": []}, format, loaded.name)
        return
    school_day(loaded, "--date", day)  # a morning asked for by date must be one the school meets
    channels = local_channels()
    if simulate:
        timeline = asyncio.run(simulate_morning(engine, loaded, day, channels))
        shown["timeline"] = [asdict(happening) for happening in timeline]
    clock = SystemClock()
    end = morning_span(loaded.policy.policy, day)[1] + timedelta(minutes=1)
    while not simulate:
        result = asyncio.run(chase_tick(engine, loaded, day, clock, channels))
        tick: dict[str, Any] = {"at": clock.now(), **result.counts()}
        shown["ticks"].append(tick)
        if format is Format.table:  # a person watching the morning sees each minute
            counts = ", ".join(f"{k} {v}" for k, v in tick.items() if k != "at")
            console.print(f"{clock_words(tick['at'])} {counts}", highlight=False)
        if once or clock.now() > end:
            break
        wall.sleep(60 - clock.now().second)  # tick on the minute, like the deployments
    with session_for(engine) as session:
        shown["register_alerts"] = register_alerts(session, loaded.id, day, resolved=False)
    _print_chase(shown, format, loaded.name)


def _print_chase(shown: dict[str, Any], format: Format, name: str) -> None:
    """The morning: for a script all of it; for a person the counts, the simulated timeline
    and the registers not taken (the ticks were printed as they ran)."""
    from chase.simulation import Happening

    if format is Format.json:
        held = shown["register_alerts"]
        print_json({**shown, "register_alerts": [register_alert_json(a) for a in held]})
        return
    if not shown["school_day"]:
        console.print(f"{shown['date']} is not a school day at {name}: nobody to chase.")
        return
    if shown["simulated"]:
        print_timeline([Happening(**h) for h in shown["timeline"]], f"{name}, {shown['date']:%A}")
    print_register_alerts(shown["register_alerts"])


def tasks(
    school: Annotated[str, typer.Option(help="The school's id.")],
    on: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include done and escalated tasks.")] = False,
    format: FormatOption = Format.table,
) -> None:
    """The call list: who to ring or visit, in order, with their numbers and what to say."""
    day = date_or_today("--date", on)
    from sqlalchemy import select
    from sqlmodel import col

    from chase.models import StaffTask, WelfareCheck
    from chase.notes import note_words, notes_of, task_name
    from chase.register_guard import register_alerts
    from school.database import id_of, session_for
    from school.models import Pupil

    with session_for(open_database()) as session:
        loaded = school_named(session, school)
        if on is not None:
            school_day(loaded, "--date", day)
        query = (
            select(StaffTask, Pupil, WelfareCheck)
            .join(WelfareCheck, col(WelfareCheck.id) == StaffTask.check_id)
            .join(Pupil, col(Pupil.id) == WelfareCheck.pupil_id)
            .where(col(StaffTask.school_id) == school, col(WelfareCheck.date) == day)
            .order_by(col(WelfareCheck.vulnerable).desc(), col(StaffTask.due_at), col(StaffTask.id))
        )
        if not all_:
            query = query.where(col(StaffTask.state).in_(["open", "escalated"]))
        rows = session.execute(query).all()
        notes = notes_of(session, sorted({id_of(check) for _, _, check in rows}))
        held = register_alerts(session, school, day)
    history: dict[int | None, list[Note]] = {}
    for note in notes:
        history.setdefault(note.task_id, []).append(note)
    if format is Format.json:
        print_json(
            {
                "school": school,
                "date": day,
                "register_alerts": [register_alert_json(a) for a in held],
                "tasks": [_task_json(t, p, c, history.get(t.id, [])) for t, p, c in rows],
            }
        )
        return
    console.rule(f"Call list for {school}, {day:%A %-d %B %Y}: {len(rows)} tasks")
    print_register_alerts(held)
    for task, pupil, check in rows:
        flag = (" vulnerable", "bold red") if check.vulnerable else ""
        who = f" ({task.by})" if task.by else ""
        console.print(
            styled((f"#{task.id}", "bold"),
                   f"  {pupil.given_name} {pupil.family_name}, Y{pupil.year_group}", flag)
        )  # fmt: skip
        print_indented(f"{task_name(task.kind)} by {clock_words(task.due_at)}{who}  [{task.state}]")
        print_indented(task.script)
        for c in task.contacts or []:
            reach = c["mobile"] or c["email"] or "no number"
            print_indented(f"{c['priority']}. {c['name']} ({c['relationship']}) {reach}")
        for note in history.get(task.id, []):
            print_indented(f"{clock_words(note.recorded_at)} {note_words(note)}")
    if not rows:
        console.print("Nobody to ring or visit.")
        return
    # Two lines, each under 80 columns: the outcomes listed where a wrap cannot split one.
    console.print('Record an outcome: attendance task done ID --by "Name, Position" --outcome X')
    print_indented(f"X is one of: {', '.join(TASK_OUTCOMES)}", 2)


def _task_json(
    task: StaffTask, pupil: Pupil, check: WelfareCheck, notes: list[Note]
) -> dict[str, object]:
    return {
        "id": task.id, "kind": task.kind, "state": task.state, "due_at": task.due_at,
        "by": task.by, "vulnerable": check.vulnerable, "script": task.script,
        "pupil": {"upn": pupil.upn, "name": f"{pupil.given_name} {pupil.family_name}",
                  "year_group": pupil.year_group},
        "contacts": task.contacts or [],
        "notes": [_note_json(n) for n in notes],
    }  # fmt: skip


def _note_json(note: Note) -> dict[str, object]:
    return {"recorded_at": note.recorded_at, "recorded_by": note.recorded_by,
            "outcome": note.outcome, "text": note.text}  # fmt: skip


def task_done(
    task_id: Annotated[int, typer.Argument(help="The task's number on the call list.")],
    outcome: Annotated[str, typer.Option(help=", ".join(TASK_OUTCOMES))],
    by: Annotated[str, typer.Option(help='"Name, Position"')],
    note: Annotated[str | None, typer.Option(help="What was said or found.")] = None,
    code: Annotated[str | None, typer.Option(help="Suggested absence code, e.g. I.")] = None,
    format: FormatOption = Format.table,
) -> None:
    """Record a call or visit outcome; it moves the welfare check on."""
    outcome = parse_choice("--outcome", outcome, tuple(TASK_OUTCOMES))
    person = parse_person("--by", by)
    suggested = parse_absence_code("--code", code) if code is not None else None
    from chase.models import WelfareCheck
    from chase.notes import notes_of
    from chase.responses import record_task_outcome
    from school.database import session_for

    try:
        with session_for(open_database()) as session:
            task = record_task_outcome(
                session,
                task_id,
                outcome,
                str(person),
                SystemClock(),
                note=note,
                suggested_code=suggested,
            )
            check = session.get(WelfareCheck, task.check_id)
            notes = [stored(n) for n in notes_of(session, [task.check_id]) if n.task_id == task_id]
    except (ValueError, LookupError) as exc:
        fail([str(exc)])
    state = check.state if check else None
    print_result(
        format,
        f"Task {task_id} recorded: {outcome}. The check is now {state}.",
        {"task": stored(task), "check": {"id": task.check_id, "state": state}, "notes": notes},
    )


def absence(
    school: Annotated[str, typer.Option(help="The school's id.")],
    upn: Annotated[str, typer.Option(help="The pupil's UPN.")],
    reason: Annotated[str, typer.Option(help="What the parent or carer said.")],
    by: Annotated[str, typer.Option(help='"Name, Position" of who took the message.')],
    on: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today).")] = None,
    session_: Annotated[str, typer.Option("--session", help="AM, PM or day.")] = "day",
    code: Annotated[
        str | None, typer.Option(help="Suggested code to confirm, e.g. I or M.")
    ] = None,
    planned: Annotated[bool, typer.Option(help="Agreed in advance (a planned leave).")] = False,
    format: FormatOption = Format.table,
) -> None:
    """Record a reason given to staff, so the chase leaves that pupil alone."""
    day = date_or_today("--date", on)
    pupil = parse_upn("--upn", upn)
    person = parse_person("--by", by)
    suggested = parse_absence_code("--code", code) if code is not None else None
    asked = parse_choice("--session", session_, ("AM", "PM", "day"))
    from chase.responses import report_absence
    from school.database import session_for

    try:
        with session_for(open_database()) as db:
            held = school_sessions(school_named(db, school), day, asked)
            explained = report_absence(
                db,
                school,
                pupil,
                day,
                held,
                reason,
                str(person),
                SystemClock(),
                suggested_code=suggested,
                planned=planned,
            )
            reported = [stored(r) for r in reported_absences(db, school, pupil, day, held)]
    except (ValueError, LookupError) as exc:
        fail([str(exc)])
    print_result(
        format,
        f"Recorded for {pupil} on {day}: {', '.join(held)}"
        + (f"; {explained} open welfare check explained." if explained else "."),
        {"school": school, "upn": pupil, "date": day, "sessions": held,
         "checks_explained": explained, "reported": reported},
    )  # fmt: skip


def reported_absences(
    session: Session, school: str, upn: str, day: date, sessions: list[str]
) -> list[ReportedAbsence]:
    """The reasons on record for these sessions: as first recorded, if given before."""
    from sqlalchemy import select
    from sqlmodel import col

    from chase.models import ReportedAbsence
    from school.models import Pupil

    query = (
        select(ReportedAbsence)
        .join(Pupil, col(Pupil.id) == ReportedAbsence.pupil_id)
        .where(col(Pupil.school_id) == school, col(Pupil.upn) == upn)
        .where(col(ReportedAbsence.date) == day, col(ReportedAbsence.session).in_(sessions))
        .order_by(col(ReportedAbsence.session))
    )
    return list(session.scalars(query))


def outbox(
    school: Annotated[str, typer.Option(help="The school's id.")],
    flagged: Annotated[bool, typer.Option(help="Only messages staff must look at.")] = False,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 30,
    format: FormatOption = Format.table,
) -> None:
    """Messages the engine has written: to whom, how, and what happened to each."""
    from sqlalchemy import select
    from sqlmodel import col

    from notifications.models import OutboxMessage
    from school.database import session_for

    with session_for(open_database()) as session:
        school_named(session, school)
        query = select(OutboxMessage).where(col(OutboxMessage.school_id) == school)
        if flagged:
            query = query.where(
                col(OutboxMessage.flagged_for_staff) | (col(OutboxMessage.status) == "failed")
            )
        messages = session.scalars(query.order_by(col(OutboxMessage.id).desc()).limit(limit)).all()
    if format is Format.json:
        print_json({"school": school, "messages": [_message_json(m) for m in messages]})
        return
    if not messages:
        which = "needing staff" if flagged else "written"
        console.print(f"Outbox for {school}: no messages {which}.")
        return
    from rich.table import Table

    table = Table(title=f"Outbox for {school}")
    for heading in ("Time", "To", "By", "Status", "Message"):
        table.add_column(heading)
    for m in reversed(messages):
        table.add_row(
            clock_words(m.created_at),
            m.recipient_label,
            m.channel,
            styled(
                m.status,
                (" (check)", "red") if m.flagged_for_staff else "",
                f"\n{m.last_error}" if m.status in ("failed", "unknown") and m.last_error else "",
            ),
            m.subject + "\n" + m.text if m.subject else m.text,
        )
    console.print(table)


def _message_json(m: OutboxMessage) -> dict[str, object]:
    return {
        "id": m.id, "created_at": m.created_at, "to": m.recipient_label, "channel": m.channel,
        "status": m.status, "flagged_for_staff": m.flagged_for_staff, "subject": m.subject,
        "text": m.text, "why": m.last_error,  # what went wrong, for failed and unknown
    }  # fmt: skip


def serve(
    schools: Annotated[
        list[str] | None, typer.Argument(help="School ids (default: every school set up).")
    ] = None,
) -> None:
    """Serve the morning-chase deployments on this machine (needs PREFECT_API_URL)."""
    from sqlalchemy import select
    from sqlmodel import col

    from flows.deployments import PrefectServerMissing, serve_policies
    from school.database import database_url, session_for
    from school.models import School
    from school.schools import policy_of

    # Flow runs read the database from the environment, so --database must reach them too.
    os.environ["ATTENDANCE_DATABASE_URL"] = database_url(State.database)
    with session_for(open_database()) as session:
        if schools:
            policies = [school_named(session, s, "SCHOOLS").policy.policy for s in schools]
        else:
            stored = session.scalars(select(School).order_by(col(School.id))).all()
            policies = [policy_of(s).policy for s in stored]
    if not policies:
        fail(["no school is set up in this database: attendance init --school ID --policy FILE"])
    try:
        serve_policies(policies)
    except PrefectServerMissing as exc:
        fail([str(exc)])


TIMELINE_KINDS = {"step": "steps", "message": "messages sent", "task": "tasks",
                  "reply": "replies", "arrival": "arrivals", "alert": "DSL alerts"}  # fmt: skip


def print_timeline(timeline: list[Happening], title: str = "The morning") -> None:
    """The simulated morning: counts first, then one row per thing that happened."""
    kinds = Counter(h.kind for h in timeline)
    counted = ", ".join(f"{kinds[kind]} {words}" for kind, words in TIMELINE_KINDS.items())
    pupils = len({h.pupil for h in timeline})
    console.print(f"{title}: {pupils} pupils chased; {counted}.", highlight=False)
    rows = [[clock_words(h.at), h.pupil, h.kind, h.what] for h in timeline]
    columns = [Column("Time"), Column("Pupil"), Column("Kind", essential=False), Column("What")]
    console.print(people_table("Timeline (simulated time)", columns, rows, wide=False))
