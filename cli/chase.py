"""The morning chase at the command line: run or simulate a morning, the call list, alerts."""

from __future__ import annotations

import asyncio
import os
import time as wall
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlmodel import col

from chase.alerts import AlertView
from chase.models import Note, RegisterAlert, StaffTask, WelfareCheck
from chase.notes import note_words, notes_of, task_name
from chase.register_guard import register_alerts
from chase.responses import (
    TASK_OUTCOMES,
    acknowledge_alert,
    record_task_outcome,
    report_absence,
)
from chase.simulation import Happening
from cli.common import State, console, fail, open_database, refused
from cli.output import Format, FormatOption, print_json
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
from notifications.message import Channel
from notifications.models import OutboxMessage
from school.clock import SCHOOL_TIME_ZONE, SystemClock
from school.database import database_url, id_of, session_for
from school.models import Pupil


def outbox_dir() -> Path:
    """Where messages go when no Twilio or SMTP is configured: beside an SQLite database."""
    from sqlalchemy.engine import make_url

    from notifications.channels import default_outbox_dir

    return default_outbox_dir(make_url(database_url(State.database)), os.environ)


def local_channels(folder: Path | None = None) -> dict[str, Channel]:
    from notifications.channels import channels_from_settings

    return channels_from_settings(os.environ, folder or outbox_dir())


def _hhmm(instant: datetime | None) -> str:
    return "" if instant is None else f"{instant.astimezone(SCHOOL_TIME_ZONE):%H:%M}"


def chase(
    school: Annotated[str, typer.Option(help="The school's id.")],
    on: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today).")] = None,
    simulate: Annotated[
        bool, typer.Option(help="Run the whole morning in simulated time.")
    ] = False,
    once: Annotated[
        bool, typer.Option(help="One tick now, then stop (for cron or a scheduler).")
    ] = False,
) -> None:
    """Run the morning chase: open checks at register close, step them, send messages."""
    from chase.service import chase_tick
    from chase.simulation import morning_span, simulate_morning

    day = date_or_today("--date", on)
    engine = open_database()
    with refused(), session_for(engine) as session:
        loaded = school_named(session, school)  # once, handed down to every tick
    if on is None and not loaded.calendar.is_school_day(day):
        console.print(f"{day} is not a school day at {loaded.name}: nobody to chase.")
        return
    school_day(loaded, "--date", day)  # a morning asked for by date must be one the school meets
    channels = local_channels()
    if simulate:
        timeline = asyncio.run(simulate_morning(engine, loaded, day, channels))
        print_timeline(timeline)
        return
    clock = SystemClock()
    end = morning_span(loaded.policy.policy, day)[1] + timedelta(minutes=1)
    while True:
        result = asyncio.run(chase_tick(engine, loaded, day, clock, channels))
        console.print(
            f"{_hhmm(clock.now())} opened {result.opened}, closed {result.closed}, "
            f"steps {result.steps}, sent {result.dispatch.sent}, "
            f"retrying {result.dispatch.retrying}, failed {result.dispatch.failed}, "
            f"unknown {result.dispatch.unknown}"
        )
        with session_for(engine) as session:
            print_register_alerts(register_alerts(session, loaded.id, day, resolved=False))
        if once or clock.now() > end:
            return
        wall.sleep(60 - clock.now().second)  # tick on the minute, like the deployments


