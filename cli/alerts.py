"""DSL alerts, registers not taken and the watchdog's alerts, at the command line: as raised,
what since, acknowledged or resolved."""

from __future__ import annotations

from datetime import time as dt_time
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import console, fail, open_database
from cli.literal import styled
from cli.output import (
    Format,
    FormatOption,
    clock_words,
    print_json,
    print_result,
    stored,
    when_words,
)
from cli.parsing import parse_person, school_named
from school.clock import SCHOOL_TIME_ZONE, SystemClock

if TYPE_CHECKING:
    from chase.alerts import AlertView
    from chase.models import RegisterAlert


def register_alert_json(alert: RegisterAlert) -> dict[str, object]:
    return {
        "id": alert.id, "date": alert.date, "session": alert.session,
        "year_group": alert.year_group, "reason": alert.reason, "raised_at": alert.raised_at,
        "resolved_at": alert.resolved_at, "resolution": alert.resolution,
    }  # fmt: skip


def alerts(
    school: Annotated[str, typer.Option(help="The school's id.")],
    all_: Annotated[bool, typer.Option("--all", help="Include acknowledged alerts.")] = False,
    format: FormatOption = Format.table,
) -> None:
    """Alerts for the DSL: what was known when each was raised, and what has happened since."""
    from chase.alerts import alert_views
    from chase.register_guard import register_alerts
    from chase.watchdog.service import watchdog_alerts
    from cli.watchdog import print_watchdog_alerts
    from school.database import session_for

    with session_for(open_database()) as session:
        school_named(session, school)
        views = alert_views(session, school, acknowledged=all_)
        held = register_alerts(session, school, resolved=all_)
        watched = watchdog_alerts(session, school, resolved=all_)
    if format is Format.json:
        print_json(
            {
                "school": school,
                "register_alerts": [register_alert_json(a) for a in held],
                "alerts": [_alert_json(view) for view in views],
                "watchdog_alerts": [stored(a) for a in watched],
            }
        )
        return
    print_register_alerts(held)
    print_watchdog_alerts(watched)
    if not views and not held and not watched:
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
            when = clock_words(alert.acknowledged_at)
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
    format: FormatOption = Format.table,
) -> None:
    """Acknowledge an alert with a note (a later one adds a note; the first stands)."""
    person = parse_person("--by", by)
    from chase.notes import notes_of
    from chase.responses import acknowledge_alert
    from school.database import session_for

    try:
        with session_for(open_database()) as session:
            alert = acknowledge_alert(session, alert_id, str(person), note, SystemClock())
            notes = [stored(n) for n in notes_of(session, [alert.check_id]) if n.alert_id]
    except (ValueError, LookupError) as exc:
        fail([str(exc)])
    first = f"{alert.acknowledged_by} at {when_words(alert.acknowledged_at)}"
    print_result(
        format,
        f"Alert {alert_id} acknowledged by {first}; {len(notes)} notes on it.",
        {"alert": stored(alert), "notes": notes},
    )


def print_register_alerts(held: list[RegisterAlert]) -> None:
    """Registers not taken, for the attendance officer: as raised, and resolved when they are."""
    for alert in held:
        raised = alert.raised_at.astimezone(SCHOOL_TIME_ZONE)
        line: tuple[str | tuple[str, str], ...] = (
            (alert.reason, "bold red"), f" (raised {raised:%a %-d %b %H:%M})"
        )  # fmt: skip
        if alert.resolved_at is not None:
            line = ((f"resolved {clock_words(alert.resolved_at)}", "green"),
                    f" {alert.reason}: {alert.resolution}")  # fmt: skip
        console.print(styled(f"Register alert {alert.id}: ", *line), highlight=False)


def alert_action(
    alert_id: Annotated[int, typer.Argument()],
    kind: Annotated[
        str, typer.Option(help="police, social_care, home_visit, social_worker or other")
    ],
    at: Annotated[str, typer.Option(help="When it was done: HH:MM on the alert's day.")],
    by: Annotated[str, typer.Option(help='"Name, Position"')],
    note: Annotated[str, typer.Option(help="Who was spoken to, a reference.")] = "",
    format: FormatOption = Format.table,
) -> None:
    """Record what was done about an alert and when (police, social care, a visit)."""
    person = parse_person("--by", by)
    try:
        done_time = dt_time.fromisoformat(at)
    except ValueError:
        fail([f"--at {at!r}: give the time it was done as HH:MM, e.g. 10:40"])
    from chase.alert_actions import action_words, on_alert_day, record_alert_action
    from chase.models import DslAlert
    from school.database import session_for

    try:
        with session_for(open_database()) as session:
            alert = session.get(DslAlert, alert_id)
            if alert is None:
                raise LookupError(f"no alert {alert_id}")
            done_at = on_alert_day(alert, done_time)
            action = record_alert_action(
                session, alert_id, kind, done_at, str(person), SystemClock(), note
            )
    except (ValueError, LookupError) as exc:
        fail([str(exc)])
    print_result(format, f"Alert {alert_id}: {action_words(action)}.", {"action": stored(action)})
