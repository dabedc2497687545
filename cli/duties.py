"""Duties to the local authority at the command line: review, list, done, dismiss, confirm a
Ground I deletion, record expected illness."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cli.casework import By, MaybeSchool, Reason, School, pupil_by_upn, refused_by_law
from cli.common import console, open_database
from cli.door import PlainHelpGroup
from cli.output import Format, FormatOption, WideOption, print_json
from cli.parsing import (
    BadArgument,
    date_or_today,
    parse_choice,
    parse_date,
    parse_person,
    parse_upn,
    school_day,
    school_named,
)
from school.clock import SystemClock, school_today

if TYPE_CHECKING:
    from sqlmodel import Session

    from cases.models import LaDuty

duties_app = typer.Typer(
    cls=PlainHelpGroup, help="Duties to the local authority.", no_args_is_help=True
)

DutyId = Annotated[int, typer.Argument(help="The duty's number, as `duties list` shows it.")]
AsOf = Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today).")]


@duties_app.command("review")
def duties_review(
    school: School, on: AsOf = None, format: FormatOption = Format.table, wide: WideOption = False
) -> None:
    """Raise the duties the register calls for (idempotent), then show what is open."""
    # An as-of date: on a holiday the figures count back to the last school day.
    day = date_or_today("--date", on)
    from cases.duties.service import open_duties, review_la_duties
    from cli.duties_shown import counts, print_duties, shown, summary_line
    from school.database import session_for

    with refused_by_law(), session_for(open_database()) as session:
        loaded = school_named(session, school)
        raised = shown(session, review_la_duties(session, loaded, day, SystemClock()), day)
        duties = shown(session, open_duties(session, loaded.id), day)
    c = counts(duties, day)
    if format is Format.json:
        print_json(
            {"school": loaded.id, "date": day, "counts": {"raised": len(raised), **c},
             "raised": raised, "duties": duties}
        )  # fmt: skip
        return
    console.print(f"{len(raised)} new duties raised. " + summary_line(loaded.name, day, c))
    print_duties("Open duties to the LA", duties, day, wide)


@duties_app.command("list")
def duties_list(
    school: School, on: AsOf = None, format: FormatOption = Format.table, wide: WideOption = False
) -> None:
    """Open duties to the local authority, soonest due first, with what each needs."""
    day = date_or_today("--date", on)
    from cases.duties.service import open_duties
    from cases.legal.agenda import unpaid_decisions_due
    from cli.duties_shown import counts, print_duties, shown, summary_line
    from school.database import session_for

    with session_for(open_database()) as session:
        loaded = school_named(session, school)
        duties = shown(session, open_duties(session, loaded.id), day)
        # Unpaid penalty notices from day 29 after receipt: the LA's decision (cases/legal).
        decisions = unpaid_decisions_due(session, loaded, day)
    c = counts(duties, day)
    if format is Format.json:
        print_json(
            {"school": loaded.id, "date": day, "counts": c, "duties": duties,
             "legal_decisions_due": [d.as_json() for d in decisions]}
        )  # fmt: skip
        return
    console.print(summary_line(loaded.name, day, c))
    for d in decisions:
        console.print(
            f"Decision due since {d.since}: {d.pupil}, {d.what} ({d.decides})", markup=False
        )
    print_duties("Open duties to the LA", duties, day, wide)


Ground = Annotated[
    str | None,
    typer.Option(help="For a deletion return: the ground for deletion (reg 9), e.g. other_school."),
]


@duties_app.command("done")
def duties_done(
    duty_id: DutyId,
    by: By,
    note: Reason,
    ground: Ground = None,
    format: FormatOption = Format.table,
) -> None:
    """Record a duty as done: the return sent, the LA or social worker told."""
    person = str(parse_person("--by", by))
    from cases.duties.rules import DELETION_GROUNDS
    from cases.duties.service import complete_duty
    from school.database import session_for

    chosen = parse_choice("--ground", ground, tuple(DELETION_GROUNDS)) if ground else None
    with refused_by_law(), session_for(open_database()) as session:
        duty = complete_duty(session, duty_id, person, note, ground=chosen, clock=SystemClock())
        _print_one(session, duty, f"Duty {duty_id} done", format)


@duties_app.command("dismiss")
def duties_dismiss(
    duty_id: DutyId, by: By, reason: Reason, format: FormatOption = Format.table
) -> None:
    """Dismiss a duty that does not apply, with the reason."""
    person = str(parse_person("--by", by))
    from cases.duties.service import dismiss_duty
    from school.database import session_for

    with refused_by_law(), session_for(open_database()) as session:
        duty = dismiss_duty(session, duty_id, person, reason, clock=SystemClock())
        _print_one(session, duty, f"Duty {duty_id} dismissed", format)


@duties_app.command("confirm-deletion")
def duties_confirm_deletion(
    duty_id: DutyId,
    school_by: Annotated[
        str, typer.Option(help='"Name, Position" of who enquired for the school.')
    ],
    la_by: Annotated[str, typer.Option(help='"Name, Role" of who enquired for the LA.')],
    on: Annotated[str, typer.Option(help="YYYY-MM-DD: when the joint enquiries concluded.")],
    enquiries: Annotated[str, typer.Option(help="What the school and the LA tried, jointly.")],
    format: FormatOption = Format.table,
    wide: WideOption = False,
) -> None:
    """Confirm a proposed Ground I deletion (reg 9(1)(i)) after joint enquiries with the LA.

    Raises the deletion return and, if the pupil has one, the social worker's notification.
    """
    from cases.duties.deletion import JointEnquiries, confirm_deletion_ground
    from cli.duties_shown import print_duties, shown
    from school.database import session_for

    joint = JointEnquiries(
        school_by=str(parse_person("--school-by", school_by)),
        la_by=str(parse_person("--la-by", la_by)),
        on=parse_date("--on", on),
        what=enquiries,
    )
    clock = SystemClock()
    with refused_by_law(), session_for(open_database()) as session:
        duty, raised = confirm_deletion_ground(session, duty_id, joint, clock)
        today = school_today(clock)
        _print_one(session, duty, f"Ground I confirmed for duty {duty_id}", format, raised)
        if format is Format.table:
            print_duties("Raised now", shown(session, raised, today), today, wide)


@duties_app.command("expect-illness")
def duties_expect_illness(
    upn: Annotated[str, typer.Argument(help="The pupil's UPN.")],
    first: Annotated[str, typer.Option("--from", help="YYYY-MM-DD: the first school day off.")],
    days: Annotated[
        int, typer.Option(min=1, help="School days expected off sick (up to a school year).")
    ],
    by: By,
    reason: Annotated[
        str | None, typer.Option(help="The grounds, e.g. 'hip surgery, 3 weeks off'.")
    ] = None,
    school: MaybeSchool = None,
    format: FormatOption = Format.table,
    wide: WideOption = False,
) -> None:
    """Record that a pupil will miss school days through illness (an operation, a condition).

    At 15 school days this year the sickness return is due at once.
    """
    upn = parse_upn("UPN", upn)  # refused before anything is opened
    from cases.duties.illness import EXPECTED_DAYS_MAX, record_expected_illness
    from cli.duties_shown import print_duties, shown
    from school.database import session_for
    from school.schools import load_school

    if days > EXPECTED_DAYS_MAX:  # checked here, not by typer: the limit lives with the rule
        raise BadArgument("--days", f"{days} is more than a school year ({EXPECTED_DAYS_MAX})")
    person = str(parse_person("--by", by))
    first_day = parse_date("--from", first)
    clock = SystemClock()
    with refused_by_law(), session_for(open_database()) as session:
        pupil = pupil_by_upn(session, school, upn)
        loaded = load_school(session, pupil.school_id)
        school_day(loaded, "--from", first_day)
        record, raised = record_expected_illness(
            session, loaded, pupil, first_day, days, reason, person, clock
        )
        today = school_today(clock)
        total = record.details["expected_total"]
        threshold = loaded.policy.policy.la_duties.sickness_school_days
        headline = f"Recorded: {total} school days of illness expected this year" + (
            f"; sickness return due now (at {threshold})"
            if raised
            else f"; no new sickness return (due at {threshold} school days)"
        )
        _print_one(session, record, headline, format, raised)
        if format is Format.table:
            print_duties("Raised now", shown(session, raised, today), today, wide)


def _print_one(
    session: Session,
    duty: LaDuty,
    headline: str,
    format: Format,
    raised: list[LaDuty] | None = None,
) -> None:
    today = school_today(SystemClock())
    from cli.duties_shown import shown

    (one,) = shown(session, [duty], today)
    if format is Format.json:
        payload: dict[str, object] = {"duty": one}
        if raised is not None:
            payload["raised"] = shown(session, raised, today)
        print_json(payload)
        return
    console.print(f"{headline}: {one['label']} for {one['pupil']['name']}.", markup=False)