def tasks(
    school: Annotated[str, typer.Option(help="The school's id.")],
    on: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include done and escalated tasks.")] = False,
    format: FormatOption = Format.table,
) -> None:
    """The call list: who to ring or visit, in order, with their numbers and what to say."""
    day = date_or_today("--date", on)
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
                "register_alerts": [_register_alert_json(a) for a in held],
                "tasks": [_task_json(t, p, c, history.get(t.id, [])) for t, p, c in rows],
            }
        )
        return
    console.rule(f"Call list for {school}, {day:%A %-d %B %Y}: {len(rows)} tasks")
    print_register_alerts(held)
    for task, pupil, check in rows:
        flag = " [bold red]vulnerable[/]" if check.vulnerable else ""
        who = f" ({task.by})" if task.by else ""
        console.print(
            f"[bold]#{task.id}[/]  {pupil.given_name} {pupil.family_name}, Y{pupil.year_group}"
            f"{flag}  {task_name(task.kind)} by {_hhmm(task.due_at)}{who}"
            f"  \\[{task.state}]"
        )
        console.print(f"     {task.script}", markup=False)
        for c in task.contacts or []:
            reach = c["mobile"] or c["email"] or "no number"
            console.print(
                f"     {c['priority']}. {c['name']} ({c['relationship']}) {reach}", markup=False
            )
        for note in history.get(task.id, []):
            console.print(f"     {_hhmm(note.recorded_at)} {note_words(note)}", markup=False)
    console.print(
        'Record an outcome: attendance task done ID --by "Name, Position" '
        f"--outcome {{{'|'.join(TASK_OUTCOMES)}}}"
    )


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


def _register_alert_json(alert: RegisterAlert) -> dict[str, object]:
    return {
        "id": alert.id, "date": alert.date, "session": alert.session,
        "year_group": alert.year_group, "reason": alert.reason, "raised_at": alert.raised_at,
        "resolved_at": alert.resolved_at, "resolution": alert.resolution,
    }  # fmt: skip


def task_done(
    task_id: Annotated[int, typer.Argument(help="The task's number on the call list.")],
    outcome: Annotated[str, typer.Option(help=", ".join(TASK_OUTCOMES))],
    by: Annotated[str, typer.Option(help='"Name, Position"')],
    note: Annotated[str | None, typer.Option(help="What was said or found.")] = None,
    code: Annotated[str | None, typer.Option(help="Suggested absence code, e.g. I.")] = None,
) -> None:
    """Record a call or visit outcome; it moves the welfare check on."""
    outcome = parse_choice("--outcome", outcome, tuple(TASK_OUTCOMES))
    person = parse_person("--by", by)
    suggested = parse_absence_code("--code", code) if code is not None else None
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
    except (ValueError, LookupError) as exc:
        fail([str(exc)])
    console.print(
        f"Task {task_id} recorded: {outcome}. The check is now {check.state if check else '?'}."
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
) -> None:
    """Record a reason given to staff, so the chase leaves that pupil alone."""
    day = date_or_today("--date", on)
    pupil = parse_upn("--upn", upn)
    person = parse_person("--by", by)
    suggested = parse_absence_code("--code", code) if code is not None else None
    asked = parse_choice("--session", session_, ("AM", "PM", "day"))
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
    except (ValueError, LookupError) as exc:
        fail([str(exc)])
    console.print(
        f"Recorded for {pupil} on {day}: {', '.join(held)}"
        + (f"; {explained} open welfare check explained." if explained else ".")
    )


def alerts(
    school: Annotated[str, typer.Option(help="The school's id.")],
    all_: Annotated[bool, typer.Option("--all", help="Include acknowledged alerts.")] = False,
    format: FormatOption = Format.table,
) -> None:
    """Alerts for the DSL: what was known when each was raised, and what has happened since."""
    from chase.alerts import alert_views

    with session_for(open_database()) as session:
        school_named(session, school)
        views = alert_views(session, school, acknowledged=all_)
        held = register_alerts(session, school, resolved=all_)
    if format is Format.json:
        print_json(
            {
                "school": school,
                "register_alerts": [_register_alert_json(a) for a in held],
                "alerts": [_alert_json(view) for view in views],
            }
        )
        return
    print_register_alerts(held)
    if not views and not held:
        console.print("No alerts waiting.")
    for view in views:
        alert, pupil = view.alert, view.pupil
        console.rule(
            f"Alert {alert.id}: {pupil.given_name} {pupil.family_name}, Y{pupil.year_group}"
        )
        if view.safe:
            console.print(view.safe, style="bold green", markup=False)
        console.print(
            f"{alert.reason} (raised {alert.raised_at.astimezone(SCHOOL_TIME_ZONE):%a %H:%M}, "
            f"policy {alert.policy_version})",
            style="bold red",
            markup=False,
        )
        _print_entries("At the alert", alert.timeline or [])
        _print_entries("Since", view.since)
        if alert.acknowledged_at:
            when = _hhmm(alert.acknowledged_at)
            console.print(f"Acknowledged by {alert.acknowledged_by} at {when}", markup=False)
        else:
            ack = f'attendance alert ack {alert.id} --by "Name, Position" --note "..."'
            console.print(f"Not yet acknowledged: {ack}", markup=False)


