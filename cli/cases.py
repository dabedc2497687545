"""A pupil's case at the command line: show, open, move, support, proposals."""

from __future__ import annotations

from typing import Annotated, Literal

import typer
from sqlalchemy import select
from sqlmodel import col

from cases.models import CaseAction, CaseEvent, CaseProposal, LegalAction
from cases.support_law import status_words
from cli.casework import (
    By,
    MaybeSchool,
    Reason,
    open_case_of,
    pupil_by_upn,
    refused_by_law,
)
from cli.common import console, open_database
from cli.legal_output import legal_shown
from cli.parsing import parse_date, parse_person
from school.clock import SCHOOL_TIME_ZONE, SystemClock, school_today
from school.database import id_of, session_for

case_app = typer.Typer(
    help="A pupil's attendance case through the six stages.", no_args_is_help=True
)


@case_app.command("show")
def show(
    upn: Annotated[str, typer.Argument(help="The pupil's UPN.")], school: MaybeSchool = None
) -> None:
    """The case: its stage, history, actions, proposals and legal actions."""
    from school.statistics import attendance_statistics

    with refused_by_law(), session_for(open_database()) as session:
        pupil = pupil_by_upn(session, school, upn)
        case = open_case_of(session, pupil)
        figures = {
            f.upn: f
            for f in attendance_statistics(session, pupil.school_id, school_today(SystemClock()))
        }
        events = session.scalars(
            select(CaseEvent).where(col(CaseEvent.case_id) == case.id).order_by(col(CaseEvent.id))
        ).all()
        actions = session.scalars(
            select(CaseAction)
            .where(col(CaseAction.case_id) == case.id)
            .order_by(col(CaseAction.id))
        ).all()
        proposals = session.scalars(
            select(CaseProposal)
            .where(col(CaseProposal.case_id) == case.id)
            .order_by(col(CaseProposal.id))
        ).all()
        legal = session.scalars(
            select(LegalAction)
            .where(col(LegalAction.pupil_id) == pupil.id)
            .order_by(col(LegalAction.id))
        ).all()
        due, provisional = legal_shown(session, pupil, school_today(SystemClock()))
    console.rule(
        f"{pupil.given_name} {pupil.family_name}, Y{pupil.year_group}: "
        f"case {case.id} at {case.stage}"
    )
    f = figures.get(pupil.upn)
    if f is not None and f.possible_sessions:
        missed = f.authorised_sessions + f.unauthorised_sessions
        console.print(
            f"This year: {missed / 2:g} days missed of {f.possible_sessions / 2:g} "
            f"({f.attendance_pct:.1f}% attendance); "
            f"{f.unauthorised_sessions_rolling_10_school_weeks} unauthorised sessions in the "
            "last 10 school weeks"
        )
    for e in events:
        console.print(
            f"  {e.at.astimezone(SCHOOL_TIME_ZONE):%d %b %H:%M}  "
            f"{e.from_stage or '—'} → {e.to_stage}  {e.trigger}: {e.reason} "
            f"({e.actor_name}, {e.actor_position})",
            markup=False,
        )
    for a in actions:
        console.print(
            f"  action #{a.id} {a.kind}: {a.title} "
            + (f"[support: {status_words(a)}]" if a.is_support else f"[{a.status}]")
            + (f" due {a.due_on}" if a.due_on else ""),
            markup=False,
        )
    for p in proposals:
        console.print(f"  proposal #{p.id} [{p.status}] {p.summary}", markup=False)
    for la in legal:
        console.print(f"  legal #{la.id} {la.kind} to {la.parent_name} [{la.state}]", markup=False)
    for line in [*due, *provisional]:
        console.print(f"  {line}", markup=False)


@case_app.command("open")
def open_(
    upn: Annotated[str, typer.Argument()], by: By, reason: Reason, school: MaybeSchool = None
) -> None:
    """Open a case for a pupil (one open case per pupil)."""
    from cases.service import open_case

    with refused_by_law(), session_for(open_database()) as session:
        case = open_case(
            session,
            id_of(pupil_by_upn(session, school, upn)),
            parse_person("--by", by),
            reason,
            SystemClock(),
        )
    console.print(f"Opened case {case.id} at {case.stage}.")


@case_app.command("move")
def move(
    upn: Annotated[str, typer.Argument()],
    to: Annotated[
        str, typer.Option(help="expect, monitor, listen, facilitate, formalise, enforce, closed")
    ],
    by: By,
    reason: Reason,
    school: MaybeSchool = None,
) -> None:
    """Move the pupil's case to a stage; the law's guards refuse what it does not allow."""
    from cases.service import move_case

    with refused_by_law(), session_for(open_database()) as session:
        case = open_case_of(session, pupil_by_upn(session, school, upn))
        moved = move_case(session, id_of(case), to, parse_person("--by", by), reason, SystemClock())
    console.print(f"Case {moved.id} is now at {moved.stage}.")


Status = Annotated[
    str, typer.Option(help="planned, offered, accepted, declined, in_place or ended")
]
OfferedOn = Annotated[
    str | None, typer.Option("--on", help="YYYY-MM-DD: the day it was offered (for offered).")
]


@case_app.command("support")
def support(
    upn: Annotated[str, typer.Argument()],
    kind: Annotated[str, typer.Option(help="e.g. support_plan, early_help, mentoring")],
    title: Annotated[str, typer.Option(help="What is planned or was offered.")],
    by: By,
    status: Status = "planned",
    on: OfferedOn = None,
    school: MaybeSchool = None,
) -> None:
    """Record support for the family; only offered (or later) support satisfies the law."""
    from cases.support import record_support

    with refused_by_law(), session_for(open_database()) as session:
        case = open_case_of(session, pupil_by_upn(session, school, upn))
        action = record_support(
            session,
            id_of(case),
            kind,
            title,
            parse_person("--by", by),
            SystemClock(),
            status=status,
            offered_on=parse_date("--on", on) if on else None,
        )
    console.print(f"Recorded support #{action.id} ({status_words(action)}).", markup=False)


