"""Legal actions at the command line: Notices to Improve, penalty notices, payments, the
decisions due; each prints a one-line summary first, or `--format json` (docs/cli-json.md)."""

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
    parse_date,
    parse_person,
    parse_upn,
    school_named,
)
from school.clock import SystemClock

if TYPE_CHECKING:
    from cases.models import LegalAction

Parent = Annotated[
    str,
    typer.Option(
        help="The parent liable: a contact id or exact name of a contact with parental "
        "responsibility, or a carer recorded with `attendance case carer`."
    ),
]
On = Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today).")]

legal_app = typer.Typer(
    cls=PlainHelpGroup,
    help="Notices to Improve and penalty notices (spec §5).",
    no_args_is_help=True,
)


def _done(session: object, action: LegalAction, headline: str, format: Format) -> None:
    """The summary line and the action, or the same as one JSON document."""
    from sqlmodel import Session

    from cases.legal.queries import events_of
    from cli.legal_output import action_json, print_action
    from school.database import id_of

    assert isinstance(session, Session)
    events = events_of(session, id_of(action))
    if format is Format.json:
        print_json({"summary": headline, "action": action_json(action, events)})
    else:
        print_action(headline, action, events)


@legal_app.command("nti")
def nti(
    upn: Annotated[str, typer.Argument()],
    parent: Parent,
    by: By,
    weeks: Annotated[int | None, typer.Option(help="Improvement period, 3 to 6 weeks.")] = None,
    on: On = None,
    school: MaybeSchool = None,
    format: FormatOption = Format.table,
) -> None:
    """Issue a Notice to Improve to one parent (support offered first, or not appropriate)."""
    upn = parse_upn("UPN", upn)  # refused before anything is opened
    from cases.legal.notice_to_improve import issue_notice_to_improve
    from school.database import id_of, session_for

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
        headline = (
            f"Notice to Improve #{action.id} to {action.parent_name}: improvement period to "
            f"{action.improvement_period_end}."
        )
        _done(session, action, headline, format)


@legal_app.command("nti-outcome")
def nti_outcome(
    action_id: Annotated[int, typer.Argument()],
    by: By,
    reason: Reason,
    improved: Annotated[
        bool | None,
        typer.Option("--improved/--not-improved", help="The outcome of the improvement period."),
    ] = None,
    parent_told: Annotated[
        str | None,
        typer.Option(help="Before the period ends (not improved only): when the parent was told."),
    ] = None,
    on: On = None,
    format: FormatOption = Format.table,
) -> None:
    """Record a Notice to Improve's outcome, with its figures over the improvement period."""
    if improved is None:
        raise BadArgument("--improved/--not-improved", "say what the outcome is")
    told = parse_date("--parent-told", parent_told) if parent_told else None
    from cases.legal.notice_to_improve import review_notice_to_improve
    from school.database import session_for

    with refused_by_law(), session_for(open_database()) as session:
        action = review_notice_to_improve(
            session,
            action_id,
            str(parse_person("--by", by)),
            date_or_today("--date", on),
            clock=SystemClock(),
            improved=improved,
            reason=reason,
            parent_told_on=told,
        )
        outcome = "improved (closed)" if action.state == "improved" else "not improved"
        follow = "" if action.state == "improved" else ": a penalty notice may now be requested"
        headline = f"Notice to Improve #{action.id}: {outcome}{follow}."
        _done(session, action, headline, format)


@legal_app.command("request-pn")
def request_pn(
    upn: Annotated[str, typer.Argument()],
    parent: Parent,
    by: By,
    on: On = None,
    school: MaybeSchool = None,
    format: FormatOption = Format.table,
) -> None:
    """Request a penalty notice for one parent; refused where the law does not allow it."""
    upn = parse_upn("UPN", upn)  # refused before anything is opened
    from cases.legal.penalty_notice import request_penalty_notice
    from school.database import id_of, session_for

    with refused_by_law(), session_for(open_database()) as session:
        action = request_penalty_notice(
            session,
            id_of(pupil_by_upn(session, school, upn)),
            parent,
            str(parse_person("--by", by)),
            date_or_today("--date", on),
            clock=SystemClock(),
        )
        headline = (
            f"Penalty notice #{action.id} requested ({_ordinal(action.sequence)}): "
            f"£{action.amount_if_paid_early or action.amount}"
            + (f" within 21 days, else £{action.amount}" if action.amount_if_paid_early else "")
            + " within 28 days of receipt."
        )
        _done(session, action, headline, format)