def _print_entries(heading: str, entries: list[dict[str, str]]) -> None:
    console.print(f"{heading}:" if entries else f"{heading}: nothing recorded.")
    for entry in entries:
        console.print(f"  {entry['at']}  {entry['what']}", markup=False)


def _alert_json(view: AlertView) -> dict[str, object]:
    alert, pupil = view.alert, view.pupil
    return {
        "id": alert.id, "raised_at": alert.raised_at, "reason": alert.reason,
        "policy_version": alert.policy_version,
        "pupil": {"upn": pupil.upn, "name": f"{pupil.given_name} {pupil.family_name}",
                  "year_group": pupil.year_group},
        "seen_safe": view.safe, "at_the_alert": alert.timeline or [], "since": view.since,
        "acknowledged_at": alert.acknowledged_at, "acknowledged_by": alert.acknowledged_by,
    }  # fmt: skip


def alert_ack(
    alert_id: Annotated[int, typer.Argument()],
    by: Annotated[str, typer.Option(help='"Name, Position"')],
    note: Annotated[str, typer.Option(help="What the DSL has done or decided.")],
) -> None:
    """Acknowledge an alert with a note."""
    person = parse_person("--by", by)
    try:
        with session_for(open_database()) as session:
            acknowledge_alert(session, alert_id, str(person), note, SystemClock())
    except (ValueError, LookupError) as exc:
        fail([str(exc)])
    console.print(f"Alert {alert_id} acknowledged.")


def outbox(
    school: Annotated[str, typer.Option(help="The school's id.")],
    flagged: Annotated[bool, typer.Option(help="Only messages staff must look at.")] = False,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 30,
    format: FormatOption = Format.table,
) -> None:
    """Messages the engine has written: to whom, how, and what happened to each."""
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
    table = Table(title=f"Outbox for {school}")
    for heading in ("Time", "To", "By", "Status", "Message"):
        table.add_column(heading)
    for m in reversed(messages):
        table.add_row(
            _hhmm(m.created_at),
            m.recipient_label,
            m.channel,
            m.status + (" [red](check)[/]" if m.flagged_for_staff else ""),
            m.subject + "\n" + m.text if m.subject else m.text,
        )
    console.print(table)


def _message_json(m: OutboxMessage) -> dict[str, object]:
    return {
        "id": m.id, "created_at": m.created_at, "to": m.recipient_label, "channel": m.channel,
        "status": m.status, "flagged_for_staff": m.flagged_for_staff, "subject": m.subject,
        "text": m.text,
    }  # fmt: skip


def serve(
    schools: Annotated[
        list[str] | None, typer.Argument(help="School ids (default: every school set up).")
    ] = None,
) -> None:
    """Serve the morning-chase deployments on this machine (needs PREFECT_API_URL)."""
    from flows.deployments import PrefectServerMissing, serve_policies
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


def print_register_alerts(held: list[RegisterAlert]) -> None:
    """Registers not taken, for the attendance officer: as raised, and resolved when they are."""
    for alert in held:
        raised = alert.raised_at.astimezone(SCHOOL_TIME_ZONE)
        line = f"[bold red]{alert.reason}[/] (raised {raised:%a %-d %b %H:%M})"
        if alert.resolved_at is not None:
            resolved = f"[green]resolved {_hhmm(alert.resolved_at)}[/]"
            line = f"{resolved} {alert.reason}: {alert.resolution}"
        console.print(f"Register alert {alert.id}: {line}", highlight=False)


def print_timeline(timeline: list[Happening]) -> None:
    """The simulated morning, one line per thing that happened."""
    styles = {"alert": "bold red", "reply": "cyan", "arrival": "green", "message": "dim"}
    for happening in timeline:
        style = styles.get(happening.kind)
        line = happening.line()
        console.print(f"[{style}]{line}[/]" if style else line, highlight=False)