@case_app.command("support-status")
def support_status(
    action_id: Annotated[int, typer.Argument(help="The support's number (attendance case show).")],
    status: Status,
    by: By,
    on: OfferedOn = None,
) -> None:
    """Move support on: offered (--on, by --by), accepted, declined, in_place, ended."""
    from cases.support import move_support

    with refused_by_law(), session_for(open_database()) as session:
        action = move_support(
            session,
            action_id,
            status,
            parse_person("--by", by),
            SystemClock(),
            parse_date("--on", on) if on else None,
        )
    console.print(f"Support #{action.id} ({action.title}): {status_words(action)}.", markup=False)


@case_app.command("action")
def action_outcome(
    action_id: Annotated[int, typer.Argument(help="The action's number (attendance case show).")],
    status: Annotated[str, typer.Option(help="done, attended, not_attended, declined, cancelled")],
    by: By,
    note: Annotated[str | None, typer.Option(help="What happened.")] = None,
) -> None:
    """Record what happened to a letter, meeting, plan or referral."""
    from cases.support import record_action_outcome

    with refused_by_law(), session_for(open_database()) as session:
        action = record_action_outcome(
            session, action_id, status, parse_person("--by", by), SystemClock(), note
        )
    console.print(f"Action {action.id} ({action.title}): {action.status}.")


@case_app.command("carer")
def carer(
    upn: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Option(help="Full name of the person with day-to-day care.")],
    by: By,
    reason: Reason,
    school: MaybeSchool = None,
) -> None:
    """Record a person with day-to-day care of the pupil, who may then be named on a notice."""
    from cases.legal.parents import record_carer

    with refused_by_law(), session_for(open_database()) as session:
        pupil = pupil_by_upn(session, school, upn)
        recorded = record_carer(
            session, id_of(pupil), name, str(parse_person("--by", by)), reason, SystemClock()
        )
    console.print(f"Recorded {recorded.name} as a carer of {upn} (carer {recorded.id}).")


@case_app.command("no-support")
def no_support(
    upn: Annotated[str, typer.Argument()], by: By, reason: Reason, school: MaybeSchool = None
) -> None:
    """Record why support is not appropriate (e.g. an unauthorised term-time holiday)."""
    from cases.support import record_support_not_appropriate

    with refused_by_law(), session_for(open_database()) as session:
        case = open_case_of(session, pupil_by_upn(session, school, upn))
        record_support_not_appropriate(
            session, id_of(case), reason, parse_person("--by", by), SystemClock()
        )
    console.print("Recorded.")


@case_app.command("send-considered")
def send_considered(
    upn: Annotated[str, typer.Argument()], by: By, note: Reason, school: MaybeSchool = None
) -> None:
    """Record that barriers linked to special educational needs were considered."""
    from cases.support import record_send_barriers_considered

    with refused_by_law(), session_for(open_database()) as session:
        case = open_case_of(session, pupil_by_upn(session, school, upn))
        record_send_barriers_considered(
            session, id_of(case), parse_person("--by", by), note, SystemClock()
        )
    console.print("Recorded.")


@case_app.command("decide")
def decide(
    proposal_id: Annotated[int, typer.Argument()],
    decision: Annotated[Literal["confirm", "skip", "override"], typer.Option()],
    by: By,
    reason: Annotated[str | None, typer.Option(help="Needed to skip or override.")] = None,
    to: Annotated[str | None, typer.Option(help="override: the stage you chose instead")] = None,
) -> None:
    """Confirm, skip or override a proposal from the daily review."""
    from cases.proposals import decide_proposal

    with refused_by_law(), session_for(open_database()) as session:
        earlier = session.get(CaseProposal, proposal_id)
        was = earlier.status if earlier is not None else None
        proposal = decide_proposal(
            session,
            proposal_id,
            decision,
            parse_person("--by", by),
            reason,
            SystemClock(),
            to_stage=to,
        )
    if was == proposal.status == "confirmed":
        when = proposal.decided_at.astimezone(SCHOOL_TIME_ZONE) if proposal.decided_at else None
        console.print(
            f"Proposal {proposal.id} was already confirmed by {proposal.decided_by}"
            + (f" on {when:%-d %b %Y}" if when else "")
            + ": nothing changed."
        )
        return
    console.print(f"Proposal {proposal.id}: {proposal.status}.")


@case_app.command("confirm")
def confirm(
    proposal_id: Annotated[int, typer.Argument()],
    by: By,
    reason: Annotated[
        str | None, typer.Option(help="Optional: the proposal's summary is used.")
    ] = None,
) -> None:
    """Confirm a proposal from the daily review (the law's guards still apply)."""
    decide(proposal_id, "confirm", by, reason, None)


@case_app.command("skip")
def skip(proposal_id: Annotated[int, typer.Argument()], by: By, reason: Reason) -> None:
    """Skip a proposal, with the reason."""
    decide(proposal_id, "skip", by, reason, None)


@case_app.command("override")
def override(
    proposal_id: Annotated[int, typer.Argument()],
    by: By,
    reason: Reason,
    to: Annotated[str | None, typer.Option(help="The stage you chose instead.")] = None,
) -> None:
    """Override a proposal with your own decision (and stage), with the reason."""
    decide(proposal_id, "override", by, reason, to)
