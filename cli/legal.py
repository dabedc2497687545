"""Legal actions at the command line: Notices to Improve, penalty notices, payments."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from cli.casework import By, MaybeSchool, Reason, pupil_by_upn, refused_by_law
from cli.common import console, open_database
from cli.parsing import date_or_today, parse_date, parse_person
from school.clock import SystemClock
from school.database import id_of, session_for

Parent = Annotated[
    str,
    typer.Option(
        help="The parent liable: a contact id or exact name of a contact with parental "
        "responsibility, or a carer recorded with `attendance case carer`."
    ),
]

legal_app = typer.Typer(
    help="Notices to Improve and penalty notices (spec §5).", no_args_is_help=True
)


@legal_app.command("nti")
def nti(
    upn: Annotated[str, typer.Argument()],
    parent: Parent,
    by: By,
    weeks: Annotated[int | None, typer.Option(help="Improvement period, 3 to 6 weeks.")] = None,
    on: Annotated[str | None, typer.Option("--date")] = None,
    school: MaybeSchool = None,
) -> None:
    """Issue a Notice to Improve to one parent."""
    from cases.legal.notice_to_improve import issue_notice_to_improve

    with refused_by_law(), session_for(open_database()) as session:
        action = issue_notice_to_improve(
            session,
            id_of(pupil_by_upn(session, school, upn)),
            parent,
            str(parse_person("--by", by)),
            date_or_today("--date", on),
            weeks,
            clock=SystemClock(),
        )
    console.print(
        f"Notice to Improve #{action.id}: improvement period to {action.improvement_period_end}."
    )


@legal_app.command("request-pn")
def request_pn(
    upn: Annotated[str, typer.Argument()],
    parent: Parent,
    by: By,
    on: Annotated[str | None, typer.Option("--date")] = None,
    school: MaybeSchool = None,
) -> None:
    """Request a penalty notice for one parent; refused where the law does not allow it."""
    from cases.legal.penalty_notice import request_penalty_notice

    with refused_by_law(), session_for(open_database()) as session:
        action = request_penalty_notice(
            session,
            id_of(pupil_by_upn(session, school, upn)),
            parent,
            str(parse_person("--by", by)),
            date_or_today("--date", on),
            clock=SystemClock(),
        )
    console.print(
        f"Penalty notice #{action.id} requested ({_ordinal(action.sequence)}): "
        f"£{action.amount_if_paid_early or action.amount}"
        + (f" within 21 days, else £{action.amount}" if action.amount_if_paid_early else "")
        + " within 28 days of receipt."
    )


def _ordinal(n: int | None) -> str:
    return {1: "first", 2: "second"}.get(n or 0, "")


@legal_app.command("issue-pn")
def issue_pn(
    action_id: Annotated[int, typer.Argument()],
    by: By,
    issued: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    received: Annotated[str, typer.Option(help="YYYY-MM-DD")],
) -> None:
    """Record that a requested penalty notice was issued, and when the parent received it."""
    from cases.legal.penalty_notice import issue_penalty_notice

    with refused_by_law(), session_for(open_database()) as session:
        action = issue_penalty_notice(
            session,
            action_id,
            str(parse_person("--by", by)),
            parse_date("--issued", issued),
            parse_date("--received", received),
            clock=SystemClock(),
        )
    console.print(f"Penalty notice #{action.id}: {action.state}.")


@legal_app.command("pay")
def pay(
    action_id: Annotated[int, typer.Argument()],
    amount: Annotated[int, typer.Option(help="Pounds.")],
    by: By,
    on: Annotated[str | None, typer.Option("--date")] = None,
) -> None:
    """Record a payment (the amount must be what is due on that date)."""
    from cases.legal.payments import record_payment

    with refused_by_law(), session_for(open_database()) as session:
        action = record_payment(
            session,
            action_id,
            date_or_today("--date", on),
            amount,
            str(parse_person("--by", by)),
            clock=SystemClock(),
        )
    console.print(f"Penalty notice #{action.id}: {action.state}.")


@legal_app.command("decide-unpaid")
def decide_unpaid_(
    action_id: Annotated[int, typer.Argument()],
    decision: Annotated[Literal["prosecute", "withdraw"], typer.Option()],
    by: By,
    reason: Reason,
) -> None:
    """After 28 days unpaid: prosecute for the original offence, or withdraw."""
    from cases.legal.payments import decide_unpaid

    with refused_by_law(), session_for(open_database()) as session:
        action = decide_unpaid(
            session, action_id, decision, str(parse_person("--by", by)), reason, clock=SystemClock()
        )
    console.print(f"Penalty notice #{action.id}: {action.state}.")


@legal_app.command("withdraw")
def withdraw_(action_id: Annotated[int, typer.Argument()], by: By, reason: Reason) -> None:
    """Withdraw a notice (withdrawn penalty notices do not count towards the limit)."""
    from cases.legal.withdrawal import withdraw

    with refused_by_law(), session_for(open_database()) as session:
        action = withdraw(
            session, action_id, str(parse_person("--by", by)), reason, clock=SystemClock()
        )
    console.print(f"#{action.id}: {action.state}.")
