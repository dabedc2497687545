"""Duties to the local authority at the command line: review, list, done, dismiss."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select
from sqlmodel import col

from cases.legal.agenda import unpaid_decisions_due
from cases.models import LaDuty
from cli.casework import By, Reason, School, refused_by_law
from cli.common import console, open_database
from cli.output import Format, FormatOption, print_json
from cli.parsing import date_or_today, parse_person, school_named
from school.clock import SystemClock, school_today
from school.database import session_for
from school.models import Pupil

duties_app = typer.Typer(help="Duties to the local authority.", no_args_is_help=True)


@duties_app.command("review")
def duties_review(school: School, on: Annotated[str | None, typer.Option("--date")] = None) -> None:
    """Raise the duties the figures call for (idempotent), then list what is open."""
    from cases.duties.service import review_la_duties

    # An as-of date: on a holiday the figures count back to the last school day.
    day = date_or_today("--date", on)
    with refused_by_law(), session_for(open_database()) as session:
        loaded = school_named(session, school)
        raised = review_la_duties(session, loaded, day, SystemClock())
    console.print(f"{len(raised)} new duties.")
    duties_list(school)


@duties_app.command("list")
def duties_list(school: School, format: FormatOption = Format.table) -> None:
    """Open duties to the local authority, soonest first."""
    with session_for(open_database()) as session:
        loaded = school_named(session, school)
        rows = session.execute(
            select(LaDuty, Pupil)
            .join(Pupil, col(Pupil.id) == LaDuty.pupil_id)
            .where(col(LaDuty.school_id) == school, col(LaDuty.status) == "open")
            .order_by(col(LaDuty.due_on), col(LaDuty.id))
        ).all()
        # Unpaid penalty notices from day 29 after receipt: the LA's decision (cases/legal).
        decisions = unpaid_decisions_due(session, loaded, school_today(SystemClock()))
    if format is Format.json:
        print_json(
            {
                "school": school,
                "duties": [_duty_json(*row) for row in rows],
                "legal_decisions_due": [d.as_json() for d in decisions],
            }
        )
        return
    for d in decisions:
        console.print(f"due since {d.since}  {d.pupil}  {d.what} ({d.decides})", markup=False)
    for duty, pupil in rows:
        console.print(
            f"#{duty.id} due {duty.due_on}  {pupil.given_name} {pupil.family_name}  "
            f"{duty.kind}: {duty.summary}",
            markup=False,
        )
    if not rows and not decisions:
        console.print("No open duties.")


def _duty_json(duty: LaDuty, pupil: Pupil) -> dict[str, object]:
    return {
        "id": duty.id,
        "due_on": duty.due_on,
        "kind": duty.kind,
        "summary": duty.summary,
        "pupil": {"upn": pupil.upn, "name": f"{pupil.given_name} {pupil.family_name}"},
    }


@duties_app.command("done")
def duties_done(duty_id: Annotated[int, typer.Argument()], by: By, note: Reason) -> None:
    """Record a duty as done (the deletion ground needs `confirm` with the joint enquiries)."""
    from cases.duties.service import complete_duty

    with refused_by_law(), session_for(open_database()) as session:
        complete_duty(session, duty_id, str(parse_person("--by", by)), note, clock=SystemClock())
    console.print(f"Duty {duty_id} done.")


@duties_app.command("dismiss")
def duties_dismiss(duty_id: Annotated[int, typer.Argument()], by: By, reason: Reason) -> None:
    """Dismiss a duty that does not apply, with the reason."""
    from cases.duties.service import dismiss_duty

    with refused_by_law(), session_for(open_database()) as session:
        dismiss_duty(session, duty_id, str(parse_person("--by", by)), reason, clock=SystemClock())
    console.print(f"Duty {duty_id} dismissed.")
