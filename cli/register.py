"""The office's signing-in book at the command line: `attendance arrive`."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select
from sqlmodel import col

from chase.models import WelfareCheck
from cli.common import console, errors, open_database
from cli.output import Format, FormatOption, print_json
from cli.parsing import (
    date_or_today,
    parse_choice,
    parse_person,
    parse_reason,
    parse_time,
    parse_upn,
    school_day,
    school_named,
)
from school.calendar import RegisterSession
from school.clock import SystemClock
from school.database import session_for
from school.register_arrival import ArrivalResult, record_arrival
from school.roll import year_label
from state_machines.welfare_check import FINISHED


def arrive(
    upn: Annotated[str, typer.Argument(help="The pupil's UPN.")],
    school: Annotated[str, typer.Option(help="The school's id.")],
    at: Annotated[str, typer.Option("--at", help="When the pupil signed in, HH:MM.")],
    on: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today).")] = None,
    session_: Annotated[
        str | None,
        typer.Option("--session", help="AM or PM (default: AM before 12:00, PM from 12:00)."),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(help='"Name, Position" of who signed them in (needed to replace a mark).'),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(help='Why a mark is replaced (default: "signed in at HH:MM").'),
    ] = None,
    format: FormatOption = Format.table,
) -> None:
    """Record a pupil's arrival: the register window decides present, L or U (reg 10)."""
    pupil = parse_upn("UPN", upn)
    arrived = parse_time("--at", at)
    day = date_or_today("--date", on)
    asked: RegisterSession | None = None
    if session_ is not None:
        asked = "AM" if parse_choice("--session", session_, ("AM", "PM")) == "AM" else "PM"
    person = parse_person("--by", by) if by is not None else None
    why = parse_reason("--reason", reason) if reason is not None else None
    try:
        with session_for(open_database()) as db:
            loaded = school_named(db, school)
            school_day(loaded, "--date", day)  # a weekend, holiday or closure has no register
            done = record_arrival(
                db,
                loaded,
                pupil,
                day,
                arrived,
                SystemClock(),
                register_session=asked,
                by=person,
                reason=why,
            )
            check = db.scalars(
                select(col(WelfareCheck.id)).where(
                    col(WelfareCheck.school_id) == loaded.id,
                    col(WelfareCheck.date) == day,
                    col(WelfareCheck.session) == done.session,
                    col(WelfareCheck.state).not_in(FINISHED),
                    col(WelfareCheck.pupil_id) == done.pupil_id,
                )
            ).first()
    except (ValueError, LookupError) as exc:
        # One line however long: a script reads the reason from stderr.
        errors.print(str(exc.args[0]), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if format is Format.json:
        print_json({"school": school, **arrival_json(done), "open_welfare_check": check})
        return
    _print(done, check)


def what_the_time_earns(done: ArrivalResult) -> str:
    """The mark and why, in the school's words: the window it was judged by."""
    opens, closes = f"{done.register_opens:%H:%M}", f"{done.register_closes:%H:%M}"
    register = f"the {year_label(done.year_group)} {done.session} register"
    if done.code == "L":
        late = f"{done.minutes_late} min after it opened"
        return f"L, late before {register} closed at {closes} ({late})"
    if done.code == "U":
        return (
            f"U, after {register} closed at {closes} ({done.minutes_late} min after it opened "
            f"at {opens}): an unauthorised absence, though on site (reg 10)"
        )
    return f"{done.code}, present: in by the time {register} opened at {opens}"


def _print(done: ArrivalResult, check: int | None) -> None:
    who = f"{done.name} ({year_label(done.year_group)}, {done.upn})"
    when = f"{done.arrived_at:%H:%M} on {done.date:%a %-d %b %Y}, {done.session}"
    headline = {"recorded": "Recorded", "amended": "Amended", "unchanged": "Already recorded"}
    console.print(f"{headline[done.outcome]}: {who} arrived {when}.", markup=False)
    console.print(f"Mark: {what_the_time_earns(done)}.", markup=False)
    if done.outcome == "amended" and done.replaced is not None:
        was = done.replaced[0] + (f" ({done.replaced[1]} min)" if done.replaced[1] else "")
        console.print(
            f"Replaced {was}: amendment {done.amendment_id} by {done.by}, reason "
            f'"{done.reason}" (kept six years, reg 6).',
            markup=False,
        )
    elif done.outcome == "unchanged":
        console.print("The register already says so: nothing changed.")
    if check is not None:
        console.print(
            f"Welfare check {check} is open for this session: the chase's next tick closes it "
            "as arrived, and nothing more is sent.",
            markup=False,
        )


def arrival_json(done: ArrivalResult) -> dict[str, object]:
    """The shape documented in docs/cli-json.md (`arrive`)."""
    return {
        "upn": done.upn, "name": done.name, "year_group": done.year_group, "date": done.date,
        "session": done.session, "arrived_at": f"{done.arrived_at:%H:%M}",
        "register": {"opens": f"{done.register_opens:%H:%M}",
                     "closes": f"{done.register_closes:%H:%M}"},
        "code": done.code, "minutes_late": done.minutes_late, "outcome": done.outcome,
        "replaced": None if done.replaced is None
        else {"code": done.replaced[0], "minutes_late": done.replaced[1]},
        "amendment": None if done.amendment_id is None
        else {"id": done.amendment_id, "by": done.by, "reason": done.reason},
    }  # fmt: skip
