"""The watchdog at the command line: look over the schools now, say what is wrong, tell the lead."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import console, fail, open_database, refused
from cli.literal import styled
from cli.output import Format, FormatOption, clock_words, print_json, stored
from cli.parsing import school_named
from school.clock import SystemClock

if TYPE_CHECKING:
    from chase.models import WatchdogAlert
    from chase.watchdog.service import WatchdogRun


def watchdog(
    school: Annotated[
        str | None, typer.Option(help="The school's id (default: every school set up).")
    ] = None,
    format: FormatOption = Format.table,
) -> None:
    """Find late steps, stuck messages, registers not taken; tell the lead once each."""
    import asyncio

    from sqlalchemy import select
    from sqlmodel import col

    from chase.watchdog.service import watchdog_tick
    from cli.chase import local_channels
    from school.database import session_for
    from school.models import School
    from school.schools import load_school

    engine = open_database()
    with refused(), session_for(engine) as session:
        if school is not None:
            schools = [school_named(session, school)]
        else:
            ids = session.scalars(select(col(School.id)).order_by(col(School.id))).all()
            schools = [load_school(session, school_id) for school_id in ids]
    if not schools:
        fail(["no school is set up yet: run `attendance init` first"])
    channels = local_channels()
    clock = SystemClock()
    runs = [asyncio.run(watchdog_tick(engine, loaded, clock, channels)) for loaded in schools]
    if format is Format.json:
        print_json({"checked_at": clock.now(), "schools": [run_json(run) for run in runs]})
        return
    names = {loaded.id: loaded.name for loaded in schools}
    for run in runs:
        print_run(run, names[run.school_id])


def run_json(run: WatchdogRun) -> dict[str, Any]:
    return {
        "school": run.school_id,
        "checked_at": run.checked_at,
        "told": run.told,
        "counts": run.counts(),
        "problems": [{**stored(a), "new": a.problem_key in run.new} for a in run.problems],
        "cleared": [stored(a) for a in run.cleared],
    }


def print_run(run: WatchdogRun, name: str) -> None:
    """One school: the counts, then each problem (new or raised before) and each cleared."""
    c = run.counts()
    console.print(
        f"{name}, checked {clock_words(run.checked_at)}: {c['found']} problems "
        f"({c['new']} new, {c['already_raised']} already raised), {c['cleared']} cleared; "
        f"new ones go to {run.told}",
        markup=False,
        highlight=False,
    )
    for alert in run.problems:
        tag = "NEW" if alert.problem_key in run.new else f"raised {clock_words(alert.raised_at)}"
        console.print(styled((f"  {tag}: ", "bold red"), alert.reason), highlight=False)
    for alert in run.cleared:
        console.print(styled(("  cleared: ", "green"), alert.reason), highlight=False)
        console.print(f"    {alert.resolution}", markup=False, highlight=False)


def print_watchdog_alerts(alerts: list[WatchdogAlert]) -> None:
    """The watchdog's alerts as `attendance alerts` shows them: as raised, and resolved."""
    for alert in alerts:
        line: tuple[str | tuple[str, str], ...] = (
            (alert.reason, "bold red"),
            f" (raised {clock_words(alert.raised_at)}, told {alert.told})",
        )
        if alert.resolved_at is not None:
            line = ((f"resolved {clock_words(alert.resolved_at)}", "green"),
                    f" {alert.reason}: {alert.resolution}")  # fmt: skip
        console.print(styled(f"Watchdog alert {alert.id}: ", *line), highlight=False)