def _ordinal(n: int | None) -> str:
    return {1: "first", 2: "second"}.get(n or 0, "")


@legal_app.command("issue-pn")
def issue_pn(
    action_id: Annotated[int, typer.Argument()],
    by: By,
    issued: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    received: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    format: FormatOption = Format.table,
) -> None:
    """Record that a requested penalty notice was issued, and when the parent received it."""
    from cases.legal.penalty_notice import issue_penalty_notice
    from school.database import session_for

    with refused_by_law(), session_for(open_database()) as session:
        action = issue_penalty_notice(
            session,
            action_id,
            str(parse_person("--by", by)),
            parse_date("--issued", issued),
            parse_date("--received", received),
            clock=SystemClock(),
        )
        _done(session, action, f"Penalty notice #{action.id}: {action.state}.", format)


@legal_app.command("suspension-pn")
def suspension_pn(
    upn: Annotated[str, typer.Argument()],
    parent: Parent,
    by: By,
    seen_on: Annotated[str, typer.Option(help="When the pupil was seen in a public place.")],
    suspension_from: Annotated[str, typer.Option(help="The suspension's first school day.")],
    days: Annotated[int, typer.Option(help="School days of suspension or exclusion.")],
    notice_given: Annotated[
        str, typer.Option(help="When the s104 notice was given to the parent.")
    ],
    place: Annotated[str, typer.Option(help="Where the pupil was seen.")],
    issued: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: today).")] = None,
    received: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: issued).")] = None,
    school: MaybeSchool = None,
    format: FormatOption = Format.table,
) -> None:
    """A penalty notice for a suspended pupil seen in a public place (EIA 2006 s103/105).

    For the first 5 school days of a suspension: £60 within 21 days, £120 within 28; never
    counted towards the penalty notice limit.
    """
    upn = parse_upn("UPN", upn)  # refused before anything is opened
    if days < 1:
        raise BadArgument("--days", "a suspension lasts at least one school day")
    issued_on = date_or_today("--issued", issued)
    from cases.legal.suspension import issue_suspension_penalty_notice
    from school.database import id_of, session_for

    with refused_by_law(), session_for(open_database()) as session:
        action = issue_suspension_penalty_notice(
            session,
            id_of(pupil_by_upn(session, school, upn)),
            parent,
            str(parse_person("--by", by)),
            suspension_starts_on=parse_date("--suspension-from", suspension_from),
            suspension_school_days=days,
            notice_given_on=parse_date("--notice-given", notice_given),
            seen_on=parse_date("--seen-on", seen_on),
            place=place,
            issued_on=issued_on,
            received_on=parse_date("--received", received) if received else issued_on,
            clock=SystemClock(),
        )
        headline = (
            f"Suspension penalty notice #{action.id} to {action.parent_name}: "
            f"£{action.amount_if_paid_early} within 21 days, else £{action.amount} within 28 "
            "days of receipt; not counted towards the penalty notice limit."
        )
        _done(session, action, headline, format)


@legal_app.command("pay")
def pay(
    action_id: Annotated[int, typer.Argument()],
    amount: Annotated[int, typer.Option(help="Pounds.")],
    by: By,
    on: On = None,
    format: FormatOption = Format.table,
) -> None:
    """Record a payment (the amount must be what is due on that date)."""
    from cases.legal.payments import record_payment
    from school.database import session_for

    with refused_by_law(), session_for(open_database()) as session:
        action = record_payment(
            session,
            action_id,
            date_or_today("--date", on),
            amount,
            str(parse_person("--by", by)),
            clock=SystemClock(),
        )
        headline = f"Penalty notice #{action.id}: {action.state.replace('_', ' ')}, £{amount}."
        _done(session, action, headline, format)


