"""`attendance chase-all`: one tick of every school's morning chase, for an LA's scheduler."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import console, fail, open_database, progress_bar, refused
from cli.output import Format, FormatOption, print_json
from cli.parsing import date_or_today, school_named

if TYPE_CHECKING:
    from chase.every_school import SchoolTick


def chase_all(
    schools: Annotated[
        list[str] | None, typer.Argument(help="School ids (default: every school set up).")
    ] = None,
    on: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today).")] = None,
    format: FormatOption = Format.table,
) -> None:
    """One tick of every school's morning chase now (run it each minute from cron)."""
    import asyncio

    from sqlalchemy import select
    from sqlmodel import col

    from chase.every_school import chase_every_school
    from cli.chase import local_channels
    from school.clock import SystemClock
    from school.database import session_for
    from school.models import School
    from school.schools import load_school

    day = date_or_today("--date", on)
    engine = open_database()
    with refused(), session_for(engine) as session:
        if schools:
            loaded = [school_named(session, s, "SCHOOLS") for s in schools]
        else:
            ids = session.scalars(select(col(School.id)).order_by(col(School.id))).all()
            loaded = [load_school(session, school_id) for school_id in ids]
    if not loaded:
        fail(["no school is set up in this database: attendance init --school ID --policy FILE"])
    meeting = [school for school in loaded if school.calendar.is_school_day(day)]
    channels = local_channels()
    with progress_bar(quiet=format is Format.json) as progress:
        task = progress.add_task("Chasing", total=len(meeting))
        ticks = asyncio.run(
            chase_every_school(
                engine,
                meeting,
                day,
                SystemClock(),
                channels,
                done=lambda _: progress.advance(task),
            )
        )
    ticked = {school.id for school in meeting}
    not_meeting = [school.id for school in loaded if school.id not in ticked]
    _print(ticks, not_meeting, day.isoformat(), format)
    if any(tick.error for tick in ticks):
        raise typer.Exit(1)


def _counts(tick: SchoolTick) -> dict[str, Any]:
    if tick.result is None:
        return {"school": tick.school_id, "error": tick.error}
    return {"school": tick.school_id, **tick.result.counts()}


def _print(ticks: list[SchoolTick], not_meeting: list[str], day: str, format: Format) -> None:
    from chase.service import TICK_COUNTS

    rows = [_counts(tick) for tick in ticks]
    if format is Format.json:
        print_json({"date": day, "schools": rows, "not_a_school_day": not_meeting})
        return
    totals = {key: sum(row.get(key, 0) for row in rows) for key in TICK_COUNTS}
    done = sum(1 for tick in ticks if tick.error is None)
    console.print(
        f"{day}: {done} school(s) ticked; " + ", ".join(f"{k} {v}" for k, v in totals.items()),
        highlight=False,
        markup=False,
    )
    if not_meeting:
        console.print(
            f"Not a school day for: {', '.join(not_meeting)}", highlight=False, markup=False
        )
    for row in rows:
        if "error" in row:
            console.print(
                f"{row['school']}: not ticked: {row['error']}", highlight=False, markup=False
            )