@legal_app.command("decide-unpaid")
def decide_unpaid_(
    action_id: Annotated[int, typer.Argument()],
    by: By,
    reason: Reason,
    prosecute: Annotated[
        bool | None,
        typer.Option("--prosecute/--withdraw", help="Prosecute (s444) or withdraw the notice."),
    ] = None,
    eso_considered: Annotated[
        str | None,
        typer.Option(
            help="To prosecute: why an education supervision order is not pursued (s447)."
        ),
    ] = None,
    on: On = None,
    format: FormatOption = Format.table,
) -> None:
    """After 28 days unpaid: prosecute for the original offence, or withdraw."""
    if prosecute is None:
        raise BadArgument("--prosecute/--withdraw", "say what the local authority decided")
    from cases.legal.payments import decide_unpaid
    from school.database import session_for

    with refused_by_law(), session_for(open_database()) as session:
        action = decide_unpaid(
            session,
            action_id,
            "prosecute" if prosecute else "withdraw",
            str(parse_person("--by", by)),
            reason,
            clock=SystemClock(),
            on=date_or_today("--date", on) if on else None,
            eso_considered=eso_considered,
        )
        _done(session, action, f"Penalty notice #{action.id}: {action.state}.", format)


@legal_app.command("withdraw")
def withdraw_(
    action_id: Annotated[int, typer.Argument()],
    by: By,
    reason: Reason,
    format: FormatOption = Format.table,
) -> None:
    """Withdraw a notice (withdrawn penalty notices do not count towards the limit)."""
    from cases.legal.withdrawal import withdraw
    from school.database import session_for

    with refused_by_law(), session_for(open_database()) as session:
        action = withdraw(
            session, action_id, str(parse_person("--by", by)), reason, clock=SystemClock()
        )
        _done(session, action, f"#{action.id}: {action.state}.", format)


@legal_app.command("due")
def due(
    school: School,
    on: On = None,
    format: FormatOption = Format.table,
    wide: WideOption = False,
) -> None:
    """The legal decisions waiting for a person.

    Consider legal action, a penalty notice after a Notice to Improve, an NTI's outcome, an
    unpaid notice (prosecute or withdraw).
    """
    day = date_or_today("--date", on)
    from cases.legal.agenda import legal_decisions_due
    from cli.legal_output import due_json, print_due
    from school.database import session_for

    with refused_by_law(), session_for(open_database()) as session:
        loaded = school_named(session, school)
        items = due_json(legal_decisions_due(session, loaded, day))
    if format is Format.json:
        print_json({"school": loaded.id, "date": day, "legal_decisions_due": items})
        return
    console.print(f"{len(items)} legal decisions due at {loaded.id} on {day}.")
    print_due(items, wide)


@legal_app.command("list")
def list_(
    school: School,
    upn: Annotated[str | None, typer.Option(help="Only this pupil's.")] = None,
    format: FormatOption = Format.table,
    wide: WideOption = False,
) -> None:
    """Every notice with its state and next date, then the notices refused and why."""
    from cases.legal.kept_refusals import legal_refusals
    from cases.legal.register import legal_entries
    from cli.legal_output import entry_json, print_register, refusal_json
    from school.database import id_of, session_for

    with refused_by_law(), session_for(open_database()) as session:
        loaded = school_named(session, school)
        pupil_id = id_of(pupil_by_upn(session, loaded.id, upn)) if upn else None
        actions = [entry_json(e) for e in legal_entries(session, loaded.id, pupil_id)]
        refusals = [refusal_json(r, p) for r, p in legal_refusals(session, loaded.id, pupil_id)]
    if format is Format.json:
        print_json({"school": loaded.id, "actions": actions, "refusals": refusals})
        return
    console.print(f"{len(actions)} legal actions and {len(refusals)} refusals at {loaded.id}.")
    print_register(actions, refusals, wide)
